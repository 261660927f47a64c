package dataset

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/internal/nprand"
)

// Set is a classification data set with examples as columns.
type Set struct {
	// X holds the features, (n_x, m).
	X *mat.Dense
	// Y holds the class labels, (1, m): integers 0, 1, 2, … (0 and 1 for a
	// binary task), whatever form the file gave them in. It is nil only in
	// a set that LoadUnlabelled read from a file without labels; every
	// other set has one.
	Y *mat.Dense

	// k is the number of classes the set was given, beyond those its labels
	// show: K of a one-hot Y, or the classes of the set Split divided; 0
	// when none was given.
	k int

	// src records where the examples came from, for the errors of
	// CheckFloat32, CheckBinary and Where; nil for a set built in code.
	src *origin
}

// Label layouts of an .npz file's Y, for naming a label's place.
const (
	yRow    = iota // (1, m): element (0, j)
	yVector        // (m,): element (j,)
	yOneHot        // (K, m): column j
)

// origin records the file a Set was read from and, for a CSV file, the line
// of each example, as runs of examples on consecutive lines. A set made by
// Split shares its file's runs and maps its examples to the file's.
type origin struct {
	file   string
	npz    bool
	ylay   int   // the layout of Y in an .npz file
	nx, m  int   // the shape of X of this set as made
	starts []int // the first example of each run, ascending
	lines  []int // the line of that example
	index  []int // the file's example of each example; nil: the same
}

// add records that example i, the next one, came from the given line.
func (o *origin) add(i, line int) {
	o.m = i + 1
	if k := len(o.starts) - 1; k >= 0 && o.lines[k]+(i-o.starts[k]) == line {
		return
	}
	o.starts = append(o.starts, i)
	o.lines = append(o.lines, line)
}

// example returns the file's example, its column in the file's X, that
// example i of the set is.
func (o *origin) example(i int) int {
	if o.index == nil {
		return i
	}
	return o.index[i]
}

// lineOf returns the line example i came from; o holds CSV lines.
func (o *origin) lineOf(i int) int {
	i = o.example(i)
	k := sort.Search(len(o.starts), func(k int) bool { return o.starts[k] > i }) - 1
	return o.lines[k] + (i - o.starts[k])
}

// current returns the set's origin when it still describes X: nil for a set
// built in code, or one whose X has been replaced by another shape.
func (s *Set) current() *origin {
	if o := s.src; o != nil && s.X != nil {
		if r, c := s.X.Dims(); o.nx == r && o.m == c {
			return o
		}
	}
	return nil
}

// Features returns n_x, the number of features per example.
func (s *Set) Features() int {
	r, _ := s.X.Dims()
	return r
}

// Examples returns m, the number of examples.
func (s *Set) Examples() int {
	_, c := s.X.Dims()
	return c
}

// maxLabel is 2^53, the largest label a loader accepts: past it float64
// does not hold every integer, so labels could not be told apart.
const maxLabel = 1 << 53

// isClass reports whether v is a class label a loader accepts: an integer
// from 0 to 2^53.
func isClass(v float64) bool {
	return v >= 0 && v <= maxLabel && v == math.Trunc(v)
}

// Classes returns the number of classes of the set: its largest label plus
// one, at least 2, and at least K for a set whose .npz file held one-hot
// labels of K classes, or the classes of the set Split divided. Labels
// that are not classes (negative, fractional, not finite; only a set built
// in code holds them) are ignored, and a set without labels has 2. A file
// may hold a label as large as 2^53, so callers that allocate per class
// bound the result (engine.OneHot with k = 0 refuses labels past
// engine.MaxClasses).
func (s *Set) Classes() int {
	k := max(s.k, 2)
	if s.Y == nil {
		return k
	}
	raw := s.Y.RawMatrix()
	for i := range raw.Rows {
		for _, v := range raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols] {
			if isClass(v) && v >= float64(k) {
				k = int(v) + 1
			}
		}
	}
	return k
}

// Where returns where the label of the given example came from, as a
// prefix for an error about it (such as an engine.LabelError of a label
// the model has no class for): for a CSV file "file: line L, column C" (the
// label column; without labels "file: line L"), for an .npz file
// `file: array "Y" element (0, j)`, "element (j,)" or, for one-hot
// labels, "column j" (without labels `file: array "X" column j`), and
// "example j" for a set built in code, or one whose X has been replaced by
// another shape. Examples count from 0 in the order of the set; the place
// named is in the file, also for a set made by Split.
func (s *Set) Where(example int) string {
	o := s.current()
	if o == nil || example < 0 || example >= o.m {
		return fmt.Sprintf("example %d", example)
	}
	j := o.example(example)
	switch {
	case !o.npz && s.Y == nil:
		return fmt.Sprintf("%s: line %d", o.file, o.lineOf(example))
	case s.Y == nil:
		return fmt.Sprintf("%s: array \"X\" column %d", o.file, j)
	case !o.npz:
		return fmt.Sprintf("%s: line %d, column %d", o.file, o.lineOf(example), o.nx+1)
	case o.ylay == yVector:
		return fmt.Sprintf("%s: array \"Y\" element (%d,)", o.file, j)
	case o.ylay == yOneHot:
		return fmt.Sprintf("%s: array \"Y\" column %d", o.file, j)
	default:
		return fmt.Sprintf("%s: array \"Y\" element (0, %d)", o.file, j)
	}
}

// CheckBinary returns nil when every label is 0 or 1, as the sigmoid output
// needs, or when the set has no labels. Otherwise it returns a one-line
// error for the first label that is not, naming its place as Where does:
// "flower.csv: line 7, column 3: label 2 is not 0 or 1 (a sigmoid output
// tells two classes apart)".
func (s *Set) CheckBinary() error {
	if s.Y == nil {
		return nil
	}
	_, m := s.Y.Dims()
	for j := range m {
		if v := s.Y.At(0, j); v != 0 && v != 1 {
			return fmt.Errorf("%s: label %v is not 0 or 1 (a sigmoid output tells two classes apart)", s.Where(j), v)
		}
	}
	return nil
}

// CheckFloat32 returns nil when every value of X fits float32, that is
// |v| <= math.MaxFloat32, as the OpenCL backend computes in float32.
// Otherwise it returns a one-line error for the first value that does not, in
// the order of the examples, naming it as the loader counts: for a CSV file
// the file, line and column (header and blank lines counted); for an .npz file
// the file and the element (i, j) of array "X"; for a set built in code, or
// one whose X has been replaced by another shape, the element (i, j) of X.
func (s *Set) CheckFloat32() error {
	if s.X == nil {
		return nil
	}
	raw := s.X.RawMatrix()
	bi, bj := -1, raw.Cols
	for i := range raw.Rows {
		row := raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols]
		for j, v := range row[:bj] {
			if math.Abs(v) > math.MaxFloat32 {
				bi, bj = i, j
				break
			}
		}
	}
	if bi < 0 {
		return nil
	}
	v := raw.Data[bi*raw.Stride+bj]
	const why = "is beyond float32's range (±3.4e38); the OpenCL backend computes in float32"
	switch o := s.current(); {
	case o == nil:
		return fmt.Errorf("X element (%d, %d): %v %s", bi, bj, v, why)
	case o.npz:
		return fmt.Errorf("%s: array \"X\" element (%d, %d): %v %s", o.file, bi, o.example(bj), v, why)
	default:
		return fmt.Errorf("%s: line %d, column %d: %v %s", o.file, o.lineOf(bj), bi+1, v, why)
	}
}

// Split divides the set at random into a training set and a held-out
// validation set of round(frac·m) examples (rounded half away from zero),
// which must leave at least one example on each side. The order is numpy's
// legacy generator's: with p = np.random.RandomState(seed).permutation(m),
// val holds the examples p[:n_val] and train p[n_val:], in that order.
// numpy takes seeds 0 to 2^32−1; seed is reduced modulo 2^32. frac must be
// in (0, 1).
//
// Both sets keep the origin of their examples, so that CheckFloat32,
// CheckBinary and Where still name the file's lines and elements, and both
// have the classes of the whole set (Classes), though either may lack some
// of them. The set itself is not modified; the halves share no memory with
// it.
func (s *Set) Split(frac float64, seed int64) (train, val *Set, err error) {
	if !(frac > 0 && frac < 1) {
		return nil, nil, fmt.Errorf("split fraction %v: want a value in (0, 1)", frac)
	}
	m := s.Examples()
	nval := int(math.Round(frac * float64(m)))
	if nval < 1 || nval > m-1 {
		return nil, nil, fmt.Errorf("split fraction %v of %d examples holds out %d, want at least 1 and at most %d", frac, m, nval, max(m-1, 0))
	}
	perm := nprand.New(uint32(seed)).Permutation(m)
	return s.subset(perm[nval:]), s.subset(perm[:nval]), nil
}

// subset returns the examples cols of s, in that order, as a new set.
func (s *Set) subset(cols []int) *Set {
	nx := s.Features()
	x := mat.NewDense(nx, len(cols), nil)
	for j, c := range cols {
		for i := range nx {
			x.Set(i, j, s.X.At(i, c))
		}
	}
	out := &Set{X: x}
	if s.Y != nil {
		k := s.Classes()
		y := mat.NewDense(1, len(cols), nil)
		for j, c := range cols {
			y.Set(0, j, s.Y.At(0, c))
		}
		out.Y, out.k = y, k
	}
	if o := s.current(); o != nil {
		sub := *o
		sub.m = len(cols)
		sub.index = make([]int, len(cols))
		for j, c := range cols {
			sub.index[j] = o.example(c)
		}
		out.src = &sub
	}
	return out
}

// MaxArrayBytes bounds the uncompressed size of each array entry Load accepts
// in an .npz file, and the size of the float64 array made of it. The size
// every entry declares is checked before anything is decompressed, and reads
// never go past it.
var MaxArrayBytes int64 = 4 << 30

// MaxLineBytes bounds the length of one line of a CSV file: the bytes before
// the "\n" that ends it, a CR of a CRLF line end included. A longer line is
// refused as soon as this many bytes of it have been read, so that a file
// without line ends (a binary file, /dev/zero) fails fast.
var MaxLineBytes int64 = 1 << 20

// MaxCSVBytes bounds the number of bytes read from a CSV file: a larger
// regular file is refused before it is read, and a pipe or device as soon as
// more has come.
var MaxCSVBytes int64 = 4 << 30

// MaxValues bounds the number of feature values, n_x × m, that Load and
// LoadUnlabelled accept from one file, checked before X is allocated (for an
// .npz file, against the shape it declares). The default, 2^29, is 4 GiB of
// float64, the budget of MaxArrayBytes.
var MaxValues = 1 << 29

// Load reads a data set from a .csv or .npz file, chosen by the extension of
// path (in any letter case).
//
// A CSV file holds one example per row: the features, then the class label
// in the last column, separated by commas. A label is an integer from 0 to
// 2^53, written as such or with a zero fraction ("3" or "3.0"); for a
// binary task it is 0 or 1, which Set.CheckBinary checks. An optional header line (a first
// line with a field that is neither empty nor a number), a UTF-8 byte order
// mark, quoted fields, CRLF line ends and blank lines are accepted; other
// separators, empty fields, NUL bytes and UTF-16 are refused. path may also
// name a named pipe or a character device, read to its end as a stream. A CSV
// file is read within MaxLineBytes, MaxCSVBytes and MaxValues.
//
// An .npz file, as written by numpy's savez or savez_compressed, holds the
// arrays X (n_x, m) and Y. X may be float64 or float32, or an integer or bool
// type. Y holds the class labels as (1, m) or (m,), of any of those types,
// with values that are integers from 0 to 2^53; or one-hot labels of K ≥ 2
// classes as (K, m), each column holding one 1 and zeros, which become the
// labels 0 … K−1 (Set.Classes keeps K). Integers beyond ±2^53 are refused.
// Each array is read within MaxArrayBytes, and X and a one-hot Y within
// MaxValues.
//
// Values beyond float32's range are accepted; see Set.CheckFloat32.
//
// Every error is one line naming the file and, where there is one, the line,
// column or array at fault.
func Load(path string) (*Set, error) {
	return load(path, 0)
}

// LoadUnlabelled reads a data set whose labels are optional, such as the
// examples to predict on, from a .csv or .npz file as Load does, for a model
// that takes the given number of features.
//
// In a CSV file, rows of exactly features fields hold no labels, and the set's
// Y is nil; rows of features+1 fields end with a label, as for Load. Every row
// must have the same width, and any other width is an error naming both. An
// .npz file without an array "Y" holds no labels; with one, Y is checked as
// for Load. X must have features rows.
func LoadUnlabelled(path string, features int) (*Set, error) {
	if features < 1 {
		return nil, fmt.Errorf("%s: %d features asked for, want at least 1", path, features)
	}
	return load(path, features)
}

// load reads the file at path; features is 0 for Load and the number of
// features for LoadUnlabelled.
func load(path string, features int) (*Set, error) {
	switch ext := filepath.Ext(path); strings.ToLower(ext) {
	case ".csv":
		return loadCSVFile(path, features)
	case ".npz":
		return loadNPZFile(path, features)
	default:
		return nil, fmt.Errorf("%s: unsupported file type %q (want .csv or .npz)", path, ext)
	}
}
