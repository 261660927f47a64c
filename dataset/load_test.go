package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cltrain/cltrain/internal/npz"
	"github.com/cltrain/cltrain/internal/npztest"
	"gonum.org/v1/gonum/mat"
)

// fuzzLimit bounds array entries in the fuzz targets, far below MaxArrayBytes.
const fuzzLimit = 1 << 20

// wellFormed checks the invariants every loaded Set must satisfy.
func wellFormed(s *Set) error {
	if s == nil || s.X == nil || s.Y == nil {
		return fmt.Errorf("incomplete set %+v", s)
	}
	nx, m := s.X.Dims()
	yr, ym := s.Y.Dims()
	if nx < 1 || m < 1 || yr != 1 || ym != m {
		return fmt.Errorf("X is %dx%d, Y is %dx%d", nx, m, yr, ym)
	}
	if s.Features() != nx || s.Examples() != m {
		return fmt.Errorf("Features/Examples = %d/%d for X %dx%d", s.Features(), s.Examples(), nx, m)
	}
	for i := range nx {
		for j := range m {
			if v := s.X.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("X[%d,%d] = %v", i, j, v)
			}
		}
	}
	k := s.Classes()
	binary := true
	for j := range m {
		v := s.Y.At(0, j)
		if !isClass(v) || math.Signbit(v) {
			return fmt.Errorf("Y[%d] = %v, not a class label", j, v)
		}
		if int(v) >= k {
			return fmt.Errorf("Y[%d] = %v, but Classes() = %d", j, v, k)
		}
		binary = binary && (v == 0 || v == 1)
	}
	if k < 2 {
		return fmt.Errorf("Classes() = %d", k)
	}
	switch err := s.CheckBinary(); {
	case binary && err != nil:
		return fmt.Errorf("CheckBinary refused 0/1 labels: %v", err)
	case !binary && err == nil:
		return errors.New("CheckBinary accepted labels other than 0 and 1")
	case err != nil && strings.Contains(err.Error(), "\n"):
		return fmt.Errorf("CheckBinary error spans lines: %q", err)
	}
	for _, j := range []int{0, m - 1} {
		if w := s.Where(j); w == "" || strings.Contains(w, "\n") {
			return fmt.Errorf("Where(%d) = %q", j, w)
		}
	}
	return nil
}

// checkError fails unless err is a one-line error containing every want.
func checkError(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("error spans lines: %q", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not contain %q", msg, w)
		}
	}
}

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name string
		in   string
		x    []float64 // row-major (n_x, m)
		y    []float64
	}{
		{"plain", "1,2,0\n3,4,1\n", []float64{1, 3, 2, 4}, []float64{0, 1}},
		{"no final newline", "1,2,0\n3,4,1", []float64{1, 3, 2, 4}, []float64{0, 1}},
		{"header crlf blank tail", "x1,x2,y\r\n1,2,0\r\n3,4,1\r\n\r\n\r\n", []float64{1, 3, 2, 4}, []float64{0, 1}},
		{"bom and header", "\ufeffa,b,label\n1,2,1\n", []float64{1, 2}, []float64{1}},
		{"bom without header", "\ufeff1.5,0\n", []float64{1.5}, []float64{0}},
		{"blanks and quotes", " 1.5 , \"-2\",1.0\n   \n0,1e-3, 0\n", []float64{1.5, 0, -2, 1e-3}, []float64{1, 0}},
		{"blank line inside", "1,0\n\n2,1\n", []float64{1, 2}, []float64{0, 1}},
		{"quoted numbers", "\"x\",\"y\"\n\"1.5\",\"0\"\n\" 2\",\"1\"\n", []float64{1.5, 2}, []float64{0, 1}},
		{"crlf no header", "1,2,0\r\n3,4,1\r\n", []float64{1, 3, 2, 4}, []float64{0, 1}},
		{"crlf no final newline", "1,2,0\r\n3,4,1", []float64{1, 3, 2, 4}, []float64{0, 1}},
		{"header with empty name", "x1,,y\n1,2,0\n", []float64{1, 2}, []float64{0}},
		{"blanks around tabs", "1,\t2\t,0\n", []float64{1, 2}, []float64{0}},
		{"classes", "1,3\n2,0.0\n3,2.000\n4,1e1\n5, 7 \n", []float64{1, 2, 3, 4, 5}, []float64{3, 0, 2, 10, 7}},
		{"negative zero label", "1,-0\n2,-0.0\n", []float64{1, 2}, []float64{0, 0}},
		{"label 2^53", "1,9007199254740992\n", []float64{1}, []float64{1 << 53}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := readCSV("t.csv", strings.NewReader(tc.in), 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := wellFormed(s); err != nil {
				t.Fatal(err)
			}
			if got := s.X.RawMatrix().Data; !slices.Equal(got, tc.x) {
				t.Errorf("X = %v, want %v", got, tc.x)
			}
			if got := s.Y.RawMatrix().Data; !slices.Equal(got, tc.y) {
				t.Errorf("Y = %v, want %v", got, tc.y)
			}
		})
	}
}

func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", []string{"empty file"}},
		{"blank lines only", "\n\r\n  \n", []string{"empty file"}},
		{"bom only", "\ufeff", []string{"empty file"}},
		{"header only", "a,b,y\n", []string{"header line only"}},
		{"one column", "1\n0\n", []string{"line 1", "at least 2 columns"}},
		{"one column header", "label\n1\n", []string{"line 1", "at least 2 columns"}},
		{"ragged short", "1,2,0\n3,1\n", []string{"line 2", "expected 3 fields, got 2"}},
		{"ragged long", "x,y,l\n1,2,0\n1,2,3,1\n", []string{"line 3", "expected 3 fields, got 4"}},
		{"not a number", "1,2,0\n3,x,1\n", []string{"line 2, column 2", `"x" is not a number`}},
		{"nan", "1,2,0\nnan,2,1\n", []string{"line 2, column 1", `"nan"`, "not finite"}},
		{"inf", "1,-Inf,0\n", []string{"line 1, column 2", "not finite"}},
		{"overflow", "1,1e999,0\n", []string{"line 1, column 2", "not finite"}},
		{"label 2.5", "1,2,2.5\n", []string{"line 1, column 3", `label "2.5" is not a class (an integer from 0 to 2^53)`}},
		{"label -1", "1,2,0\n1,2,-1\n", []string{"line 2, column 3", `label "-1" is not a class`}},
		{"label past 2^53", "1,2,1e300\n", []string{"line 1, column 3", `label "1e300" is not a class`}},
		{"label inf", "1,2,inf\n", []string{"line 1, column 3", `label "inf" is not a class`}},
		{"label text", "1,2,0\n1,2,yes\n", []string{"line 2, column 3", `label "yes"`}},
		{"label nan", "1,2,0\n1,2,NaN\n", []string{"line 2", `label "NaN"`}},
		{"line after blank", "1,0\n\n2,7.5\n", []string{"line 3", `label "7.5"`}},
		{"line after bom header", "\ufeffx,y\n1,0\n2,-5\n", []string{"line 3", `label "-5"`}},
		{"bare quote", "1,0\n1,2\"x,0\n", []string{"line 2, column", "bare"}},
		{"semicolons", "1;2;0\n3;4;1\n", []string{"line 1", "separator must be a comma", "semicolons"}},
		{"semicolon header", "x1;x2;y\n1;2;0\n", []string{"line 1", "separator must be a comma", "semicolons"}},
		{"semicolons, decimal commas", "x1;x2;y\n1,5;2,0;0\n", []string{"separator must be a comma", "semicolons"}},
		{"semicolon row after comma header", "x1,x2,y\n1;2;0\n", []string{"line 2", "expected 3 fields, got 1", "semicolons"}},
		{"tabs", "1\t2\t0\n3\t4\t1\n", []string{"line 1", "separator must be a comma", "tabs"}},
		{"tab header", "x1\tx2\ty\n1\t2\t0\n", []string{"line 1", "separator must be a comma", "tabs"}},
		{"header only crlf", "x1,x2,y\r\n", []string{"header line only"}},
		{"header then blanks", "x1,x2,y\n\n  \n", []string{"header line only"}},
		{"blank lines crlf", "\r\n\r\n", []string{"empty file"}},
		{"trailing comma", "1,2,0,\n3,4,1,\n", []string{"line 1, column 4", "empty field", "trailing comma"}},
		{"trailing comma after header", "x1,x2,y,\n1,2,0,\n", []string{"line 2, column 4", "trailing comma"}},
		{"empty field", "1,,0\n", []string{"line 1, column 2", "empty field"}},
		{"quoted empty field", "1,\"\",0\n", []string{"line 1, column 2", "empty field"}},
		{"NUL byte", "1,2,0\n3,4\x00,1\n", []string{"line 2, column 2", "NUL byte"}},
		{"NUL in header", "x\x00,y\n1,0\n", []string{"line 1, column 1", "NUL byte"}},
		{"UTF-16 LE", "\xff\xfe1\x00,\x000\x00\n\x00", []string{"UTF-16 is not supported; save as UTF-8"}},
		{"UTF-16 BE", "\xfe\xff\x001\x00,\x000\x00\n", []string{"UTF-16 is not supported; save as UTF-8"}},
		{"UTF-16 without BOM", "1\x00,\x000\x00\n\x00", []string{"line 1, column 1", "NUL byte", "UTF-16"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readCSV("t.csv", strings.NewReader(tc.in), 0)
			checkError(t, err, append([]string{"t.csv: "}, tc.want...)...)
		})
	}
}

func TestLoadFiles(t *testing.T) {
	x := []float64{0.5, -1.25, 3.0, 1e-3, 2.5e10, 1.0, 2.0, -3.5, 0.1, -7.0}
	x32 := make([]float64, len(x))
	for i, v := range x {
		x32[i] = float64(float32(v))
	}
	y := []float64{0, 1, 1, 0, 1}
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "small.CSV")
	var b strings.Builder
	b.WriteString("f1,f2,label\n")
	for j := range 5 {
		fmt.Fprintf(&b, "%v,%v,%v\n", x[j], x[5+j], y[j])
	}
	if err := os.WriteFile(csvPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		x    []float64
	}{
		{"testdata/small_f64.npz", x},
		{"testdata/small_compressed.npz", x},
		{"testdata/small_f32.npz", x32},
		{"testdata/labels_uint8.npz", x}, // Y as numpy's uint8

		{csvPath, x},
	}
	for _, tc := range tests {
		s, err := Load(tc.path)
		if err != nil {
			t.Errorf("%s: %v", tc.path, err)
			continue
		}
		if err := wellFormed(s); err != nil {
			t.Errorf("%s: %v", tc.path, err)
		}
		if s.Features() != 2 || s.Examples() != 5 ||
			!slices.Equal(s.X.RawMatrix().Data, tc.x) || !slices.Equal(s.Y.RawMatrix().Data, y) {
			t.Errorf("%s: got X %v Y %v", tc.path, mat.Formatted(s.X), mat.Formatted(s.Y))
		}
	}
}

func TestLoadPathErrors(t *testing.T) {
	dir := t.TempDir()
	asDir := filepath.Join(dir, "folder.csv")
	if err := os.Mkdir(asDir, 0o755); err != nil {
		t.Fatal(err)
	}
	npzDir := filepath.Join(dir, "folder.npz")
	if err := os.Mkdir(npzDir, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want []string
	}{
		{filepath.Join(dir, "missing.csv"), []string{"missing.csv", "no such file"}},
		{filepath.Join(dir, "missing.npz"), []string{"missing.npz", "no such file"}},
		{asDir, []string{asDir, "is a directory"}},
		{npzDir, []string{npzDir, "is a directory"}},
		{"data.txt", []string{"data.txt", `".txt"`, ".csv or .npz"}},
		{"noext", []string{"noext", ".csv or .npz"}},
	}
	for _, tc := range tests {
		_, err := Load(tc.path)
		checkError(t, err, tc.want...)
	}
}

// array is one entry for npzBytes.
type array struct {
	key   string
	shape []int
	data  []float64
}

// npzBytes writes the given arrays into an archive.
func npzBytes(t testing.TB, arrays ...array) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := npz.NewWriter(&buf)
	for _, a := range arrays {
		if err := w.WriteArray(a.key, a.shape, a.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func loadNPZBytes(data []byte, limit int64) (*Set, error) {
	r, err := npz.NewReader("t.npz", bytes.NewReader(data), int64(len(data)), limit)
	if err != nil {
		return nil, err
	}
	return readNPZ("t.npz", r, 0)
}

// npzReader opens an archive held in memory as "t.npz", with fuzzLimit.
func npzReader(data []byte) (*npz.Reader, error) {
	return npz.NewReader("t.npz", bytes.NewReader(data), int64(len(data)), fuzzLimit)
}

func TestReadNPZErrors(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6} // (2, 3)
	y := []float64{0, 1, 0}
	good := npzBytes(t, array{"X", []int{2, 3}, x}, array{"Y", []int{1, 3}, y})
	if s, err := loadNPZBytes(good, fuzzLimit); err != nil || wellFormed(s) != nil {
		t.Fatalf("good archive: %v", err)
	}
	tests := []struct {
		name  string
		data  []byte
		limit int64
		want  []string
	}{
		{"not a zip", []byte("X,Y\n1,0\n"), fuzzLimit, []string{"not a valid .npz"}},
		{"truncated", good[:len(good)-30], fuzzLimit, []string{"not a valid .npz"}},
		{"missing X", npzBytes(t, array{"Y", []int{1, 3}, y}), fuzzLimit, []string{`array "X" missing`, "only Y"}},
		{"missing Y", npzBytes(t, array{"X", []int{2, 3}, x}), fuzzLimit, []string{`array "Y" missing`}},
		{"empty archive", npzBytes(t), fuzzLimit, []string{`array "X" missing`, "no arrays"}},
		{"X rank 1", npzBytes(t, array{"X", []int{6}, x}, array{"Y", []int{1, 3}, y}), fuzzLimit, []string{`"X"`, "(6,)", "rank 1"}},
		{"X rank 3", npzBytes(t, array{"X", []int{1, 2, 3}, x}, array{"Y", []int{1, 3}, y}), fuzzLimit, []string{`"X"`, "rank 3"}},
		{"Y column", npzBytes(t, array{"X", []int{2, 3}, x}, array{"Y", []int{3, 1}, y}), fuzzLimit, []string{`"Y"`, "(3, 1)", "want (1, 3) or (3,)"}},
		{"Y rank 1 too long", npzBytes(t, array{"X", []int{2, 3}, x}, array{"Y", []int{6}, x}), fuzzLimit, []string{`"Y"`, "(6,)", "want (1, 3) or (3,)"}},
		{"Y two rows, not one-hot", npzBytes(t, array{"X", []int{2, 3}, x}, array{"Y", []int{2, 3}, x}), fuzzLimit, []string{`"Y"`, "element (1, 0) is 4, want 0 or 1 (one-hot labels)"}},
		{"Y one-hot of another m", npzBytes(t, array{"X", []int{2, 3}, x}, array{"Y", []int{3, 2}, x}), fuzzLimit,
			[]string{`"Y"`, "shape (3, 2), want (1, 3) or (3,) of class labels, or (K, 3) of one-hot labels of K classes, to match X (2, 3)"}},
		{"Y rank 3", npzBytes(t, array{"X", []int{2, 3}, x}, array{"Y", []int{1, 1, 3}, y}), fuzzLimit, []string{`"Y"`, "shape (1, 1, 3)"}},
		{"Y empty one-hot", npzBytes(t, array{"X", []int{2, 3}, x}, array{"Y", []int{0, 3}, nil}), fuzzLimit, []string{`"Y"`, "shape (0, 3)"}},
		{"m disagrees", npzBytes(t, array{"X", []int{3, 2}, x}, array{"Y", []int{1, 3}, y}), fuzzLimit, []string{`"Y"`, "want (1, 2)", "X (3, 2)"}},
		{"m is zero", npzBytes(t, array{"X", []int{2, 0}, nil}, array{"Y", []int{1, 0}, nil}), fuzzLimit, []string{`"X"`, "m = 0"}},
		{"no features", npzBytes(t, array{"X", []int{0, 3}, nil}, array{"Y", []int{1, 3}, y}), fuzzLimit, []string{`"X"`, "n_x = 0"}},
		{"NaN", npzBytes(t, array{"X", []int{2, 3}, []float64{1, 2, 3, 4, math.NaN(), 6}}, array{"Y", []int{1, 3}, y}), fuzzLimit,
			[]string{`"X"`, "(1, 1)", "NaN"}},
		{"Inf", npzBytes(t, array{"X", []int{2, 3}, []float64{math.Inf(-1), 2, 3, 4, 5, 6}}, array{"Y", []int{1, 3}, y}), fuzzLimit,
			[]string{`"X"`, "(0, 0)", "-Inf"}},
		{"label", npzBytes(t, array{"X", []int{2, 3}, x}, array{"Y", []int{1, 3}, []float64{0, 1, 0.5}}), fuzzLimit,
			[]string{`"Y"`, "0.5", "example 2"}},
		{"over limit", good, 100, []string{`"X"`, "exceeds the limit of 100 bytes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadNPZBytes(tc.data, tc.limit)
			checkError(t, err, append([]string{"t.npz: "}, tc.want...)...)
		})
	}
}

func TestMaxArrayBytes(t *testing.T) {
	old := MaxArrayBytes
	t.Cleanup(func() { MaxArrayBytes = old })
	MaxArrayBytes = 64
	_, err := Load("testdata/small_f64.npz")
	checkError(t, err, "testdata/small_f64.npz", "exceeds the limit of 64 bytes")
}

func FuzzLoadCSV(f *testing.F) {
	f.Add([]byte("x1,x2,y\n1,2,0\n3,4,1\n"))
	f.Add([]byte("\xef\xbb\xbf1,0\r\n2,1\r\n"))
	f.Add([]byte("1;2;0\n"))
	f.Add([]byte("a\tb\n1\t2\n"))
	f.Add([]byte("1,2,0,\n"))
	f.Add([]byte("\xff\xfe1\x00,\x000\x00"))
	f.Add([]byte("1,\"2\n\",0\n\n1e39,3,1\n"))
	f.Add([]byte("x,y\n1,3\n2,0.0\n3,7\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Load's mode, and LoadUnlabelled's for 1 to 3 features.
		for features := range 4 {
			s, err := readCSV("fuzz.csv", bytes.NewReader(data), features)
			if err != nil {
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("error spans lines: %q", err)
				}
				continue
			}
			if features == 0 && s.Y == nil {
				t.Fatal("Load's mode gave no labels")
			}
			if features > 0 && s.Features() != features {
				t.Fatalf("%d features, want %d", s.Features(), features)
			}
			if err := wellFormedUnlabelled(s); err != nil {
				t.Fatal(err)
			}
			if err := s.CheckFloat32(); err != nil && strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
			checkSplit(t, s)
		}
	})
}

// checkSplit checks that a set of at least 2 examples splits into two
// well-formed sets that together hold its examples, with its classes, and
// that one of fewer examples is refused.
func checkSplit(t *testing.T, s *Set) {
	t.Helper()
	train, val, err := s.Split(0.5, 1)
	m := s.Examples()
	if m < 2 {
		if err == nil {
			t.Fatalf("split of %d examples accepted", m)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if train.Examples()+val.Examples() != m || train.Features() != s.Features() {
		t.Fatalf("split of %d×%d into %d×%d and %d×%d", s.Features(), m, train.Features(), train.Examples(), val.Features(), val.Examples())
	}
	for _, part := range []*Set{train, val} {
		if err := wellFormedUnlabelled(part); err != nil {
			t.Fatal(err)
		}
		if s.Y != nil && part.Classes() != s.Classes() {
			t.Fatalf("a part has %d classes, the set %d", part.Classes(), s.Classes())
		}
		if err := part.CheckFloat32(); err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("error spans lines: %q", err)
		}
	}
}

func FuzzLoadNPZ(f *testing.F) {
	f.Add(npztest.Archive(f, npztest.Entry{Key: "X", Descr: "|u1", Shape: "(2, 3)", Payload: []byte{1, 2, 3, 4, 5, 6}},
		npztest.Entry{Key: "Y", Descr: "|b1", Shape: "(3,)", Payload: []byte{0, 1, 0}}))
	f.Add(npztest.Archive(f, npztest.Entry{Key: "X", Descr: ">i8", Shape: "(1, 2)", Fortran: true, Payload: make([]byte, 16)},
		npztest.Entry{Key: "Y", Descr: "<i2", Shape: "(1, 2)", Payload: []byte{1, 0, 0, 0}}))
	f.Add(npzBytes(f, array{"X", []int{2, 2}, []float64{1, 1e39, 3, 4}}))
	f.Add(npztest.Archive(f, npztest.Entry{Key: "X", Descr: "|u1", Shape: "(1, 3)", Payload: []byte{1, 2, 3}},
		npztest.Entry{Key: "Y", Descr: "|u1", Shape: "(2, 3)", Payload: []byte{1, 0, 1, 0, 1, 0}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, features := range []int{0, 2} {
			r, err := npz.NewReader("t.npz", bytes.NewReader(data), int64(len(data)), fuzzLimit)
			var s *Set
			if err == nil {
				s, err = readNPZ("t.npz", r, features)
			}
			if err != nil {
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("error spans lines: %q", err)
				}
				continue
			}
			if features == 0 && s.Y == nil {
				t.Fatal("Load's mode gave no labels")
			}
			if err := wellFormedUnlabelled(s); err != nil {
				t.Fatal(err)
			}
			if err := s.CheckFloat32(); err != nil && strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
			checkSplit(t, s)
		}
	})
}
