package dataset

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// loadCSVFile reads the CSV file at path.
func loadCSVFile(path string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return nil, err
	} else if st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory, not a CSV file", path)
	}
	return readCSV(path, f)
}

// readCSV parses a CSV data set from r; name is used in error messages.
func readCSV(name string, r io.Reader) (*Set, error) {
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true

	var (
		cols      int // fields per row, fixed by the first line
		header    bool
		features  []float64 // row-major (m, n_x)
		labels    []float64
		firstLine = true
	)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s: line %d, column %d: %v", name, pe.Line, pe.Column, pe.Err)
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a line of blanks
		}
		if firstLine {
			firstLine = false
			cols = len(rec)
			if cols < 2 {
				return nil, fmt.Errorf("%s: line %d: at least 2 columns needed (features, then a 0/1 label), found %d", name, line, cols)
			}
			if !allNumeric(rec) {
				header = true
				continue
			}
		}
		if len(rec) != cols {
			return nil, fmt.Errorf("%s: line %d: expected %d fields, got %d", name, line, cols, len(rec))
		}
		for c, field := range rec[:cols-1] {
			v, err := parseField(field)
			if err != nil {
				return nil, fmt.Errorf("%s: line %d, column %d: %q is not a number", name, line, c+1, field)
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s: line %d, column %d: feature %q is not finite", name, line, c+1, field)
			}
			features = append(features, v)
		}
		field := rec[cols-1]
		v, err := parseField(field)
		if err != nil || (v != 0 && v != 1) {
			return nil, fmt.Errorf("%s: line %d, column %d: label %q is not 0 or 1", name, line, cols, field)
		}
		labels = append(labels, v)
	}
	if len(labels) == 0 {
		if header {
			return nil, fmt.Errorf("%s: header line only, no examples", name)
		}
		return nil, fmt.Errorf("%s: empty file, no examples", name)
	}
	m, nx := len(labels), cols-1
	x := mat.NewDense(nx, m, nil)
	for i := range m {
		for k := range nx {
			x.Set(k, i, features[i*nx+k])
		}
	}
	return &Set{X: x, Y: mat.NewDense(1, m, labels)}, nil
}

// parseField parses one numeric field, ignoring surrounding blanks. Values
// beyond the float64 range come back as infinities, with no error.
func parseField(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if errors.Is(err, strconv.ErrRange) {
		err = nil
	}
	return v, err
}

// allNumeric reports whether every field of rec parses as a number.
func allNumeric(rec []string) bool {
	for _, f := range rec {
		if _, err := parseField(f); err != nil {
			return false
		}
	}
	return true
}
