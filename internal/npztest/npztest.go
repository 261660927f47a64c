// Package npztest builds .npz archives by hand for tests: entries of any
// dtype numpy writes (integers, bools, either byte order, Fortran order)
// and shapes that need not match their data, which the package's own
// writer (float64 only, always consistent) cannot make.
package npztest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"
)

// Entry is one .npy entry of an archive: its key (without ".npy"), the
// dtype and shape as numpy spells them ("<i8", "(4,)"), the memory order,
// and the raw data.
type Entry struct {
	Key, Descr, Shape string
	Fortran           bool
	Payload           []byte
}

// NPY returns the entry's .npy bytes: the version 1.0 header, padded so the
// data starts at a multiple of 64 bytes as numpy pads it, then the data.
func (e Entry) NPY() []byte {
	order := "False"
	if e.Fortran {
		order = "True"
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", e.Descr, order, e.Shape)
	dict += strings.Repeat(" ", 63-(10+len(dict))%64) + "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(dict)), byte(len(dict)>>8))
	b = append(b, dict...)
	return append(b, e.Payload...)
}

// Archive returns an .npz archive (a zip of stored entries) of the entries.
func Archive(t testing.TB, entries ...Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.Key + ".npy", Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.NPY()); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Ints encodes vals as size-byte integers (1, 2, 4 or 8) in the given byte
// order.
func Ints(order binary.AppendByteOrder, size int, vals ...int64) []byte {
	var b []byte
	for _, v := range vals {
		switch size {
		case 1:
			b = append(b, byte(v))
		case 2:
			b = order.AppendUint16(b, uint16(v))
		case 4:
			b = order.AppendUint32(b, uint32(v))
		default:
			b = order.AppendUint64(b, uint64(v))
		}
	}
	return b
}

// Float64s encodes vals as little-endian float64, numpy's "<f8".
func Float64s(vals ...float64) []byte {
	var b []byte
	for _, v := range vals {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}
