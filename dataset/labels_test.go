package dataset

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"testing"
)

// le8 encodes vals as little-endian float64.
func le8(vals ...float64) []byte {
	var b []byte
	for _, v := range vals {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

// intBytes encodes vals as size-byte integers in the given byte order.
func intBytes(order binary.AppendByteOrder, size int, vals ...int64) []byte {
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
		{"|b1", intBytes(le, 1, labels...)},
		{"|u1", intBytes(le, 1, labels...)},
		{"|i1", intBytes(le, 1, labels...)},
		{"<i2", intBytes(le, 2, labels...)},
		{">i2", intBytes(be, 2, labels...)},
		{"<u2", intBytes(le, 2, labels...)},
		{">u2", intBytes(be, 2, labels...)},
		{"<i4", intBytes(le, 4, labels...)},
		{">i4", intBytes(be, 4, labels...)},
		{"<u4", intBytes(le, 4, labels...)},
		{"<i8", intBytes(le, 8, labels...)},
		{">i8", intBytes(be, 8, labels...)},
		{"<u8", intBytes(le, 8, labels...)},
		{">u8", intBytes(be, 8, labels...)},
		{"<f4", f4(le)},
		{">f4", f4(be)},
		{"<f8", le8(y...)},
		{">f8", f8be()},
	}
	for _, tc := range tests {
		for _, shape := range []string{"(1, 5)", "(5,)"} {
			data := rawNPZ(t, npyEntry{key: "X", descr: "<f8", shape: "(2, 5)", payload: le8(x...)},
				npyEntry{key: "Y", descr: tc.descr, shape: shape, payload: tc.payload})
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
		x    npyEntry
		m    int
		want []float64
	}{
		{"int32", npyEntry{key: "X", descr: "<i4", shape: "(2, 3)", payload: intBytes(le, 4, 1, -2, 3, 4, 5, -6)}, 3, []float64{1, -2, 3, 4, 5, -6}},
		{"uint8 Fortran", npyEntry{key: "X", descr: "|u1", shape: "(2, 3)", fortran: true, payload: []byte{1, 4, 2, 5, 3, 6}}, 3, []float64{1, 2, 3, 4, 5, 6}},
		{"bool", npyEntry{key: "X", descr: "|b1", shape: "(2, 3)", payload: []byte{1, 0, 1, 0, 0, 1}}, 3, []float64{1, 0, 1, 0, 0, 1}},
		{"int64 at 2^53", npyEntry{key: "X", descr: "<i8", shape: "(1, 3)", payload: intBytes(le, 8, 1<<53, -1<<53, 0)}, 3, []float64{1 << 53, -1 << 53, 0}},
	}
	for _, tc := range tests {
		data := rawNPZ(t, tc.x, npyEntry{key: "Y", descr: "|u1", shape: "(" + strconv.Itoa(tc.m) + ",)", payload: make([]byte, tc.m)})
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
	x := npyEntry{key: "X", descr: "<f8", shape: "(1, 4)", payload: le8(1, 2, 3, 4)}
	tests := []struct {
		name string
		y    npyEntry
		want []string
	}{
		{"uint8 2", npyEntry{key: "Y", descr: "|u1", shape: "(4,)", payload: []byte{0, 1, 2, 1}}, []string{`array "Y"`, "label 2 of example 2", "not 0 or 1"}},
		{"int8 -1", npyEntry{key: "Y", descr: "|i1", shape: "(1, 4)", payload: intBytes(le, 1, 0, -1, 0, 1)}, []string{"label -1 of example 1"}},
		{"int64 255", npyEntry{key: "Y", descr: ">i8", shape: "(4,)", payload: intBytes(binary.BigEndian, 8, 0, 0, 0, 255)}, []string{"label 255 of example 3"}},
		{"int64 beyond 2^53", npyEntry{key: "Y", descr: "<i8", shape: "(1, 4)", payload: intBytes(le, 8, 0, 0, 1<<53+1, 0)},
			[]string{`array "Y"`, "element (0, 2)", "9007199254740993", "2^53"}},
		{"uint64 beyond 2^53", npyEntry{key: "Y", descr: "<u8", shape: "(4,)", payload: intBytes(le, 8, 0, -1, 0, 0)},
			[]string{`array "Y"`, "element (1,)", "18446744073709551615"}},
		{"bool byte 7", npyEntry{key: "Y", descr: "|b1", shape: "(4,)", payload: []byte{0, 1, 7, 1}}, []string{`array "Y"`, "element (2,)", "bool byte 7"}},
		{"float 0.5", npyEntry{key: "Y", descr: "<f8", shape: "(4,)", payload: le8(0, 1, 0.5, 1)}, []string{"label 0.5 of example 2"}},
		{"complex", npyEntry{key: "Y", descr: "<c8", shape: "(4,)", payload: make([]byte, 32)}, []string{`array "Y"`, `"<c8"`, "not supported"}},
		{"(m, 1)", npyEntry{key: "Y", descr: "|u1", shape: "(4, 1)", payload: make([]byte, 4)}, []string{`"Y"`, "(4, 1)", "want (1, 4) or (4,)"}},
		{"scalar", npyEntry{key: "Y", descr: "|u1", shape: "()", payload: make([]byte, 1)}, []string{`"Y"`, "shape ()", "want (1, 4) or (4,)"}},
		{"truncated", npyEntry{key: "Y", descr: "<i4", shape: "(4,)", payload: make([]byte, 15)}, []string{`"Y"`, "truncated"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadNPZBytes(rawNPZ(t, x, tc.y), fuzzLimit)
			checkError(t, err, append([]string{"t.npz: "}, tc.want...)...)
		})
	}
	// An X too large once made float64 is refused before it is allocated:
	// 64 bytes of uint8 in the file, 512 as float64.
	big := rawNPZ(t, npyEntry{key: "X", descr: "|u1", shape: "(1, 64)", payload: make([]byte, 64)},
		npyEntry{key: "Y", descr: "|u1", shape: "(64,)", payload: make([]byte, 64)})
	_, err := loadNPZBytes(big, 300)
	checkError(t, err, `t.npz: array "X": shape (1, 64) needs 512 bytes as float64, more than the limit of 300 bytes`)
}
