package checkpoint

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	npyz "codeberg.org/sbinet/npyio/npz"
	"github.com/cltrain/cltrain/internal/npz"
	"gonum.org/v1/gonum/mat"
)

// network returns weights and biases for layer sizes dims (inputs first),
// filled with awkward values: subnormals, negative zero, extremes.
func network(dims ...int) (w, b []*mat.Dense) {
	special := []float64{0, math.Copysign(0, -1), 5e-324, -math.MaxFloat64, math.MaxFloat64, 1.0 / 3, -2.5e-300, math.Pi}
	k := 0
	next := func() float64 {
		k++
		if k%5 == 0 {
			return special[(k/5)%len(special)]
		}
		return math.Sin(float64(k)) * float64(k)
	}
	for l := 1; l < len(dims); l++ {
		wm := mat.NewDense(dims[l], dims[l-1], nil)
		bm := mat.NewDense(dims[l], 1, nil)
		for i := range dims[l] {
			for j := range dims[l-1] {
				wm.Set(i, j, next())
			}
			bm.Set(i, 0, next())
		}
		w, b = append(w, wm), append(b, bm)
	}
	return w, b
}

// bitsEqual reports whether a and b have the same shape and bit patterns.
func bitsEqual(a, b *mat.Dense) bool {
	ar, ac := a.Dims()
	br, bc := b.Dims()
	if ar != br || ac != bc {
		return false
	}
	for i := range ar {
		for j := range ac {
			if math.Float64bits(a.At(i, j)) != math.Float64bits(b.At(i, j)) {
				return false
			}
		}
	}
	return true
}

// dirEntries lists the names in dir.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.npz")
	w, b := network(5, 7, 3, 1)
	if err := Save(path, w, b); err != nil {
		t.Fatal(err)
	}
	gw, gb, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(gw) != len(w) || len(gb) != len(b) {
		t.Fatalf("got %d/%d layers, want %d", len(gw), len(gb), len(w))
	}
	for l := range w {
		if !bitsEqual(gw[l], w[l]) || !bitsEqual(gb[l], b[l]) {
			t.Errorf("layer %d differs after the round trip", l+1)
		}
	}
	if names := dirEntries(t, dir); !slices.Equal(names, []string{"model.npz"}) {
		t.Errorf("folder holds %v", names)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
}

func TestSaveViewsAndOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.npz")
	w0, b0 := network(2, 2)
	if err := Save(path, w0, b0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	// A view into a larger matrix has a stride wider than its columns.
	big := mat.NewDense(6, 8, nil)
	for i := range 6 {
		for j := range 8 {
			big.Set(i, j, float64(10*i+j))
		}
	}
	w := []*mat.Dense{big.Slice(1, 4, 2, 7).(*mat.Dense)}
	b := []*mat.Dense{big.Slice(2, 5, 7, 8).(*mat.Dense)}
	if err := Save(path, w, b); err != nil {
		t.Fatal(err)
	}
	gw, gb, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(gw) != 1 || !mat.Equal(gw[0], w[0]) || !mat.Equal(gb[0], b[0]) {
		t.Errorf("got W1 %v b1 %v", mat.Formatted(gw[0]), mat.Formatted(gb[0]))
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("overwritten file mode %v (%v), want 0600 kept", st.Mode().Perm(), err)
	}
}

func TestFileLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.npz")
	w, b := network(2, 4, 1)
	if err := Save(path, w, b); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	want := []struct {
		name  string
		shape string
		m     *mat.Dense
	}{
		{"W1.npy", "(4, 2)", w[0]}, {"b1.npy", "(4, 1)", b[0]},
		{"W2.npy", "(1, 4)", w[1]}, {"b2.npy", "(1, 1)", b[1]},
	}
	if len(zr.File) != len(want) {
		t.Fatalf("%d entries, want %d", len(zr.File), len(want))
	}
	for i, f := range zr.File {
		if f.Name != want[i].name {
			t.Errorf("entry %d is %q, want %q", i, f.Name, want[i].name)
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if string(raw[:6]) != "\x93NUMPY" || raw[6] != 1 || raw[7] != 0 {
			t.Errorf("%s: preamble %q", f.Name, raw[:8])
		}
		hlen := int(binary.LittleEndian.Uint16(raw[8:10]))
		if (10+hlen)%64 != 0 || raw[10+hlen-1] != '\n' {
			t.Errorf("%s: header length %d not padded to 64 with a final newline", f.Name, hlen)
		}
		dict := strings.TrimRight(string(raw[10:10+hlen]), " \n")
		wantDict := "{'descr': '<f8', 'fortran_order': False, 'shape': " + want[i].shape + ", }"
		if dict != wantDict {
			t.Errorf("%s: header %q, want %q", f.Name, dict, wantDict)
		}
		data := raw[10+hlen:]
		rows, cols := want[i].m.Dims()
		if len(data) != 8*rows*cols {
			t.Fatalf("%s: %d data bytes, want %d", f.Name, len(data), 8*rows*cols)
		}
		for k := range rows * cols {
			got := math.Float64frombits(binary.LittleEndian.Uint64(data[8*k:]))
			if math.Float64bits(got) != math.Float64bits(want[i].m.At(k/cols, k%cols)) {
				t.Errorf("%s: element %d is %v", f.Name, k, got)
			}
		}
	}

	// npyio reads the file as well.
	nr, err := npyz.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer nr.Close()
	for i, wn := range want {
		var m mat.Dense
		if err := nr.Read(wn.name, &m); err != nil {
			t.Fatalf("npyio: %s: %v", wn.name, err)
		}
		if !bitsEqual(&m, want[i].m) {
			t.Errorf("npyio: %s differs", wn.name)
		}
	}
}

// numpyValue is element (i, j) of the arrays gen_testdata.py writes.
func numpyValue(name string, cols, i, j int) float64 {
	layer := float64(name[1] - '0')
	k := float64(i*cols + j)
	if name[0] == 'W' {
		return (k+1)/3 + (layer - 1)
	}
	return -(k+1)/5 + (layer - 1)
}

func TestLoadNumpyFiles(t *testing.T) {
	for _, tc := range []struct {
		file string
		f32  bool
	}{{"testdata/numpy_f64.npz", false}, {"testdata/numpy_compressed.npz", false}, {"testdata/numpy_f32.npz", true}} {
		w, b, err := Load(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		if len(w) != 2 || len(b) != 2 {
			t.Fatalf("%s: %d layers", tc.file, len(w))
		}
		mats := map[string]*mat.Dense{"W1": w[0], "b1": b[0], "W2": w[1], "b2": b[1]}
		shapes := map[string][2]int{"W1": {4, 2}, "b1": {4, 1}, "W2": {1, 4}, "b2": {1, 1}}
		for name, m := range mats {
			r, c := m.Dims()
			if [2]int{r, c} != shapes[name] {
				t.Errorf("%s %s: %dx%d, want %v", tc.file, name, r, c, shapes[name])
				continue
			}
			for i := range r {
				for j := range c {
					want := numpyValue(name, c, i, j)
					if tc.f32 {
						want = float64(float32(want))
					}
					if got := m.At(i, j); got != want {
						t.Errorf("%s %s(%d, %d) = %v, want %v", tc.file, name, i, j, got, want)
					}
				}
			}
		}
	}
}

// archive writes the given arrays with npz.Writer into dir/name.
func archive(t *testing.T, dir, name string, arrays ...any) string {
	t.Helper()
	var buf bytes.Buffer
	zw := npz.NewWriter(&buf)
	for i := 0; i < len(arrays); i += 2 {
		m := arrays[i+1].(*mat.Dense)
		r, c := m.Dims()
		if err := zw.WriteArray(arrays[i].(string), []int{r, c}, m.RawMatrix().Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	w, b := network(2, 4, 1)
	nan := mat.DenseCopyOf(w[1])
	nan.Set(0, 2, math.NaN())
	tests := []struct {
		name string
		path string
		want []string
	}{
		{"missing file", filepath.Join(dir, "nope.npz"), []string{"nope.npz", "no such file"}},
		{"folder", dir, []string{dir, "directory"}},
		{"not a zip", writeFile(t, dir, "text.npz", "W1,b1\n"), []string{"text.npz", "not a valid .npz"}},
		{"no layers", archive(t, dir, "empty.npz"), []string{"empty.npz", "no layers"}},
		{"gap", archive(t, dir, "gap.npz", "W1", w[0], "b1", b[0], "W3", w[1], "b3", b[1]),
			[]string{"gap.npz", `"W2" missing`}},
		{"bias missing", archive(t, dir, "nob.npz", "W1", w[0], "b1", b[0], "W2", w[1]),
			[]string{"nob.npz", `"b2" missing`}},
		{"huge layer number", archive(t, dir, "huge.npz", "W1", w[0], "b1", b[0], "W999999999", w[1]),
			[]string{"huge.npz", `"W2" missing`}},
		{"extra array", archive(t, dir, "extra.npz", "W1", w[0], "b1", b[0], "lr", b[1]),
			[]string{"extra.npz", `unexpected array "lr"`}},
		{"leading zero", archive(t, dir, "zero.npz", "W01", w[0], "b1", b[0]),
			[]string{"zero.npz", `unexpected array "W01"`}},
		{"chain broken", archive(t, dir, "chain.npz", "W1", w[0], "b1", b[0], "W2", w[0], "b2", b[0]),
			[]string{"chain.npz", `"W2"`, "(4, 2)", "W1, which has 4 rows"}},
		{"bias shape", archive(t, dir, "bshape.npz", "W1", w[0], "b1", w[0]),
			[]string{"bshape.npz", `"b1"`, "(4, 2)", "want (4, 1)"}},
		{"NaN", archive(t, dir, "nan.npz", "W1", w[0], "b1", b[0], "W2", nan, "b2", b[1]),
			[]string{"nan.npz", `"W2"`, "(0, 2)", "NaN"}},
		{"bias vector", "testdata/numpy_b_vector.npz", []string{"numpy_b_vector.npz", `"b1"`, "(4,)", "rank 1"}},
		{"int dtype", "testdata/numpy_int.npz", []string{"numpy_int.npz", `"W1"`, `"<i8"`, "not supported"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Load(tc.path)
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestLoadLimit(t *testing.T) {
	old := MaxArrayBytes
	t.Cleanup(func() { MaxArrayBytes = old })
	MaxArrayBytes = 100
	_, _, err := Load("testdata/numpy_f64.npz")
	if err == nil || !strings.Contains(err.Error(), "exceeds the limit of 100 bytes") {
		t.Errorf("got %v", err)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSaveRejectsBadInput(t *testing.T) {
	w, b := network(2, 4, 1)
	nan := mat.DenseCopyOf(b[1])
	nan.Set(0, 0, math.Inf(1))
	tests := []struct {
		name string
		w, b []*mat.Dense
		want string
	}{
		{"no layers", nil, nil, "no layers"},
		{"count mismatch", w, b[:1], "2 weight matrices but 1 bias"},
		{"nil weight", []*mat.Dense{nil}, b[:1], "W1 is empty"},
		{"empty bias", w[:1], []*mat.Dense{{}}, "b1 is empty"},
		{"chain", []*mat.Dense{w[0], w[0]}, []*mat.Dense{b[0], b[0]}, "W2 is 4x2 but W1 has 4 rows"},
		{"bias rows", w, []*mat.Dense{b[1], b[1]}, "b1 is 1x1, want 4x1"},
		{"bias cols", w[:1], []*mat.Dense{mat.NewDense(4, 2, nil)}, "b1 is 4x2"},
		{"not finite", w, []*mat.Dense{b[0], nan}, "b2(0, 0) is +Inf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "m.npz")
			err := Save(path, tc.w, tc.b)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), path+": ") {
				t.Errorf("error %v, want one starting with the path and containing %q", err, tc.want)
			}
			if names := dirEntries(t, dir); len(names) != 0 {
				t.Errorf("failed save left %v behind", names)
			}
		})
	}
}

func TestFailedSaveLeavesNothing(t *testing.T) {
	w, b := network(3, 2)

	// The final rename fails because a folder sits at the target path: the
	// archive has been fully written to the temporary file by then.
	dir := t.TempDir()
	target := filepath.Join(dir, "model.npz")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Save(target, w, b); err == nil {
		t.Error("saving over a folder succeeded")
	}
	if names := dirEntries(t, dir); !slices.Equal(names, []string{"model.npz"}) {
		t.Errorf("folder holds %v after the failed save", names)
	}
	if inner := dirEntries(t, target); len(inner) != 0 {
		t.Errorf("target folder holds %v", inner)
	}

	// The folder does not exist.
	missing := filepath.Join(t.TempDir(), "no", "such", "m.npz")
	if err := Save(missing, w, b); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing folder: %v", err)
	}

	// A read-only folder (meaningless for root, who may write anyway).
	if os.Geteuid() != 0 {
		ro := t.TempDir()
		if err := os.Chmod(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(ro, 0o755) })
		if err := Save(filepath.Join(ro, "m.npz"), w, b); err == nil {
			t.Error("saving into a read-only folder succeeded")
		}
		if names := dirEntries(t, ro); len(names) != 0 {
			t.Errorf("read-only folder holds %v", names)
		}
	}
}

func BenchmarkSave4096x1024(b *testing.B) {
	w := mat.NewDense(4096, 1024, nil)
	raw := w.RawMatrix().Data
	for i := range raw {
		raw[i] = float64(i%977) / 977
	}
	bias := mat.NewDense(4096, 1, nil)
	path := filepath.Join(b.TempDir(), "big.npz")
	b.SetBytes(int64(8 * (len(raw) + 4096)))
	for b.Loop() {
		if err := Save(path, []*mat.Dense{w}, []*mat.Dense{bias}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoad4096x1024(b *testing.B) {
	w := mat.NewDense(4096, 1024, nil)
	bias := mat.NewDense(4096, 1, nil)
	path := filepath.Join(b.TempDir(), "big.npz")
	if err := Save(path, []*mat.Dense{w}, []*mat.Dense{bias}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := Load(path); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleSave() {
	dir, err := os.MkdirTemp("", "checkpoint")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.npz")
	w := []*mat.Dense{mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, 6}), mat.NewDense(1, 3, []float64{1, 1, 1})}
	b := []*mat.Dense{mat.NewDense(3, 1, nil), mat.NewDense(1, 1, []float64{0.5})}
	if err := Save(path, w, b); err != nil {
		fmt.Println(err)
		return
	}
	w2, b2, err := Load(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(w2), mat.Equal(w2[0], w[0]), b2[1].At(0, 0))
	// Output: 2 true 0.5
}
