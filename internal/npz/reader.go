package npz

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"slices"
	"strconv"
	"strings"

	"codeberg.org/sbinet/npyio/npy"
)

// Array is one array of an archive, converted to float64.
type Array struct {
	// Shape lists the dimensions, outermost first; it is empty for a scalar.
	Shape []int
	// Data holds the elements in C order.
	Data []float64
	// Descr is the dtype as the file spells it: "<f8", ">f8", "<f4" or ">f4"
	// from Read, and also a bool or integer dtype such as "|b1", "|u1" or
	// "<i8" from ReadNumeric.
	Descr string
}

// Reader gives access to the arrays of an .npz archive.
type Reader struct {
	name   string
	files  map[string]*zip.File
	keys   []string
	limit  int64
	closer io.Closer
}

// Open opens the .npz file at path. limit bounds the uncompressed size, in
// bytes, of each array entry (npy header included) and of the float64 array
// Read makes of it; larger entries are refused by Read before any
// decompression. A path that is not a regular file (a directory, a named pipe,
// a device) is refused before it is opened, as a zip archive needs random
// access.
func Open(path string, limit int64) (*Reader, error) {
	if st, err := os.Stat(path); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: is %s, not an .npz file", path, FileKind(st.Mode()))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	r, err := NewReader(path, f, st.Size(), limit)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewReader reads the .npz archive held by ra, which has the given size in
// bytes. name is used in error messages. limit is as for Open.
func NewReader(name string, ra io.ReaderAt, size, limit int64) (*Reader, error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && zr != nil) {
		return nil, fmt.Errorf("%s: not a valid .npz (zip) archive: %w", name, err)
	}
	r := &Reader{name: name, files: map[string]*zip.File{}, limit: limit}
	for _, f := range zr.File {
		key, ok := strings.CutSuffix(f.Name, ".npy")
		if !ok {
			continue
		}
		if _, dup := r.files[key]; dup {
			return nil, fmt.Errorf("%s: array %q appears twice in the archive", name, key)
		}
		r.files[key] = f
		r.keys = append(r.keys, key)
	}
	return r, nil
}

// Close releases the file opened by Open; it does nothing for a Reader made
// by NewReader.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	c := r.closer
	r.closer = nil
	return c.Close()
}

// Keys returns the names of the arrays in archive order, without the ".npy"
// suffix of their entries.
func (r *Reader) Keys() []string {
	return slices.Clone(r.keys)
}

// Has reports whether the archive holds an array named key.
func (r *Reader) Has(key string) bool {
	_, ok := r.files[key]
	return ok
}

// Read decodes the array named key. It accepts float64 and float32 data of
// either byte order and either memory order, and returns it as float64 in C
// order. Errors name the file and the key.
func (r *Reader) Read(key string) (*Array, error) {
	a, err := r.read(key, false)
	if err != nil {
		return nil, fmt.Errorf("%s: array %q: %w", r.name, key, err)
	}
	return a, nil
}

// ReadNumeric is Read that also accepts bool ("|b1"), signed integer ("|i1",
// "<i2", "<i4", "<i8") and unsigned integer ("|u1", "<u2", "<u4", "<u8")
// dtypes, of either byte order, converting every element to float64. An
// integer beyond ±2^53, which float64 cannot always hold exactly, and a bool
// byte other than 0 or 1 are refused, naming the element.
func (r *Reader) ReadNumeric(key string) (*Array, error) {
	a, err := r.read(key, true)
	if err != nil {
		return nil, fmt.Errorf("%s: array %q: %w", r.name, key, err)
	}
	return a, nil
}

// Shape reads only the npy header of the array named key and returns the
// shape it declares, without reading or allocating the data, so that a caller
// can check the size of an array before reading it. Errors name the file and
// the key.
func (r *Reader) Shape(key string) ([]int, error) {
	shape, err := r.shape(key)
	if err != nil {
		return nil, fmt.Errorf("%s: array %q: %w", r.name, key, err)
	}
	return shape, nil
}

func (r *Reader) shape(key string) ([]int, error) {
	f, ok := r.files[key]
	if !ok {
		return nil, errors.New("not in the archive")
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	h, err := readHeader(&io.LimitedReader{R: rc, N: int64(min(f.UncompressedSize64, math.MaxInt64))})
	if err != nil {
		return nil, err
	}
	return slices.Clone(h.shape), nil
}

func (r *Reader) read(key string, numeric bool) (*Array, error) {
	f, ok := r.files[key]
	if !ok {
		return nil, errors.New("not in the archive")
	}
	declared := f.UncompressedSize64
	if declared > uint64(max(r.limit, 0)) {
		return nil, fmt.Errorf("entry of %d bytes exceeds the limit of %d bytes", declared, r.limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	// Never read more than the archive declares, whatever the compressed
	// stream holds.
	lr := &io.LimitedReader{R: rc, N: int64(declared)}

	h, err := readHeader(lr)
	if err != nil {
		return nil, err
	}
	dt, err := parseDescr(h.descr)
	if !numeric && (err != nil || dt.kind != 'f') {
		return nil, fmt.Errorf("dtype %q is not supported (want float64 or float32)", h.descr)
	}
	if err != nil {
		return nil, err
	}
	n := uint64(1)
	for _, d := range h.shape {
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 {
			return nil, fmt.Errorf("shape %s is too large", FormatShape(h.shape))
		}
		n = lo
	}
	// Both the data in the file and the float64 array it becomes must fit
	// the limit; the latter is the larger for float32, integers and bools.
	hi, nbytes := bits.Mul64(n, uint64(dt.size))
	hi64, nbytes64 := bits.Mul64(n, 8)
	if hi != 0 || hi64 != 0 || nbytes > uint64(max(r.limit, 0)) {
		return nil, fmt.Errorf("shape %s needs more than the limit of %d bytes", FormatShape(h.shape), r.limit)
	}
	if nbytes64 > uint64(max(r.limit, 0)) {
		return nil, fmt.Errorf("shape %s needs %d bytes as float64, more than the limit of %d bytes", FormatShape(h.shape), nbytes64, r.limit)
	}
	if avail := uint64(lr.N); nbytes > avail {
		return nil, fmt.Errorf("truncated: shape %s needs %d bytes of data, the entry holds %d", FormatShape(h.shape), nbytes, avail)
	}
	raw := make([]byte, nbytes)
	if _, err := io.ReadFull(lr, raw); err != nil {
		return nil, fmt.Errorf("data: %w", truncated(err))
	}
	// Consume the rest of the entry so that the zip reader verifies its
	// length and checksum.
	if _, err := io.Copy(io.Discard, lr); err != nil {
		return nil, fmt.Errorf("after the data: %w", err)
	}
	var one [1]byte
	if _, err := io.ReadFull(rc, one[:]); !errors.Is(err, io.EOF) {
		if err == nil {
			err = errors.New("more data than the archive declares")
		}
		return nil, err
	}

	var data []float64
	if dt.kind == 'f' {
		data, err = decode(h.descr, int(n), raw)
	} else {
		var bad int
		data, bad, err = decodeInts(dt, int(n), raw)
		if err != nil {
			return nil, fmt.Errorf("element %s: %w", FormatShape(unravel(bad, h.shape, h.fortran)), err)
		}
	}
	if err != nil {
		return nil, err
	}
	shape := slices.Clone(h.shape)
	if h.fortran && len(shape) > 1 {
		data = fortranToC(data, shape)
	}
	return &Array{Shape: shape, Data: data, Descr: h.descr}, nil
}

// decode converts n elements of raw npy data of dtype descr to float64 with
// npyio, handing it a canonical one-dimensional header.
func decode(descr string, n int, raw []byte) ([]float64, error) {
	hdr, err := headerBytes(descr, []int{n})
	if err != nil {
		return nil, err
	}
	rd, err := npy.NewReader(io.MultiReader(bytes.NewReader(hdr), bytes.NewReader(raw)))
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if descr[1] == 'f' && descr[2] == '8' {
		data := make([]float64, n)
		if n > 0 {
			if err := rd.Read(&data); err != nil {
				return nil, fmt.Errorf("decode: %w", err)
			}
		}
		return data, nil
	}
	f32 := make([]float32, n)
	if n > 0 {
		if err := rd.Read(&f32); err != nil {
			return nil, fmt.Errorf("decode: %w", err)
		}
	}
	data := make([]float64, n)
	for i, v := range f32 {
		data[i] = float64(v)
	}
	return data, nil
}

// fortranToC reorders data, stored in Fortran (column-major) order for the
// given shape, into C order.
func fortranToC(data []float64, shape []int) []float64 {
	out := make([]float64, len(data))
	if len(data) == 0 {
		return out
	}
	// Fortran strides: the first axis varies fastest.
	stride := make([]int, len(shape))
	s := 1
	for k := range shape {
		stride[k] = s
		s *= shape[k]
	}
	idx := make([]int, len(shape))
	src := 0
	for i := range out {
		out[i] = data[src]
		// Advance the C-order multi-index, last axis fastest.
		for k := len(shape) - 1; k >= 0; k-- {
			idx[k]++
			src += stride[k]
			if idx[k] < shape[k] {
				break
			}
			src -= stride[k] * shape[k]
			idx[k] = 0
		}
	}
	return out
}

// FormatShape writes a shape as numpy prints it: (4, 2), (3,) or ().
func FormatShape(shape []int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, d := range shape {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}
