package dataset

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/internal/npztest"
)

// x5 is the X entry, (2, 5), of the archives below.
var x5 = npztest.Entry{Key: "X", Descr: "<f8", Shape: "(2, 5)", Payload: npztest.Float64s(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)}

// The labels 0 3 1 2 3 in the dtypes and shapes numpy code writes them in.
func TestNPZMultiClassLabels(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	labels := []int64{0, 3, 1, 2, 3}
	want := []float64{0, 3, 1, 2, 3}
	tests := []npztest.Entry{
		{Descr: "|u1", Shape: "(5,)", Payload: npztest.Ints(le, 1, labels...)},
		{Descr: "|i1", Shape: "(1, 5)", Payload: npztest.Ints(le, 1, labels...)},
		{Descr: ">u2", Shape: "(5,)", Payload: npztest.Ints(be, 2, labels...)},
		{Descr: "<i8", Shape: "(1, 5)", Payload: npztest.Ints(le, 8, labels...)},
		{Descr: "<f8", Shape: "(5,)", Payload: npztest.Float64s(want...)},
		{Descr: "<f8", Shape: "(1, 5)", Payload: npztest.Float64s(0, 3, 1, 2, math.Copysign(3, 1))},
	}
	for _, y := range tests {
		y.Key = "Y"
		name := y.Descr + " " + y.Shape
		s, err := loadNPZBytes(npztest.Archive(t, x5, y), fuzzLimit)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if err := wellFormed(s); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if !slices.Equal(s.Y.RawMatrix().Data, want) || s.Classes() != 4 {
			t.Errorf("%s: Y %v, %d classes; want %v, 4", name, s.Y.RawMatrix().Data, s.Classes(), want)
		}
	}
}

// One-hot labels of K = 5 classes, of which the file uses 0, 2 and 3.
func TestNPZOneHot(t *testing.T) {
	classes := []int{2, 0, 3, 0, 2}
	const k, m = 5, 5
	oneHot := func(fortran bool) []byte {
		out := make([]byte, k*m)
		for j, c := range classes {
			if fortran {
				out[j*k+c] = 1
			} else {
				out[c*m+j] = 1
			}
		}
		return out
	}
	f8 := make([]float64, k*m)
	for j, c := range classes {
		f8[c*m+j] = 1
	}
	shape := fmt.Sprintf("(%d, %d)", k, m)
	tests := []npztest.Entry{
		{Descr: "|u1", Shape: shape, Payload: oneHot(false)},
		{Descr: "|b1", Shape: shape, Payload: oneHot(false)},
		{Descr: "|u1", Shape: shape, Fortran: true, Payload: oneHot(true)},
		{Descr: "<f8", Shape: shape, Payload: npztest.Float64s(f8...)},
	}
	for _, y := range tests {
		y.Key = "Y"
		name := fmt.Sprintf("%s fortran=%v", y.Descr, y.Fortran)
		s, err := loadNPZBytes(npztest.Archive(t, x5, y), fuzzLimit)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if err := wellFormed(s); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if !slices.Equal(s.Y.RawMatrix().Data, []float64{2, 0, 3, 0, 2}) {
			t.Errorf("%s: Y %v", name, s.Y.RawMatrix().Data)
		}
		if s.Classes() != k {
			t.Errorf("%s: %d classes, want the file's %d", name, s.Classes(), k)
		}
		if got := s.Where(3); got != `t.npz: array "Y" column 3` {
			t.Errorf("%s: Where(3) = %q", name, got)
		}
	}
}

func TestNPZOneHotErrors(t *testing.T) {
	le := binary.LittleEndian
	x := npztest.Entry{Key: "X", Descr: "<f8", Shape: "(1, 4)", Payload: npztest.Float64s(1, 2, 3, 4)}
	tests := []struct {
		name string
		y    npztest.Entry
		want string
	}{
		// Columns 0 to 3 of a (2, 4) one-hot matrix, row by row.
		{"column sums to 2", npztest.Entry{Descr: "|u1", Shape: "(2, 4)", Payload: []byte{1, 0, 1, 0, 0, 1, 1, 1}},
			`t.npz: array "Y": column 2 sums to 2, want 1 (one-hot labels)`},
		{"column sums to 0", npztest.Entry{Descr: "|b1", Shape: "(2, 4)", Payload: []byte{1, 0, 0, 0, 0, 1, 0, 1}},
			`t.npz: array "Y": column 2 sums to 0, want 1 (one-hot labels)`},
		{"value 2", npztest.Entry{Descr: "|u1", Shape: "(2, 4)", Payload: []byte{1, 0, 0, 0, 0, 2, 1, 1}},
			`t.npz: array "Y": element (1, 1) is 2, want 0 or 1 (one-hot labels)`},
		{"value -1", npztest.Entry{Descr: "|i1", Shape: "(2, 4)", Payload: npztest.Ints(le, 1, 1, 0, 0, 0, 0, 1, -1, 1)},
			`t.npz: array "Y": element (1, 2) is -1, want 0 or 1`},
		{"value 0.5", npztest.Entry{Descr: "<f8", Shape: "(2, 4)", Payload: npztest.Float64s(1, 0, 0.5, 0, 0, 1, 0.5, 1)},
			`t.npz: array "Y": element (0, 2) is 0.5, want 0 or 1`},
		{"value NaN", npztest.Entry{Descr: "<f8", Shape: "(2, 4)", Payload: npztest.Float64s(1, math.NaN(), 0, 0, 0, 1, 1, 1)},
			`t.npz: array "Y": element (0, 1) is NaN, want 0 or 1`},
		{"too many values", npztest.Entry{Descr: "|u1", Shape: "(3, 4)", Payload: make([]byte, 12)},
			`t.npz: array "Y": shape (3, 4) holds more than the limit of 10 values (MaxValues)`},
	}
	old := MaxValues
	t.Cleanup(func() { MaxValues = old })
	MaxValues = 10
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.y.Key = "Y"
			_, err := loadNPZBytes(npztest.Archive(t, x, tc.y), fuzzLimit)
			checkError(t, err, tc.want)
		})
	}
}

func TestClasses(t *testing.T) {
	x := mat.NewDense(1, 4, nil)
	tests := []struct {
		name string
		y    []float64 // nil: no labels
		k    int
		want int
	}{
		{"no labels", nil, 0, 2},
		{"one class", []float64{0, 0, 0, 0}, 0, 2},
		{"binary", []float64{0, 1, 1, 0}, 0, 2},
		{"largest plus one", []float64{0, 5, 1, 0}, 0, 6},
		{"not classes ignored", []float64{-1, 0.5, math.NaN(), 3}, 0, 4},
		{"given more", []float64{0, 1, 1, 0}, 7, 7},
		{"labels beyond those given", []float64{0, 9, 1, 0}, 7, 10},
	}
	for _, tc := range tests {
		s := &Set{X: x, k: tc.k}
		if tc.y != nil {
			s.Y = mat.NewDense(1, 4, tc.y)
		}
		if got := s.Classes(); got != tc.want {
			t.Errorf("%s: Classes() = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestCheckBinaryAndWhere(t *testing.T) {
	const hint = ": label 2 is not 0 or 1 (a sigmoid output tells two classes apart)"
	fromCSV := func(in string, features int) func(t *testing.T) *Set {
		return func(t *testing.T) *Set {
			s, err := readCSV("t.csv", strings.NewReader(in), features)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	fromNPZ := func(y npztest.Entry) func(t *testing.T) *Set {
		return func(t *testing.T) *Set {
			y.Key = "Y"
			s, err := loadNPZBytes(npztest.Archive(t, x5, y), fuzzLimit)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	inCode := func(t *testing.T) *Set {
		return &Set{X: mat.NewDense(1, 5, nil), Y: mat.NewDense(1, 5, []float64{0, 1, 0, 2, 1})}
	}
	replacedX := func(t *testing.T) *Set {
		s := fromCSV("x,y\n1,0\n2,1\n3,0\n4,2\n5,1\n", 0)(t)
		s.X = mat.NewDense(2, 5, nil)
		return s
	}
	oneHot := []byte{ // classes 0 1 0 2 1
		1, 0, 1, 0, 0,
		0, 1, 0, 0, 1,
		0, 0, 0, 1, 0,
	}
	tests := []struct {
		name   string
		set    func(t *testing.T) *Set
		where1 string // Where(1)
		binary string // CheckBinary's error; "": none
	}{
		{"csv", fromCSV("x,y\n1,0\n\n2,1\n3,0\n4,2\n5,1\n", 0), "t.csv: line 4, column 2", "t.csv: line 6, column 2" + hint},
		{"csv binary", fromCSV("1,2,0\n3,4,1\n", 0), "t.csv: line 2, column 3", ""},
		{"csv unlabelled", fromCSV("1\n2\n", 1), "t.csv: line 2", ""},
		{"npz row", fromNPZ(npztest.Entry{Descr: "|u1", Shape: "(1, 5)", Payload: []byte{0, 1, 0, 2, 1}}),
			`t.npz: array "Y" element (0, 1)`, `t.npz: array "Y" element (0, 3)` + hint},
		{"npz vector", fromNPZ(npztest.Entry{Descr: "<f8", Shape: "(5,)", Payload: npztest.Float64s(0, 1, 0, 2, 1)}),
			`t.npz: array "Y" element (1,)`, `t.npz: array "Y" element (3,)` + hint},
		{"npz one-hot", fromNPZ(npztest.Entry{Descr: "|u1", Shape: "(3, 5)", Payload: oneHot}),
			`t.npz: array "Y" column 1`, `t.npz: array "Y" column 3` + hint},
		{"npz unlabelled", func(t *testing.T) *Set {
			r, err := npzReader(npztest.Archive(t, x5))
			if err != nil {
				t.Fatal(err)
			}
			s, err := readNPZ("t.npz", r, 2)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, `t.npz: array "X" column 1`, ""},
		{"built in code", inCode, "example 1", "example 3" + hint},
		{"X replaced", replacedX, "example 1", "example 3" + hint},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.set(t)
			if got := s.Where(1); got != tc.where1 {
				t.Errorf("Where(1) = %q, want %q", got, tc.where1)
			}
			if got := s.Where(99); got != "example 99" {
				t.Errorf("Where(99) = %q", got)
			}
			err := s.CheckBinary()
			if tc.binary == "" {
				if err != nil {
					t.Errorf("CheckBinary: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tc.binary {
				t.Errorf("CheckBinary: %v, want %s", err, tc.binary)
			}
		})
	}
}

// csv10 is a CSV file of 10 examples, one per line from line 2: feature
// 10·j, label j%2, except example 8 with label 7 and example 9 with a
// feature beyond float32.
func csv10(t *testing.T) *Set {
	var b strings.Builder
	b.WriteString("x,y\n")
	for j := range 10 {
		label, x := j%2, fmt.Sprint(10*j)
		if j == 8 {
			label = 7
		}
		if j == 9 {
			x = "1e39"
		}
		fmt.Fprintf(&b, "%s,%d\n", x, label)
	}
	s, err := readCSV("t.csv", strings.NewReader(b.String()), 0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSplit(t *testing.T) {
	s := csv10(t)
	before := mat.DenseCopyOf(s.X)
	train, val, err := s.Split(0.3, 0)
	if err != nil {
		t.Fatal(err)
	}
	// np.random.RandomState(0).permutation(10) is 2 8 4 9 1 6 7 3 0 5.
	valCols, trainCols := []int{2, 8, 4}, []int{9, 1, 6, 7, 3, 0, 5}
	for _, part := range []struct {
		name string
		set  *Set
		cols []int
	}{{"val", val, valCols}, {"train", train, trainCols}} {
		if part.set.Examples() != len(part.cols) || part.set.Features() != 1 {
			t.Fatalf("%s: %d×%d", part.name, part.set.Features(), part.set.Examples())
		}
		for j, c := range part.cols {
			if x, y := part.set.X.At(0, j), part.set.Y.At(0, j); x != s.X.At(0, c) || y != s.Y.At(0, c) {
				t.Errorf("%s example %d: (%v, %v), want example %d of the file (%v, %v)", part.name, j, x, y, c, s.X.At(0, c), s.Y.At(0, c))
			}
			if got, want := part.set.Where(j), s.Where(c); got != want {
				t.Errorf("%s: Where(%d) = %q, want %q", part.name, j, got, want)
			}
		}
		if part.set.Classes() != 8 {
			t.Errorf("%s: %d classes, want the whole set's 8", part.name, part.set.Classes())
		}
	}
	// The errors name the file's lines: example 8 on line 10, 9 on line 11.
	checkError(t, val.CheckBinary(), "t.csv: line 10, column 2: label 7 is not 0 or 1")
	checkError(t, train.CheckFloat32(), "t.csv: line 11, column 1: 1e+39 is beyond float32's range")
	if err := val.CheckFloat32(); err != nil {
		t.Errorf("val CheckFloat32: %v", err)
	}
	if !mat.Equal(s.X, before) {
		t.Error("Split modified the set")
	}
	train.X.Set(0, 0, -1)
	if s.X.At(0, 9) != before.At(0, 9) {
		t.Error("the training set shares memory with the set")
	}

	// A split of a split still names the file's lines.
	t2, v2, err := val.Split(0.5, 7)
	if err != nil {
		t.Fatal(err)
	}
	if t2.Examples()+v2.Examples() != 3 {
		t.Errorf("split of 3 into %d and %d", t2.Examples(), v2.Examples())
	}
	for _, part := range []*Set{t2, v2} {
		for j := range part.Examples() {
			if w := part.Where(j); !slices.Contains([]string{"t.csv: line 4, column 2", "t.csv: line 10, column 2", "t.csv: line 6, column 2"}, w) {
				t.Errorf("Where(%d) = %q", j, w)
			}
		}
	}

	// The same seed gives the same split; seeds are taken modulo 2^32.
	a, _, _ := s.Split(0.5, -1)
	b, _, _ := s.Split(0.5, 1<<32-1)
	if !mat.Equal(a.X, b.X) {
		t.Error("seeds -1 and 2^32-1 split differently")
	}
	c, _, _ := s.Split(0.5, 1)
	if mat.Equal(a.X, c.X) {
		t.Error("seeds 1 and 2^32-1 split the same way")
	}

	// An .npz set names its elements.
	y := npztest.Entry{Key: "Y", Descr: "|u1", Shape: "(5,)", Payload: []byte{0, 1, 0, 2, 1}}
	n, err := loadNPZBytes(npztest.Archive(t, x5, y), fuzzLimit)
	if err != nil {
		t.Fatal(err)
	}
	// np.random.RandomState(7).permutation(5) is 0 3 2 1 4.
	_, nv, err := n.Split(0.4, 7)
	if err != nil {
		t.Fatal(err)
	}
	checkError(t, nv.CheckBinary(), `t.npz: array "Y" element (3,): label 2 is not 0 or 1`)

	// A set without labels splits too.
	u, err := readCSV("t.csv", strings.NewReader("1\n2\n3\n"), 1)
	if err != nil {
		t.Fatal(err)
	}
	ut, uv, err := u.Split(0.5, 0)
	if err != nil || ut.Y != nil || uv.Y != nil || ut.Examples()+uv.Examples() != 3 {
		t.Errorf("unlabelled split: %v %v %v", ut, uv, err)
	}
}

func TestSplitErrors(t *testing.T) {
	s := csv10(t)
	one := &Set{X: mat.NewDense(1, 1, nil), Y: mat.NewDense(1, 1, nil)}
	tests := []struct {
		set  *Set
		frac float64
		want string
	}{
		{s, 1.5, "split fraction 1.5: want a value in (0, 1)"},
		{s, 1, "split fraction 1: want a value in (0, 1)"},
		{s, 0, "split fraction 0: want a value in (0, 1)"},
		{s, -0.2, "split fraction -0.2: want a value in (0, 1)"},
		{s, math.NaN(), "split fraction NaN: want a value in (0, 1)"},
		{s, 0.04, "split fraction 0.04 of 10 examples holds out 0, want at least 1 and at most 9"},
		{s, 0.96, "split fraction 0.96 of 10 examples holds out 10, want at least 1 and at most 9"},
		{one, 0.5, "split fraction 0.5 of 1 examples holds out 1, want at least 1 and at most 0"},
	}
	for _, tc := range tests {
		train, val, err := tc.set.Split(tc.frac, 0)
		if err == nil || err.Error() != tc.want || train != nil || val != nil {
			t.Errorf("Split(%v): %v, want %s", tc.frac, err, tc.want)
		}
	}
}
