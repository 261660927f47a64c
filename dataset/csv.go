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

	"github.com/cltrain/cltrain/internal/npz"
	"gonum.org/v1/gonum/mat"
)

// loadCSVFile reads the CSV file at path. features is as for readCSV.
//
// A regular file larger than MaxCSVBytes is refused before it is read. A named
// pipe or a character device (a terminal, /dev/stdin, /dev/zero) is read as a
// stream until its end, through the same limits as a file: a stream with no
// line ends fails after MaxLineBytes bytes, an endless one after MaxCSVBytes.
// A slow writer is waited for, as any program reading a pipe does.
func loadCSVFile(path string, features int) (*Set, error) {
	// Stat before opening: opening a block device or a socket is pointless,
	// and a directory gives a clearer message here.
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	mode := st.Mode()
	switch {
	case mode.IsDir():
		return nil, fmt.Errorf("%s: is a directory, not a CSV file", path)
	case mode.IsRegular():
		if st.Size() > MaxCSVBytes {
			return nil, fmt.Errorf("%s: file of %d bytes exceeds the limit of %d bytes (MaxCSVBytes)", path, st.Size(), MaxCSVBytes)
		}
	case mode&os.ModeNamedPipe != 0, mode&os.ModeCharDevice != 0:
		// Read as a bounded stream.
	default:
		return nil, fmt.Errorf("%s: is %s, not a CSV file", path, npz.FileKind(mode))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCSV(path, f, features)
}

// limitError is the error of a limitReader; its text is complete.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }

// limitReader passes on at most maxTotal bytes of r, in lines of at most
// maxLine bytes (the line end not counted). Past either limit it fails, and
// keeps failing, with a limitError that names the file, and the line for the
// line limit.
type limitReader struct {
	r                 io.Reader
	name              string
	maxLine, maxTotal int64
	line              int64 // number of the line being read, from 1
	lineLen           int64 // bytes of that line read so far
	total             int64
	err               error
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	// Ask for at most one byte past the total limit, to see whether the
	// input goes past it.
	if rest := max(l.maxTotal-l.total, 0); int64(len(p)) > rest+1 {
		p = p[:rest+1]
	}
	n, err := l.r.Read(p)
	if over := l.total + int64(n) - max(l.maxTotal, 0); over > 0 {
		n -= int(over)
		l.err = &limitError{fmt.Sprintf("%s: more than the limit of %d bytes (MaxCSVBytes)", l.name, l.maxTotal)}
	}
	for data := p[:n]; len(data) > 0; {
		i := bytes.IndexByte(data, '\n')
		seg := int64(len(data))
		if i >= 0 {
			seg = int64(i)
		}
		if l.lineLen+seg > l.maxLine {
			n -= len(data) - int(max(l.maxLine-l.lineLen, 0))
			l.err = &limitError{fmt.Sprintf("%s: line %d: longer than the limit of %d bytes (MaxLineBytes); is it a CSV file?", l.name, l.line, l.maxLine)}
			break
		}
		if i < 0 {
			l.lineLen += seg
			break
		}
		l.line++
		l.lineLen = 0
		data = data[i+1:]
	}
	l.total += int64(n)
	if l.err != nil {
		return n, nil // the error comes with the next call
	}
	return n, err
}

// chunkLen is the number of values in each chunk of features that readCSV
// gathers; chunks spare the copies of one growing slice.
const chunkLen = 1 << 16

// readCSV parses a CSV data set from r; name is used in error messages.
// features is 0 for Load: every row holds the features and then a label. For
// LoadUnlabelled it is the number of features, at least 1: rows hold either
// that many fields (no labels) or one more (a label last), the same in every
// row.
func readCSV(name string, r io.Reader, features int) (*Set, error) {
	lr := &limitReader{r: r, name: name, maxLine: MaxLineBytes, maxTotal: MaxCSVBytes, line: 1}
	br := bufio.NewReader(lr)
	head, _ := br.Peek(3)
	if bytes.HasPrefix(head, []byte("\xff\xfe")) || bytes.HasPrefix(head, []byte("\xfe\xff")) {
		return nil, fmt.Errorf("%s: UTF-16 is not supported; save as UTF-8", name)
	}
	if bytes.Equal(head, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true

	var (
		cols      int  // fields per row, fixed by the first line
		nx        int  // features per example
		labelled  bool // whether rows end with a label
		header    bool
		chunks    [][]float64 // the features, row-major (m, n_x), in chunks
		nvals     int
		labels    []float64
		src       = &origin{file: name}
		m         int
		firstLine = true
	)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var le *limitError
			if errors.As(err, &le) {
				return nil, le
			}
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
		for c, field := range rec {
			if strings.IndexByte(field, 0) >= 0 {
				return nil, fmt.Errorf("%s: line %d, column %d: NUL byte; is it a binary file, or UTF-16 without a byte order mark?", name, line, c+1)
			}
		}
		if firstLine {
			firstLine = false
			cols = len(rec)
			switch {
			case features == 0 && cols < 2:
				return nil, fmt.Errorf("%s: line %d: at least 2 columns needed (features, then a class label), found %d%s", name, line, cols, separatorHint(rec))
			case features == 0:
				nx, labelled = cols-1, true
			case cols == features || cols == features+1:
				nx, labelled = features, cols == features+1
			default:
				return nil, fmt.Errorf("%s: line %d: %d fields, want %d (the features) or %d (the features, then a class label)%s", name, line, cols, features, features+1, separatorHint(rec))
			}
			if isHeader(rec) {
				if hint := separatorHint(rec); hint != "" {
					// A header of one name holding semicolons or tabs.
					return nil, fmt.Errorf("%s: line %d: header%s", name, line, hint)
				}
				header = true
				continue
			}
		}
		if len(rec) != cols {
			return nil, fmt.Errorf("%s: line %d: expected %d fields, got %d%s", name, line, cols, len(rec), separatorHint(rec))
		}
		if nvals+nx > MaxValues {
			return nil, fmt.Errorf("%s: line %d: more than the limit of %d feature values (MaxValues)", name, line, MaxValues)
		}
		for c, field := range rec {
			last := c == cols-1
			if strings.TrimSpace(field) == "" {
				hint := ""
				if last {
					hint = " (a trailing comma?)"
				}
				return nil, fmt.Errorf("%s: line %d, column %d: empty field%s", name, line, c+1, hint)
			}
			v, err := parseField(field)
			if labelled && last {
				if err != nil || !isClass(v) {
					return nil, fmt.Errorf("%s: line %d, column %d: label %q is not a class (an integer from 0 to 2^53)%s", name, line, c+1, field, separatorHint(rec))
				}
				if v == 0 {
					v = 0 // not -0
				}
				labels = append(labels, v)
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("%s: line %d, column %d: %q is not a number%s", name, line, c+1, field, separatorHint(rec))
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s: line %d, column %d: feature %q is not finite", name, line, c+1, field)
			}
			if len(chunks) == 0 || len(chunks[len(chunks)-1]) == chunkLen {
				chunks = append(chunks, make([]float64, 0, min(chunkLen, MaxValues-nvals)))
			}
			chunks[len(chunks)-1] = append(chunks[len(chunks)-1], v)
			nvals++
		}
		src.add(m, line)
		m++
	}
	if m == 0 {
		if header {
			return nil, fmt.Errorf("%s: header line only, no examples", name)
		}
		return nil, fmt.Errorf("%s: empty file, no examples", name)
	}
	xs := make([]float64, nvals) // (n_x, m)
	for k := range nvals {
		xs[(k%nx)*m+k/nx] = chunks[k/chunkLen][k%chunkLen]
	}
	src.nx = nx
	s := &Set{X: mat.NewDense(nx, m, xs), src: src}
	if labelled {
		s.Y = mat.NewDense(1, m, labels)
	}
	return s, nil
}

// separatorHint returns, for a record whose fields hold semicolons or tabs, a
// note for an error that the separator must be a comma; else "".
func separatorHint(rec []string) string {
	for _, f := range rec {
		switch {
		case strings.Contains(f, ";"):
			return "; the field separator must be a comma, and this line seems separated by semicolons"
		case strings.Contains(f, "\t"):
			return "; the field separator must be a comma, and this line seems separated by tabs"
		}
	}
	return ""
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

// isHeader reports whether rec, the first line, is a header: a line with a
// field that is neither empty nor a number.
func isHeader(rec []string) bool {
	for _, f := range rec {
		if _, err := parseField(f); err != nil && strings.TrimSpace(f) != "" {
			return true
		}
	}
	return false
}
