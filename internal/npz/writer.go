package npz

import (
	"archive/zip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// Writer writes float64 and uint8 arrays into an .npz archive, one
// uncompressed "<key>.npy" entry each, with npy version 1.0 headers laid out
// as numpy writes them. Entry timestamps are fixed, so equal arrays give
// equal files.
type Writer struct {
	zw   *zip.Writer
	buf  []byte
	keys map[string]bool
}

// NewWriter returns a Writer that writes the archive to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{zw: zip.NewWriter(w), buf: make([]byte, 64<<10), keys: map[string]bool{}}
}

// WriteArray adds the array named key with the given shape and data in C order
// as little-endian float64 ('<f8'). len(data) must equal the product of shape.
func (w *Writer) WriteArray(key string, shape []int, data []float64) error {
	ew, err := w.create(key, "<f8", shape, len(data))
	if err != nil {
		return err
	}
	for len(data) > 0 {
		chunk := data[:min(len(data), len(w.buf)/8)]
		b := w.buf[:8*len(chunk)]
		for i, v := range chunk {
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
		}
		if _, err := ew.Write(b); err != nil {
			return fmt.Errorf("npz: array %q: %w", key, err)
		}
		data = data[len(chunk):]
	}
	return nil
}

// WriteUint8 adds the array named key with the given shape and data in C
// order as uint8 ('|u1'), the dtype numpy gives bytes (np.frombuffer(b,
// np.uint8)); bytes(a) turns such an array back into the bytes. len(data)
// must equal the product of shape.
func (w *Writer) WriteUint8(key string, shape []int, data []byte) error {
	ew, err := w.create(key, "|u1", shape, len(data))
	if err != nil {
		return err
	}
	if _, err := ew.Write(data); err != nil {
		return fmt.Errorf("npz: array %q: %w", key, err)
	}
	return nil
}

// create checks the shape against the n elements given and the key against
// those written, starts the entry and writes its npy header.
func (w *Writer) create(key, descr string, shape []int, n int) (io.Writer, error) {
	want := 1
	for _, d := range shape {
		if d < 0 || (d > 0 && want > math.MaxInt/d) {
			return nil, fmt.Errorf("npz: array %q: invalid shape %v", key, shape)
		}
		want *= d
	}
	if want != n {
		return nil, fmt.Errorf("npz: array %q: shape %v holds %d elements, got %d", key, shape, want, n)
	}
	if w.keys[key] {
		return nil, fmt.Errorf("npz: array %q written twice", key)
	}
	w.keys[key] = true
	hdr, err := headerBytes(descr, shape)
	if err != nil {
		return nil, fmt.Errorf("npz: array %q: %w", key, err)
	}
	ew, err := w.zw.CreateHeader(&zip.FileHeader{
		Name:         key + ".npy",
		Method:       zip.Store,
		ModifiedDate: 1<<5 | 1, // 1980-01-01, the earliest zip date
	})
	if err != nil {
		return nil, fmt.Errorf("npz: array %q: %w", key, err)
	}
	if _, err := ew.Write(hdr); err != nil {
		return nil, fmt.Errorf("npz: array %q: %w", key, err)
	}
	return ew, nil
}

// Close finishes the archive by writing its central directory. It does not
// close the underlying writer.
func (w *Writer) Close() error {
	if err := w.zw.Close(); err != nil {
		return fmt.Errorf("npz: %w", err)
	}
	return nil
}
