package checkpoint

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/internal/atomicfile"
	"github.com/cltrain/cltrain/internal/npz"
)

// MaxArrayBytes bounds the uncompressed size of each array entry Load
// accepts. The size every entry declares is checked before anything is
// decompressed, and reads never go past it.
var MaxArrayBytes int64 = 4 << 30

// Save writes the weights w and biases b of a network with len(w) layers to
// path as an .npz archive with entries W1, b1, ..., WL, bL (uncompressed,
// '<f8', npy format 1.0 headers as numpy writes them).
//
// The shapes must chain: w[l] is (n_l, n_{l-1}) with n_{l-1} the number of
// rows of w[l-1], and b[l] is (n_l, 1). Every value must be finite, since Load
// refuses anything else.
//
// The write is atomic: the archive goes to a temporary file in the same folder,
// which is synced and then renamed over path; on any error the temporary file
// is removed and path is left as it was. A new file gets mode 0644; an
// existing one keeps its mode.
func Save(path string, w, b []*mat.Dense) error {
	if err := validate(w, b); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := writeAtomic(path, w, b); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// validate checks the layer count, shapes and values Save is given.
func validate(w, b []*mat.Dense) error {
	if len(w) == 0 {
		return errors.New("no layers to save")
	}
	if len(w) != len(b) {
		return fmt.Errorf("%d weight matrices but %d bias vectors", len(w), len(b))
	}
	for l := range w {
		wn, bn := "W"+strconv.Itoa(l+1), "b"+strconv.Itoa(l+1)
		if w[l] == nil || w[l].IsEmpty() {
			return fmt.Errorf("%s is empty", wn)
		}
		if b[l] == nil || b[l].IsEmpty() {
			return fmt.Errorf("%s is empty", bn)
		}
		rows, cols := w[l].Dims()
		if l > 0 {
			if prev, _ := w[l-1].Dims(); cols != prev {
				return fmt.Errorf("%s is %dx%d but W%d has %d rows; the columns of %s must match them", wn, rows, cols, l, prev, wn)
			}
		}
		if br, bc := b[l].Dims(); br != rows || bc != 1 {
			return fmt.Errorf("%s is %dx%d, want %dx1 to match %s", bn, br, bc, rows, wn)
		}
		if err := finite(wn, w[l]); err != nil {
			return err
		}
		if err := finite(bn, b[l]); err != nil {
			return err
		}
	}
	return nil
}

// finite reports the first element of m that is NaN or infinite.
func finite(name string, m *mat.Dense) error {
	rows, cols := m.Dims()
	for i := range rows {
		for j := range cols {
			if v := m.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%s(%d, %d) is %v, not finite", name, i, j, v)
			}
		}
	}
	return nil
}

// writeAtomic writes the archive to a temporary file next to path and renames
// it into place, removing the temporary file on any failure.
func writeAtomic(path string, w, b []*mat.Dense) error {
	return atomicfile.Write(path, func(out io.Writer) error {
		zw := npz.NewWriter(out)
		for l := range w {
			if err := writeMatrix(zw, "W"+strconv.Itoa(l+1), w[l]); err != nil {
				return err
			}
			if err := writeMatrix(zw, "b"+strconv.Itoa(l+1), b[l]); err != nil {
				return err
			}
		}
		return zw.Close()
	})
}

// writeMatrix writes m as a 2-D array, copying it only when its rows are not
// contiguous.
func writeMatrix(zw *npz.Writer, key string, m *mat.Dense) error {
	raw := m.RawMatrix()
	data := raw.Data[:raw.Rows*raw.Cols]
	if raw.Stride != raw.Cols {
		data = make([]float64, 0, raw.Rows*raw.Cols)
		for i := range raw.Rows {
			data = append(data, raw.Data[i*raw.Stride:i*raw.Stride+raw.Cols]...)
		}
	}
	return zw.WriteArray(key, []int{raw.Rows, raw.Cols}, data)
}

// Load reads a checkpoint written by Save, or by numpy's savez or
// savez_compressed with the same entries as float64 or float32. It requires
// W1, b1 to WL, bL without gaps and nothing else, shapes that chain as Save
// describes, and finite values. Errors name the file and the array.
func Load(path string) (w, b []*mat.Dense, err error) {
	r, err := npz.Open(path, MaxArrayBytes)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()

	layers := 0
	for _, key := range r.Keys() {
		l, ok := layerOf(key)
		if !ok {
			return nil, nil, fmt.Errorf("%s: unexpected array %q (a checkpoint holds W1, b1, ..., WL, bL)", path, key)
		}
		layers = max(layers, l)
	}
	if layers == 0 {
		return nil, nil, fmt.Errorf("%s: no layers (want arrays W1, b1, ..., WL, bL)", path)
	}
	// Every key is a W or b, so this stops at a gap within the first
	// len(keys)/2 + 1 layers, however large the largest layer number.
	for l := 1; l <= layers; l++ {
		for _, key := range []string{"W" + strconv.Itoa(l), "b" + strconv.Itoa(l)} {
			if !r.Has(key) {
				return nil, nil, fmt.Errorf("%s: array %q missing (layers must run W1, b1 to W%d, b%d without gaps)", path, key, layers, layers)
			}
		}
	}
	for l := 1; l <= layers; l++ {
		wn, bn := "W"+strconv.Itoa(l), "b"+strconv.Itoa(l)
		wm, err := readMatrix(path, r, wn)
		if err != nil {
			return nil, nil, err
		}
		rows, cols := wm.Dims()
		if l > 1 {
			if prev, _ := w[l-2].Dims(); cols != prev {
				return nil, nil, fmt.Errorf("%s: array %q: shape (%d, %d) does not follow W%d, which has %d rows", path, wn, rows, cols, l-1, prev)
			}
		}
		bm, err := readMatrix(path, r, bn)
		if err != nil {
			return nil, nil, err
		}
		if br, bc := bm.Dims(); br != rows || bc != 1 {
			return nil, nil, fmt.Errorf("%s: array %q: shape (%d, %d), want (%d, 1) to match %s", path, bn, br, bc, rows, wn)
		}
		w = append(w, wm)
		b = append(b, bm)
	}
	return w, b, nil
}

// layerOf parses "W<l>" or "b<l>" with l >= 1 written without leading zeros.
func layerOf(key string) (int, bool) {
	if len(key) < 2 || (key[0] != 'W' && key[0] != 'b') || key[1] == '0' {
		return 0, false
	}
	digits := key[1:]
	if strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	l, err := strconv.Atoi(digits)
	if err != nil {
		return 0, false
	}
	return l, true
}

// readMatrix reads the array key of r as a non-empty, finite 2-D matrix.
func readMatrix(path string, r *npz.Reader, key string) (*mat.Dense, error) {
	a, err := r.Read(key)
	if err != nil {
		return nil, err
	}
	if len(a.Shape) != 2 {
		return nil, fmt.Errorf("%s: array %q: shape %s has rank %d, want 2", path, key, npz.FormatShape(a.Shape), len(a.Shape))
	}
	rows, cols := a.Shape[0], a.Shape[1]
	if rows == 0 || cols == 0 {
		return nil, fmt.Errorf("%s: array %q: shape %s is empty", path, key, npz.FormatShape(a.Shape))
	}
	for i, v := range a.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s: array %q: element (%d, %d) is %v, not finite", path, key, i/cols, i%cols, v)
		}
	}
	return mat.NewDense(rows, cols, a.Data), nil
}
