package dataset

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"testing"

	"github.com/cltrain/cltrain/internal/npztest"
)

// The labels 0 1 1 0 1 in the dtypes numpy code writes them in.
func TestNPZLabelDtypes(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	x := []float64{0.5, -1.25, 3, 1e-3, 2.5e10, 1, 2, -3.5, 0.1, -7}
	labels := []int64{0, 1, 1, 0, 1}
	y := []float64{0, 1, 1, 0, 1}
	f4 := func(order binary.AppendByteOrder) []byte {
		var b []byte
		for _, v := range y {
			b = order.AppendUint32(b, math.Float32bits(float32(v)))
		}
		return b
	}
	f8be := func() []byte {
		var b []byte
		for _, v := range y {
			b = be.AppendUint64(b, math.Float64bits(v))
		}
		return b
	}
	tests := []struct {
		descr   string
		payload []byte
	}{
		{"|b1", npztest.Ints(le, 1, labels...)},
		{"|u1", npztest.Ints(le, 1, labels...)},
		{"|i1", npztest.Ints(le, 1, labels...)},
		{"<i2", npztest.Ints(le, 2, labels...)},
		{">i2", npztest.Ints(be, 2, labels...)},
		{"<u2", npztest.Ints(le, 2, labels...)},
		{">u2", npztest.Ints(be, 2, labels...)},
		{"<i4", npztest.Ints(le, 4, labels...)},
		{">i4", npztest.Ints(be, 4, labels...)},
		{"<u4", npztest.Ints(le, 4, labels...)},
		{"<i8", npztest.Ints(le, 8, labels...)},
		{">i8", npztest.Ints(be, 8, labels...)},
		{"<u8", npztest.Ints(le, 8, labels...)},
		{">u8", npztest.Ints(be, 8, labels...)},
		{"<f4", f4(le)},
		{">f4", f4(be)},
		{"<f8", npztest.Float64s(y...)},
		{">f8", f8be()},
	}
	for _, tc := range tests {
		for _, shape := range []string{"(1, 5)", "(5,)"} {
			data := npztest.Archive(t, npztest.Entry{Key: "X", Descr: "<f8", Shape: "(2, 5)", Payload: npztest.Float64s(x...)},
				npztest.Entry{Key: "Y", Descr: tc.descr, Shape: shape, Payload: tc.payload})
			s, err := loadNPZBytes(data, fuzzLimit)
			if err != nil {
				t.Errorf("Y %s %s: %v", tc.descr, shape, err)
				continue
			}
			if err := wellFormed(s); err != nil {
				t.Errorf("Y %s %s: %v", tc.descr, shape, err)
			}
			if r, c := s.Y.Dims(); r != 1 || c != 5 || !slices.Equal(s.Y.RawMatrix().Data, y) || !slices.Equal(s.X.RawMatrix().Data, x) {
				t.Errorf("Y %s %s: got Y %v", tc.descr, shape, s.Y.RawMatrix().Data)
			}
		}
	}
}

func TestNPZIntegerX(t *testing.T) {
	le := binary.LittleEndian
	tests := []struct {
		name string
		x    npztest.Entry
		m    int
		want []float64
	}{
		{"int32", npztest.Entry{Key: "X", Descr: "<i4", Shape: "(2, 3)", Payload: npztest.Ints(le, 4, 1, -2, 3, 4, 5, -6)}, 3, []float64{1, -2, 3, 4, 5, -6}},
		{"uint8 Fortran", npztest.Entry{Key: "X", Descr: "|u1", Shape: "(2, 3)", Fortran: true, Payload: []byte{1, 4, 2, 5, 3, 6}}, 3, []float64{1, 2, 3, 4, 5, 6}},
		{"bool", npztest.Entry{Key: "X", Descr: "|b1", Shape: "(2, 3)", Payload: []byte{1, 0, 1, 0, 0, 1}}, 3, []float64{1, 0, 1, 0, 0, 1}},
		{"int64 at 2^53", npztest.Entry{Key: "X", Descr: "<i8", Shape: "(1, 3)", Payload: npztest.Ints(le, 8, 1<<53, -1<<53, 0)}, 3, []float64{1 << 53, -1 << 53, 0}},
	}
	for _, tc := range tests {
		data := npztest.Archive(t, tc.x, npztest.Entry{Key: "Y", Descr: "|u1", Shape: "(" + strconv.Itoa(tc.m) + ",)", Payload: make([]byte, tc.m)})
		s, err := loadNPZBytes(data, fuzzLimit)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !slices.Equal(s.X.RawMatrix().Data, tc.want) {
			t.Errorf("%s: X = %v, want %v", tc.name, s.X.RawMatrix().Data, tc.want)
		}
	}
}

func TestNPZLabelErrors(t *testing.T) {
	le := binary.LittleEndian
	x := npztest.Entry{Key: "X", Descr: "<f8", Shape: "(1, 4)", Payload: npztest.Float64s(1, 2, 3, 4)}
	tests := []struct {
		name string
		y    npztest.Entry
		want []string
	}{
		{"int8 -1", npztest.Entry{Key: "Y", Descr: "|i1", Shape: "(1, 4)", Payload: npztest.Ints(le, 1, 0, -1, 0, 1)}, []string{"label -1 of example 1", "not a class"}},
		{"int64 -255", npztest.Entry{Key: "Y", Descr: ">i8", Shape: "(4,)", Payload: npztest.Ints(binary.BigEndian, 8, 0, 0, 0, -255)}, []string{"label -255 of example 3"}},
		{"float past 2^53", npztest.Entry{Key: "Y", Descr: "<f8", Shape: "(4,)", Payload: npztest.Float64s(0, 1e300, 0, 1)}, []string{"label 1e+300 of example 1", "an integer from 0 to 2^53"}},
		{"float NaN", npztest.Entry{Key: "Y", Descr: "<f8", Shape: "(4,)", Payload: npztest.Float64s(0, 1, math.NaN(), 1)}, []string{"label NaN of example 2"}},
		{"int64 beyond 2^53", npztest.Entry{Key: "Y", Descr: "<i8", Shape: "(1, 4)", Payload: npztest.Ints(le, 8, 0, 0, 1<<53+1, 0)},
			[]string{`array "Y"`, "element (0, 2)", "9007199254740993", "2^53"}},
		{"uint64 beyond 2^53", npztest.Entry{Key: "Y", Descr: "<u8", Shape: "(4,)", Payload: npztest.Ints(le, 8, 0, -1, 0, 0)},
			[]string{`array "Y"`, "element (1,)", "18446744073709551615"}},
		{"bool byte 7", npztest.Entry{Key: "Y", Descr: "|b1", Shape: "(4,)", Payload: []byte{0, 1, 7, 1}}, []string{`array "Y"`, "element (2,)", "bool byte 7"}},
		{"float 0.5", npztest.Entry{Key: "Y", Descr: "<f8", Shape: "(4,)", Payload: npztest.Float64s(0, 1, 0.5, 1)}, []string{"label 0.5 of example 2"}},
		{"complex", npztest.Entry{Key: "Y", Descr: "<c8", Shape: "(4,)", Payload: make([]byte, 32)}, []string{`array "Y"`, `"<c8"`, "not supported"}},
		{"(m, 1)", npztest.Entry{Key: "Y", Descr: "|u1", Shape: "(4, 1)", Payload: make([]byte, 4)}, []string{`"Y"`, "(4, 1)", "want (1, 4) or (4,)"}},
		{"scalar", npztest.Entry{Key: "Y", Descr: "|u1", Shape: "()", Payload: make([]byte, 1)}, []string{`"Y"`, "shape ()", "want (1, 4) or (4,)"}},
		{"truncated", npztest.Entry{Key: "Y", Descr: "<i4", Shape: "(4,)", Payload: make([]byte, 15)}, []string{`"Y"`, "truncated"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadNPZBytes(npztest.Archive(t, x, tc.y), fuzzLimit)
			checkError(t, err, append([]string{"t.npz: "}, tc.want...)...)
		})
	}
	// An X too large once made float64 is refused before it is allocated:
	// 64 bytes of uint8 in the file, 512 as float64.
	big := npztest.Archive(t, npztest.Entry{Key: "X", Descr: "|u1", Shape: "(1, 64)", Payload: make([]byte, 64)},
		npztest.Entry{Key: "Y", Descr: "|u1", Shape: "(64,)", Payload: make([]byte, 64)})
	_, err := loadNPZBytes(big, 300)
	checkError(t, err, `t.npz: array "X": shape (1, 64) needs 512 bytes as float64, more than the limit of 300 bytes`)
}
