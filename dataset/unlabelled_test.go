package dataset

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestReadCSVUnlabelled(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		features int
		x        []float64 // row-major (n_x, m)
		y        []float64 // nil: no labels
	}{
		{"no labels", "1,2\n3,4\n", 2, []float64{1, 3, 2, 4}, nil},
		{"no labels, header", "a,b\r\n1,2\r\n\r\n3,4\r\n", 2, []float64{1, 3, 2, 4}, nil},
		{"labelled", "a,b,y\n1,2,0\n3,4,1\n", 2, []float64{1, 3, 2, 4}, []float64{0, 1}},
		{"one feature", "1\n2\n", 1, []float64{1, 2}, nil},
		{"one feature labelled", "1,1\n2,0\n", 1, []float64{1, 2}, []float64{1, 0}},
		{"one feature, header", "x\n1\n", 1, []float64{1}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := readCSV("t.csv", strings.NewReader(tc.in), tc.features)
			if err != nil {
				t.Fatal(err)
			}
			if err := wellFormedUnlabelled(s); err != nil {
				t.Fatal(err)
			}
			if s.Features() != tc.features || !slices.Equal(s.X.RawMatrix().Data, tc.x) {
				t.Errorf("X = %v, want %v", mat.Formatted(s.X), tc.x)
			}
			if tc.y == nil {
				if s.Y != nil {
					t.Errorf("Y = %v, want nil", mat.Formatted(s.Y))
				}
			} else if s.Y == nil || !slices.Equal(s.Y.RawMatrix().Data, tc.y) {
				t.Errorf("Y = %v, want %v", s.Y, tc.y)
			}
		})
	}
}

func TestReadCSVUnlabelledErrors(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		features int
		want     []string
	}{
		{"too wide", "1,2,3,0\n", 2, []string{"line 1", "4 fields, want 2 (the features) or 3 (the features, then a class label)"}},
		{"too narrow", "\n1\n", 2, []string{"line 2", "1 fields, want 2", "or 3"}},
		{"header too wide", "a,b,c,d\n1,2\n", 2, []string{"line 1", "4 fields, want 2", "or 3"}},
		{"mixed widths", "1,2\n3,4,1\n", 2, []string{"line 2", "expected 2 fields, got 3"}},
		{"mixed widths, labelled first", "1,2,1\n3,4\n", 2, []string{"line 2", "expected 3 fields, got 2"}},
		{"bad label", "1,2,3.5\n", 2, []string{"line 1, column 3", `label "3.5" is not a class`}},
		{"semicolons", "1;2\n", 2, []string{"line 1", "separator must be a comma"}},
		{"semicolons, one feature", "1;2\n", 1, []string{"line 1: header; the field separator must be a comma", "semicolons"}},
		{"semicolons, one feature, header", "a;b\n1;2\n", 1, []string{"line 1: header;", "semicolons"}},
		{"tabs, one feature, header", "a\tb\n1\t2\n", 1, []string{"line 1: header;", "tabs"}},
		{"header only", "a,b\n", 2, []string{"header line only"}},
		{"empty", "", 2, []string{"empty file"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readCSV("t.csv", strings.NewReader(tc.in), tc.features)
			checkError(t, err, append([]string{"t.csv: "}, tc.want...)...)
		})
	}
}

func TestLoadUnlabelledFiles(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "predict.csv")
	if err := os.WriteFile(csvPath, []byte("f1,f2\n0.5,1\n-1.25,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := LoadUnlabelled(csvPath, 2)
	if err != nil || s.Y != nil || s.Examples() != 2 || s.X.At(0, 1) != -1.25 {
		t.Fatalf("CSV: %v %v", s, err)
	}
	// A labelled file loads as for Load.
	s, err = LoadUnlabelled("testdata/small_f64.npz", 2)
	if err != nil || s.Y == nil || wellFormed(s) != nil {
		t.Fatalf("labelled npz: %v", err)
	}
	_, err = LoadUnlabelled("testdata/small_f64.npz", 3)
	checkError(t, err, `testdata/small_f64.npz: array "X": shape (2, 5) has 2 features, want 3`)
	_, err = LoadUnlabelled(csvPath, 3)
	checkError(t, err, csvPath+": line 1: 2 fields, want 3 (the features) or 4")
	_, err = LoadUnlabelled(csvPath, 0)
	checkError(t, err, csvPath+": 0 features asked for, want at least 1")
	// Load takes the last column as labels: 1 and 2 are classes, but not
	// binary ones.
	s, err = Load(csvPath)
	if err != nil || s.Features() != 1 || !slices.Equal(s.Y.RawMatrix().Data, []float64{1, 2}) {
		t.Fatalf("Load: %v %v", s, err)
	}
	checkError(t, s.CheckBinary(), csvPath+": line 3, column 2: label 2 is not 0 or 1 (a sigmoid output tells two classes apart)")
}

func TestReadNPZUnlabelled(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6} // (2, 3)
	read := func(data []byte, features int) (*Set, error) {
		r, err := npzReader(data)
		if err != nil {
			return nil, err
		}
		return readNPZ("t.npz", r, features)
	}
	s, err := read(npzBytes(t, array{"X", []int{2, 3}, x}), 2)
	if err != nil || s.Y != nil || !slices.Equal(s.X.RawMatrix().Data, x) {
		t.Fatalf("no Y: %v %v", s, err)
	}
	if err := wellFormedUnlabelled(s); err != nil {
		t.Fatal(err)
	}
	s, err = read(npzBytes(t, array{"X", []int{2, 3}, x}, array{"Y", []int{3}, []float64{1, 0, 1}}), 2)
	if err != nil || s.Y == nil || !slices.Equal(s.Y.RawMatrix().Data, []float64{1, 0, 1}) {
		t.Fatalf("with Y: %v %v", s, err)
	}
	_, err = read(npzBytes(t, array{"X", []int{2, 3}, x}, array{"Y", []int{1, 3}, []float64{1, 2.5, 1}}), 2)
	checkError(t, err, `t.npz: array "Y": label 2.5 of example 1 is not a class`)
	_, err = read(npzBytes(t, array{"Y", []int{1, 3}, x[:3]}), 2)
	checkError(t, err, `t.npz: array "X" missing (want X (2, m), and optionally Y (1, m); the file holds only Y)`)
	_, err = read(npzBytes(t, array{"X", []int{3, 2}, x}), 2)
	checkError(t, err, `t.npz: array "X": shape (3, 2) has 3 features, want 2`)
}

// wellFormedUnlabelled is wellFormed for a set whose Y may be nil.
func wellFormedUnlabelled(s *Set) error {
	if s == nil || s.Y != nil {
		return wellFormed(s)
	}
	_, m := s.X.Dims()
	return wellFormed(&Set{X: s.X, Y: mat.NewDense(1, m, nil)})
}

func TestCheckFloat32(t *testing.T) {
	const why = "is beyond float32's range (±3.4e38); the OpenCL backend computes in float32"
	tests := []struct {
		name     string
		in       string
		features int
		want     string // "": no error
	}{
		{"fits", "1,-3.4028234663852886e38,0\n3.4028234663852886e38,2,1\n", 0, ""},
		{"header and blank lines counted", "x1,x2,y\n\n1,2,0\n\n3,1e39,1\n", 0, "t.csv: line 5, column 2: 1e+39 " + why},
		{"first example first", "1,2,0\n5,1e39,1\n-1e300,5,1\n", 0, "t.csv: line 2, column 2: 1e+39 "},
		{"lowest column of the example", "1,2,0\n-1e300,1e39,1\n", 0, "t.csv: line 2, column 1: -1e+300 "},
		{"just past float32", "1,0\n3.4028236e38,1\n", 0, "t.csv: line 2, column 1: 3.4028236e+38 "},
		{"quoted field over two lines", "1,\"2\n\",0\n\n1e308,3,1\n", 0, "t.csv: line 4, column 1: 1e+308 "},
		{"unlabelled", "a,b,c\n1,2,3\n1,2,1e308\n", 3, "t.csv: line 3, column 3: 1e+308 "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := readCSV("t.csv", strings.NewReader(tc.in), tc.features)
			if err != nil {
				t.Fatal(err)
			}
			err = s.CheckFloat32()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			checkError(t, err, tc.want)
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %q does not start with %q", err, tc.want)
			}
		})
	}

	y := []float64{0, 1, 0}
	s, err := loadNPZBytes(npzBytes(t, array{"X", []int{2, 3}, []float64{1, 2, 3, 4, 5, 1e308}}, array{"Y", []int{1, 3}, y}), fuzzLimit)
	if err != nil {
		t.Fatal(err)
	}
	checkError(t, s.CheckFloat32(), `t.npz: array "X" element (1, 2): 1e+308 `+why)
	s, err = loadNPZBytes(npzBytes(t, array{"X", []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}}, array{"Y", []int{1, 3}, y}), fuzzLimit)
	if err != nil || s.CheckFloat32() != nil {
		t.Fatalf("npz that fits: %v", err)
	}

	if err := Flower(FlowerSeed).CheckFloat32(); err != nil {
		t.Errorf("flower: %v", err)
	}
	code := &Set{X: mat.NewDense(2, 2, []float64{1, 2, 3, -math.MaxFloat64}), Y: mat.NewDense(1, 2, y[:2])}
	checkError(t, code.CheckFloat32(), "X element (1, 1): -1.7976931348623157e+308 "+why)

	// A loaded set whose X was replaced by one of another shape no longer
	// names lines.
	s, err = readCSV("t.csv", strings.NewReader("1,0\n1e39,1\n"), 0)
	if err != nil {
		t.Fatal(err)
	}
	s.X = mat.NewDense(1, 1, []float64{-1e39})
	if err := s.CheckFloat32(); err == nil || err.Error() != "X element (0, 0): -1e+39 "+why {
		t.Errorf("replaced X: %v", err)
	}
	// A view with a stride wider than its columns.
	wide := mat.NewDense(2, 3, []float64{1, 2, 1e39, 4, 5, 6})
	s = &Set{X: wide.Slice(0, 2, 0, 2).(*mat.Dense)}
	if err := s.CheckFloat32(); err != nil {
		t.Errorf("view: %v", err)
	}
}

func TestCheckFloat32File(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.csv")
	if err := os.WriteFile(path, []byte("x1,x2,y\n1,2,0\n\n1,2,1\n3,4,0\n5,6,1\n-1,1e39,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := path + ": line 7, column 2: 1e+39 is beyond float32's range (±3.4e38); the OpenCL backend computes in float32"
	if err := s.CheckFloat32(); err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
