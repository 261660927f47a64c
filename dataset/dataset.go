package dataset

import (
	"fmt"
	"path/filepath"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// Set is a labelled binary-classification data set with examples as columns.
type Set struct {
	// X holds the features, (n_x, m).
	X *mat.Dense
	// Y holds the labels, 0 or 1, (1, m).
	Y *mat.Dense
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

// MaxArrayBytes bounds the uncompressed size of each array entry Load accepts
// in an .npz file. The size every entry declares is checked before anything is
// decompressed, and reads never go past it.
var MaxArrayBytes int64 = 4 << 30

// Load reads a data set from a .csv or .npz file, chosen by the extension of
// path (in any letter case).
//
// A CSV file holds one example per row: the features, then the label 0 or 1
// in the last column. An optional header line (a first line whose fields are
// not all numbers), a UTF-8 byte order mark, CRLF line ends and blank lines are
// accepted.
//
// An .npz file, as written by numpy's savez or savez_compressed, holds the
// arrays X (n_x, m) and Y (1, m) as float64 or float32.
//
// Every error is one line naming the file and, where there is one, the line,
// column or array at fault.
func Load(path string) (*Set, error) {
	switch ext := filepath.Ext(path); strings.ToLower(ext) {
	case ".csv":
		return loadCSVFile(path)
	case ".npz":
		return loadNPZFile(path)
	default:
		return nil, fmt.Errorf("%s: unsupported file type %q (want .csv or .npz)", path, ext)
	}
}
