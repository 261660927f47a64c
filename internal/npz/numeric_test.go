package npz

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/cltrain/cltrain/internal/npztest"
)

// dictFor returns an npy header dictionary for a C-order array.
func dictFor(descr, shape string) string {
	return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }"
}

// readOne puts one npy entry named "a" into an archive and reads it with
// ReadNumeric.
func readOne(t *testing.T, npy []byte, limit int64) (*Array, error) {
	t.Helper()
	data := rawArchive(t, rawEntry{name: "a.npy", content: npy, declared: -1})
	r, err := NewReader("x.npz", bytes.NewReader(data), int64(len(data)), limit)
	if err != nil {
		t.Fatal(err)
	}
	return r.ReadNumeric("a")
}

func TestReadNumericDtypes(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	vals := []int64{0, 1, 2, 7, 100}
	neg := []int64{-128, -1, 0, 1, 127}
	tests := []struct {
		descr   string
		payload []byte
		want    []int64
	}{
		{"|b1", []byte{0, 1, 1, 0, 1}, []int64{0, 1, 1, 0, 1}},
		{"|u1", npztest.Ints(le, 1, 0, 1, 255), []int64{0, 1, 255}},
		{"|i1", npztest.Ints(le, 1, neg...), neg},
		{"<i1", npztest.Ints(le, 1, neg...), neg},
		{"<u2", npztest.Ints(le, 2, 0, 1, 65535), []int64{0, 1, 65535}},
		{">u2", npztest.Ints(be, 2, 0, 1, 65535), []int64{0, 1, 65535}},
		{"<i2", npztest.Ints(le, 2, -32768, -1, 5), []int64{-32768, -1, 5}},
		{">i2", npztest.Ints(be, 2, -32768, -1, 5), []int64{-32768, -1, 5}},
		{"<i4", npztest.Ints(le, 4, vals...), vals},
		{">i4", npztest.Ints(be, 4, -1<<31, 1<<31-1), []int64{-1 << 31, 1<<31 - 1}},
		{"<u4", npztest.Ints(le, 4, 1<<32-1), []int64{1<<32 - 1}},
		{">u4", npztest.Ints(be, 4, vals...), vals},
		{"<i8", npztest.Ints(le, 8, vals...), vals},
		{">i8", npztest.Ints(be, 8, -1<<53, 1<<53), []int64{-1 << 53, 1 << 53}},
		{"<u8", npztest.Ints(le, 8, 1<<53), []int64{1 << 53}},
		{">u8", npztest.Ints(be, 8, vals...), vals},
	}
	for _, tc := range tests {
		shape := FormatShape([]int{len(tc.want)})
		a, err := readOne(t, npyBytes(dictFor(tc.descr, shape), tc.payload), testLimit)
		if err != nil {
			t.Errorf("%s: %v", tc.descr, err)
			continue
		}
		want := make([]float64, len(tc.want))
		for i, v := range tc.want {
			want[i] = float64(v)
		}
		if !slices.Equal(a.Data, want) || a.Descr != tc.descr || !slices.Equal(a.Shape, []int{len(want)}) {
			t.Errorf("%s: got %v %v %s, want %v", tc.descr, a.Shape, a.Data, a.Descr, want)
		}
	}
}

func TestReadNumericFortran(t *testing.T) {
	// A (2, 3) int32 array [[0 1 2] [3 4 5]] in Fortran order is 0 3 1 4 2 5.
	dict := "{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }"
	a, err := readOne(t, npyBytes(dict, npztest.Ints(binary.LittleEndian, 4, 0, 3, 1, 4, 2, 5)), testLimit)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Data, []float64{0, 1, 2, 3, 4, 5}) {
		t.Errorf("got %v", a.Data)
	}
}

func TestReadNumericErrors(t *testing.T) {
	le := binary.LittleEndian
	tests := []struct {
		name  string
		npy   []byte
		limit int64
		want  []string
	}{
		{"int64 beyond 2^53", npyBytes(dictFor("<i8", "(2, 2)"), npztest.Ints(le, 8, 0, 1, 1<<53+1, 0)), testLimit,
			[]string{`array "a"`, "element (1, 0)", "9007199254740993", "2^53"}},
		{"int64 below -2^53", npyBytes(dictFor(">i8", "(3,)"), npztest.Ints(binary.BigEndian, 8, 0, 0, -1<<53-1)), testLimit,
			[]string{"element (2,)", "-9007199254740993"}},
		{"uint64 max", npyBytes(dictFor("<u8", "(1,)"), npztest.Ints(le, 8, -1)), testLimit,
			[]string{"element (0,)", "18446744073709551615"}},
		{"fortran element", npyBytes("{'descr': '<i8', 'fortran_order': True, 'shape': (2, 3), }", npztest.Ints(le, 8, 0, 0, 0, 1<<60, 0, 0)), testLimit,
			[]string{"element (1, 1)"}},
		{"bool byte 2", npyBytes(dictFor("|b1", "(3,)"), []byte{0, 1, 2}), testLimit,
			[]string{"element (2,)", "bool byte 2"}},
		{"float16", npyBytes(dictFor("<f2", "(1,)"), []byte{0, 0}), testLimit, []string{`"<f2"`, "not supported"}},
		{"complex", npyBytes(dictFor("<c16", "(1,)"), make([]byte, 16)), testLimit, []string{`"<c16"`, "not supported"}},
		{"wide bool", npyBytes(dictFor("<b2", "(1,)"), make([]byte, 2)), testLimit, []string{`"<b2"`, "not supported"}},
		{"| on int4", npyBytes(dictFor("|i4", "(1,)"), make([]byte, 4)), testLimit, []string{`"|i4"`, "not supported"}},
		{"native order", npyBytes(dictFor("=i4", "(1,)"), make([]byte, 4)), testLimit, []string{`"=i4"`, "not supported"}},
		{"i3", npyBytes(dictFor("<i3", "(1,)"), make([]byte, 3)), testLimit, []string{`"<i3"`, "not supported"}},
		{"truncated", npyBytes(dictFor("<i4", "(3,)"), make([]byte, 8)), testLimit, []string{"truncated"}},
		// 100 bytes of uint8 fit a 200-byte limit in the file, but not as
		// 800 bytes of float64.
		{"float64 size over limit", npyBytes(dictFor("|u1", "(100,)"), make([]byte, 100)), 200,
			[]string{"(100,)", "800 bytes as float64", "limit of 200 bytes"}},
		{"shape overflow", npyBytes(dictFor("|u1", "(4611686018427387904,)"), nil), testLimit, []string{"limit"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readOne(t, tc.npy, tc.limit)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "x.npz: ") || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line starting with the file name", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestReadNumericNumpyFile(t *testing.T) {
	r, err := Open("testdata/unsupported.npz", testLimit)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// np.arange(6, dtype="<i8") and np.zeros(3, dtype="u1"), as numpy wrote them.
	for key, want := range map[string][]float64{"i8": {0, 1, 2, 3, 4, 5}, "u1": {0, 0, 0}, "ok": seq(4)} {
		a, err := r.ReadNumeric(key)
		if err != nil {
			t.Errorf("%s: %v", key, err)
			continue
		}
		if !slices.Equal(a.Data, want) {
			t.Errorf("%s: got %v, want %v", key, a.Data, want)
		}
	}
	for _, key := range []string{"c16", "f2", "rec"} {
		if _, err := r.ReadNumeric(key); err == nil || !strings.Contains(err.Error(), `"`+key+`"`) {
			t.Errorf("%s: error %v, want one naming the key", key, err)
		}
	}
	// Read keeps refusing integers.
	if _, err := r.Read("i8"); err == nil || !strings.Contains(err.Error(), "want float64 or float32") {
		t.Errorf("Read(i8): %v", err)
	}
}

func TestShape(t *testing.T) {
	huge := rawArchive(t, rawEntry{name: "big.npy", declared: -1,
		content: npyBytes(dictFor("<f8", "(100000, 100000)"), nil)})
	r, err := NewReader("x.npz", bytes.NewReader(huge), int64(len(huge)), testLimit)
	if err != nil {
		t.Fatal(err)
	}
	shape, err := r.Shape("big")
	if err != nil || !slices.Equal(shape, []int{100000, 100000}) {
		t.Errorf("Shape(big) = %v, %v", shape, err)
	}
	if _, err := r.Shape("nope"); err == nil || !strings.Contains(err.Error(), `x.npz: array "nope": not in the archive`) {
		t.Errorf("Shape(nope): %v", err)
	}
	r2, err := Open("testdata/kinds_compressed.npz", testLimit)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if shape, err := r2.Shape("fortran3"); err != nil || !slices.Equal(shape, []int{2, 3, 4}) {
		t.Errorf("Shape(fortran3) = %v, %v", shape, err)
	}
}

func TestOpenNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.npz")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("skipping the FIFO: %v", err)
	}
	// Opening a FIFO without a writer would block: Open must refuse it first.
	if _, err := Open(fifo, testLimit); err == nil || !strings.Contains(err.Error(), "named pipe") || !strings.Contains(err.Error(), fifo) {
		t.Errorf("FIFO: %v", err)
	}
	link := filepath.Join(dir, "zero.npz")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(link, testLimit); err == nil || !strings.Contains(err.Error(), "character device") {
		t.Errorf("/dev/zero: %v", err)
	}
}
