package dataset

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/cltrain/cltrain/internal/npz"
	"gonum.org/v1/gonum/mat"
)

// loadNPZFile reads the .npz file at path. features is as for readNPZ.
func loadNPZFile(path string, features int) (*Set, error) {
	r, err := npz.Open(path, MaxArrayBytes)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return readNPZ(path, r, features)
}

// readNPZ builds a Set from the arrays X and Y of r; name is used in error
// messages. features is 0 for Load: Y is required. For LoadUnlabelled it is
// the number of features X must have, and Y is optional.
func readNPZ(name string, r *npz.Reader, features int) (*Set, error) {
	want := "X (n_x, m) and Y (1, m)"
	keys := []string{"X", "Y"}
	if features > 0 {
		want = fmt.Sprintf("X (%d, m), and optionally Y (1, m)", features)
		keys = keys[:1]
	}
	for _, key := range keys {
		if !r.Has(key) {
			found := "no arrays"
			if keys := r.Keys(); len(keys) > 0 {
				found = "only " + strings.Join(keys, ", ")
			}
			return nil, fmt.Errorf("%s: array %q missing (want %s; the file holds %s)", name, key, want, found)
		}
	}
	// Check the shape X declares before its data is read.
	xs, err := r.Shape("X")
	if err != nil {
		return nil, err
	}
	if len(xs) != 2 {
		return nil, fmt.Errorf("%s: array \"X\": shape %s has rank %d, want 2 (n_x, m)", name, npz.FormatShape(xs), len(xs))
	}
	nx, m := xs[0], xs[1]
	switch {
	case m == 0:
		return nil, fmt.Errorf("%s: array \"X\": shape %s has no examples (m = 0)", name, npz.FormatShape(xs))
	case nx == 0:
		return nil, fmt.Errorf("%s: array \"X\": shape %s has no features (n_x = 0)", name, npz.FormatShape(xs))
	case features > 0 && nx != features:
		return nil, fmt.Errorf("%s: array \"X\": shape %s has %d features, want %d", name, npz.FormatShape(xs), nx, features)
	case m > MaxValues/nx:
		return nil, fmt.Errorf("%s: array \"X\": shape %s holds more than the limit of %d values (MaxValues)", name, npz.FormatShape(xs), MaxValues)
	}
	xa, err := r.ReadNumeric("X")
	if err != nil {
		return nil, err
	}
	if len(xa.Shape) != 2 || xa.Shape[0] != nx || xa.Shape[1] != m {
		// The entry was rewritten between the two reads; possible only
		// through a Reader over changing bytes.
		return nil, fmt.Errorf("%s: array \"X\": shape %s changed to %s while being read", name, npz.FormatShape(xs), npz.FormatShape(xa.Shape))
	}
	for i, v := range xa.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s: array \"X\": element (%d, %d) is %v, not finite", name, i/m, i%m, v)
		}
	}
	s := &Set{X: mat.NewDense(nx, m, xa.Data), src: &origin{file: name, npz: true, nx: nx, m: m}}
	if !r.Has("Y") {
		return s, nil
	}
	ys, err := r.Shape("Y")
	if err != nil {
		return nil, err
	}
	switch {
	case len(ys) == 1 && ys[0] == m:
		s.src.ylay = yVector
	case len(ys) == 2 && ys[0] == 1 && ys[1] == m:
		s.src.ylay = yRow
	case len(ys) == 2 && ys[0] >= 2 && ys[1] == m:
		s.src.ylay = yOneHot
		if ys[0] > MaxValues/m {
			return nil, fmt.Errorf("%s: array \"Y\": shape %s holds more than the limit of %d values (MaxValues)", name, npz.FormatShape(ys), MaxValues)
		}
	default:
		return nil, fmt.Errorf("%s: array \"Y\": shape %s, want (1, %d) or (%d,) of class labels, or (K, %d) of one-hot labels of K classes, to match X %s", name, npz.FormatShape(ys), m, m, m, npz.FormatShape(xs))
	}
	ya, err := r.ReadNumeric("Y")
	if err != nil {
		return nil, err
	}
	if !slices.Equal(ya.Shape, ys) {
		return nil, fmt.Errorf("%s: array \"Y\": shape %s changed to %s while being read", name, npz.FormatShape(ys), npz.FormatShape(ya.Shape))
	}
	if s.src.ylay == yOneHot {
		labels, err := fromOneHot(ya.Data, ys[0], m)
		if err != nil {
			return nil, fmt.Errorf("%s: array \"Y\": %w", name, err)
		}
		s.Y, s.k = mat.NewDense(1, m, labels), ys[0]
		return s, nil
	}
	for i, v := range ya.Data {
		if !isClass(v) {
			return nil, fmt.Errorf("%s: array \"Y\": label %v of example %d is not a class (an integer from 0 to 2^53)", name, v, i)
		}
		if v == 0 {
			ya.Data[i] = 0 // not -0
		}
	}
	s.Y = mat.NewDense(1, m, ya.Data)
	return s, nil
}

// fromOneHot returns the class labels of the one-hot labels y, (k, m) in C
// order: the row of the 1 in each column. A column with a value other than
// 0 and 1, or not exactly one 1, is an error naming it.
func fromOneHot(y []float64, k, m int) ([]float64, error) {
	labels := make([]float64, m)
	for j := range m {
		ones := 0
		for i := range k {
			switch v := y[i*m+j]; v {
			case 0:
			case 1:
				ones++
				labels[j] = float64(i)
			default:
				return nil, fmt.Errorf("element (%d, %d) is %v, want 0 or 1 (one-hot labels)", i, j, v)
			}
		}
		if ones != 1 {
			return nil, fmt.Errorf("column %d sums to %d, want 1 (one-hot labels)", j, ones)
		}
	}
	return labels, nil
}
