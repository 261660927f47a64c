package dataset

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// Set is a binary-classification data set with examples as columns.
type Set struct {
	// X holds the features, (n_x, m).
	X *mat.Dense
	// Y holds the labels, 0 or 1, (1, m). It is nil only in a set that
	// LoadUnlabelled read from a file without labels; every other set has
	// one.
	Y *mat.Dense

	// src records where the examples came from, for CheckFloat32; nil for a
	// set built in code.
	src *origin
}

// origin records the file a Set was read from and, for a CSV file, the line
// of each example, as runs of examples on consecutive lines.
type origin struct {
	file   string
	npz    bool
	nx, m  int   // the shape of X as read
	starts []int // the first example of each run, ascending
	lines  []int // the line of that example
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

// lineOf returns the line example i came from; o holds CSV lines.
func (o *origin) lineOf(i int) int {
	k := sort.Search(len(o.starts), func(k int) bool { return o.starts[k] > i }) - 1
	return o.lines[k] + (i - o.starts[k])
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
	switch o := s.src; {
	case o == nil || o.nx != raw.Rows || o.m != raw.Cols:
		return fmt.Errorf("X element (%d, %d): %v %s", bi, bj, v, why)
	case o.npz:
		return fmt.Errorf("%s: array \"X\" element (%d, %d): %v %s", o.file, bi, bj, v, why)
	default:
		return fmt.Errorf("%s: line %d, column %d: %v %s", o.file, o.lineOf(bj), bi+1, v, why)
	}
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
// A CSV file holds one example per row: the features, then the label 0 or 1
// in the last column, separated by commas. An optional header line (a first
// line with a field that is neither empty nor a number), a UTF-8 byte order
// mark, quoted fields, CRLF line ends and blank lines are accepted; other
// separators, empty fields, NUL bytes and UTF-16 are refused. path may also
// name a named pipe or a character device, read to its end as a stream. A CSV
// file is read within MaxLineBytes, MaxCSVBytes and MaxValues.
//
// An .npz file, as written by numpy's savez or savez_compressed, holds the
// arrays X (n_x, m) and Y (1, m) or (m,). X may be float64 or float32, or an
// integer or bool type; Y may be any of those, holding only 0 and 1. Integers
// beyond ±2^53 are refused. Each array is read within MaxArrayBytes, and X
// within MaxValues.
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
