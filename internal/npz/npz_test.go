package npz

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/json"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npz"
	"gonum.org/v1/gonum/mat"
)

const testLimit = 1 << 20

// seq returns the values numpy's np.arange(n)/7 holds.
func seq(n int) []float64 {
	out := make([]float64, n)
	for k := range out {
		out[k] = float64(k) / 7
	}
	return out
}

func seq32(n int) []float64 {
	out := seq(n)
	for k, v := range out {
		out[k] = float64(float32(v))
	}
	return out
}

func TestReadNumpyKinds(t *testing.T) {
	for _, file := range []string{"testdata/kinds.npz", "testdata/kinds_compressed.npz"} {
		r, err := Open(file, testLimit)
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			key   string
			shape []int
			want  []float64
			descr string
		}{
			{"f8", []int{3, 4}, seq(12), "<f8"},
			{"f4", []int{3, 4}, seq32(12), "<f4"},
			{"be8", []int{2, 5}, seq(10), ">f8"},
			{"be4", []int{2, 5}, seq32(10), ">f4"},
			{"fortran", []int{3, 4}, seq(12), "<f8"},
			{"fortran3", []int{2, 3, 4}, seq(24), "<f8"},
			{"vec", []int{5}, seq(5), "<f8"},
			{"scalar", []int{}, []float64{3.5}, "<f8"},
			{"empty", []int{0, 3}, []float64{}, "<f8"},
			{"cube", []int{2, 3, 4}, seq(24), "<f8"},
		}
		for _, tc := range tests {
			a, err := r.Read(tc.key)
			if err != nil {
				t.Errorf("%s: %v", file, err)
				continue
			}
			if !slices.Equal(a.Shape, tc.shape) || !slices.Equal(a.Data, tc.want) || a.Descr != tc.descr {
				t.Errorf("%s %s: got shape %v descr %s data %v, want %v %s %v",
					file, tc.key, a.Shape, a.Descr, a.Data, tc.shape, tc.descr, tc.want)
			}
		}
		if len(r.Keys()) != len(tests) {
			t.Errorf("%s: keys %v, want %d", file, r.Keys(), len(tests))
		}
		if !r.Has("f8") || r.Has("nope") {
			t.Errorf("%s: Has is wrong", file)
		}
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	}
}

func TestReadVersion2Header(t *testing.T) {
	r, err := Open("testdata/v2.npz", testLimit)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	a, err := r.Read("a")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Shape, []int{2, 3}) || !slices.Equal(a.Data, seq(6)) {
		t.Errorf("got %v %v", a.Shape, a.Data)
	}
}

func TestReadUnsupportedDtypes(t *testing.T) {
	r, err := Open("testdata/unsupported.npz", testLimit)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, key := range []string{"i8", "u1", "c16", "f2", "rec"} {
		_, err := r.Read(key)
		if err == nil {
			t.Errorf("%s: no error", key)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, "testdata/unsupported.npz") || !strings.Contains(msg, `"`+key+`"`) {
			t.Errorf("%s: error does not name file and key: %v", key, err)
		}
	}
	if _, err := r.Read("ok"); err != nil {
		t.Errorf("ok: %v", err)
	}
}

// header numpy writes, from testdata/headers.json.
type numpyHeader struct {
	Shape  []int  `json:"shape"`
	Header string `json:"header"`
}

func TestHeaderBytesMatchNumpy(t *testing.T) {
	raw, err := os.ReadFile("testdata/headers.json")
	if err != nil {
		t.Fatal(err)
	}
	var hs []numpyHeader
	if err := json.Unmarshal(raw, &hs); err != nil {
		t.Fatal(err)
	}
	if len(hs) == 0 {
		t.Fatal("no headers")
	}
	for _, h := range hs {
		want := make([]byte, 0, len(h.Header))
		for _, r := range h.Header { // the JSON string holds latin-1 bytes as runes
			want = append(want, byte(r))
		}
		got, err := headerBytes("<f8", h.Shape)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("shape %v:\n got %q\nwant %q", h.Shape, got, want)
		}
		if len(got)%64 != 0 {
			t.Errorf("shape %v: header length %d is not a multiple of 64", h.Shape, len(got))
		}
	}
}

func writeArchive(t *testing.T, arrays map[string][]int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	keys := make([]string, 0, len(arrays))
	for k := range arrays {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		shape := arrays[k]
		n := 1
		for _, d := range shape {
			n *= d
		}
		if err := w.WriteArray(k, shape, seq(n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriterRoundTrip(t *testing.T) {
	shapes := map[string][]int{"W1": {4, 2}, "b1": {4, 1}, "v": {3}, "s": {}, "big": {300, 100}}
	data := writeArchive(t, shapes)
	r, err := NewReader("mem.npz", bytes.NewReader(data), int64(len(data)), testLimit)
	if err != nil {
		t.Fatal(err)
	}
	for k, shape := range shapes {
		a, err := r.Read(k)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.Shape, shape) || !slices.Equal(a.Data, seq(len(a.Data))) || a.Descr != "<f8" {
			t.Errorf("%s: got %v %s", k, a.Shape, a.Descr)
		}
	}

	// npyio reads what we write.
	path := filepath.Join(t.TempDir(), "w.npz")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	nr, err := npz.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer nr.Close()
	var m mat.Dense
	if err := nr.Read("W1.npy", &m); err != nil {
		t.Fatal(err)
	}
	if r, c := m.Dims(); r != 4 || c != 2 || m.At(3, 1) != 7.0/7 {
		t.Errorf("npyio read W1 as %dx%d, last %v", r, c, m.At(3, 1))
	}

	// Equal arrays give equal bytes.
	if again := writeArchive(t, shapes); !bytes.Equal(again, data) {
		t.Error("writing the same arrays twice gave different archives")
	}
}

func TestWriterErrors(t *testing.T) {
	w := NewWriter(&bytes.Buffer{})
	if err := w.WriteArray("a", []int{2, 2}, seq(3)); err == nil {
		t.Error("length mismatch accepted")
	}
	if err := w.WriteArray("a", []int{-1}, nil); err == nil {
		t.Error("negative dimension accepted")
	}
	if err := w.WriteArray("a", []int{1 << 40, 1 << 40}, nil); err == nil {
		t.Error("overflowing shape accepted")
	}
	if err := w.WriteArray("a", []int{1}, seq(1)); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteArray("a", []int{1}, seq(1)); err == nil {
		t.Error("duplicate key accepted")
	}
}

// rawEntry is one hand-made zip entry.
type rawEntry struct {
	name     string
	content  []byte // uncompressed bytes
	deflate  bool
	declared int64 // uncompressed size written in the archive; -1: the real one
	badCRC   bool
}

func rawArchive(t *testing.T, entries ...rawEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		body := e.content
		method := zip.Store
		if e.deflate {
			var c bytes.Buffer
			fw, err := flate.NewWriter(&c, flate.BestCompression)
			if err != nil {
				t.Fatal(err)
			}
			fw.Write(e.content)
			fw.Close()
			body = c.Bytes()
			method = zip.Deflate
		}
		size := uint64(len(e.content))
		if e.declared >= 0 {
			size = uint64(e.declared)
		}
		crc := crc32.ChecksumIEEE(e.content)
		if e.badCRC {
			crc ^= 1
		}
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name: e.name, Method: method, CRC32: crc,
			CompressedSize64: uint64(len(body)), UncompressedSize64: size,
		})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// npyBytes returns an npy file with the given header dictionary and payload.
func npyBytes(dict string, payload []byte) []byte {
	dict += "\n"
	b := append([]byte(magic), 1, 0, byte(len(dict)), byte(len(dict)>>8))
	b = append(b, dict...)
	return append(b, payload...)
}

func f8(vals ...float64) []byte {
	var b []byte
	for _, v := range vals {
		b = append(b, make([]byte, 8)...)
		bits := math.Float64bits(v)
		for i := range 8 {
			b[len(b)-8+i] = byte(bits >> (8 * i))
		}
	}
	return b
}

func TestReadErrors(t *testing.T) {
	okDict := "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }"
	good := npyBytes(okDict, f8(1, 2))
	zeros := make([]byte, 8<<20)
	bomb := append(npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (100,), }", nil), zeros...)
	tests := []struct {
		name    string
		archive []byte
		limit   int64
		want    string
	}{
		{"not a zip", []byte("hello, world"), testLimit, "not a valid .npz"},
		{"truncated zip", writeArchive(t, map[string][]int{"a": {10}})[:100], testLimit, "not a valid .npz"},
		{"missing key", rawArchive(t, rawEntry{name: "b.npy", content: good, declared: -1}), testLimit, "not in the archive"},
		{"declared over limit", rawArchive(t, rawEntry{name: "a.npy", content: good, declared: -1}), 20, "exceeds the limit"},
		{"lying size, deflate bomb", rawArchive(t, rawEntry{name: "a.npy", content: bomb, deflate: true, declared: 200}), 1 << 10, "truncated"},
		{"shape over limit", rawArchive(t, rawEntry{name: "a.npy", declared: -1,
			content: npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }", nil)}), testLimit, "limit"},
		{"shape overflows", rawArchive(t, rawEntry{name: "a.npy", declared: -1,
			content: npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", nil)}), testLimit, "too large"},
		{"data truncated", rawArchive(t, rawEntry{name: "a.npy", declared: -1,
			content: npyBytes(okDict, f8(1))}), testLimit, "truncated"},
		{"more data than declared", rawArchive(t, rawEntry{name: "a.npy",
			content: append(slices.Clone(good), make([]byte, 1000)...), declared: int64(len(good))}), testLimit, "not a valid zip"},
		{"bad checksum", rawArchive(t, rawEntry{name: "a.npy", content: good, declared: -1, badCRC: true}), testLimit, "checksum"},
		{"bad magic", rawArchive(t, rawEntry{name: "a.npy", content: []byte("NOTNUMPYatall"), declared: -1}), testLimit, "bad magic"},
		{"short preamble", rawArchive(t, rawEntry{name: "a.npy", content: []byte("\x93NU"), declared: -1}), testLimit, "truncated"},
		{"bad version", rawArchive(t, rawEntry{name: "a.npy", content: append([]byte(magic), 9, 0, 0, 0), declared: -1}), testLimit, "version 9.0"},
		{"header truncated", rawArchive(t, rawEntry{name: "a.npy", content: append([]byte(magic), 1, 0, 200, 0, '{'), declared: -1}), testLimit, "truncated"},
		{"huge v2 header", rawArchive(t, rawEntry{name: "a.npy", content: append([]byte(magic), 2, 0, 0, 0, 0, 1), declared: -1}), 1 << 26, "longer than"},
		{"int dtype", rawArchive(t, rawEntry{name: "a.npy", declared: -1,
			content: npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", f8(1, 2))}), testLimit, "not supported"},
		{"duplicate entry", rawArchive(t, rawEntry{name: "a.npy", content: good, declared: -1},
			rawEntry{name: "a.npy", content: good, declared: -1}), testLimit, "twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewReader("x.npz", bytes.NewReader(tc.archive), int64(len(tc.archive)), tc.limit)
			if err == nil {
				_, err = r.Read("a")
			}
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "x.npz: ") {
				t.Errorf("error %q: want it to start with the file name and contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir, testLimit); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("directory: %v", err)
	}
	missing := filepath.Join(dir, "missing.npz")
	if _, err := Open(missing, testLimit); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v", err)
	}
}

func TestParseDict(t *testing.T) {
	tests := []struct {
		in      string
		want    header
		wantErr string
	}{
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (4, 2), }   \n", header{"<f8", false, []int{4, 2}}, ""},
		{`{"shape": (3L,), "fortran_order": True, "descr": ">f4"}`, header{">f4", true, []int{3}}, ""},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': ()}", header{"<f8", false, []int{}}, ""},
		{"{'descr': '<f8', 'fortran_order': False}", header{}, `"shape" missing`},
		{"{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': ()}", header{}, "repeated"},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (), 'x': 1}", header{}, "unexpected key"},
		{"{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': ()}", header{}, "structured"},
		{"{'descr': '<f8', 'fortran_order': maybe, 'shape': ()}", header{}, "True or False"},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (-1,)}", header{}, "non-negative"},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,)}", header{}, "dimension"},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (2 3)}", header{}, "expected ','"},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (2,)} trailing", header{}, "after the dictionary"},
		{"{'descr': '<f8 , 'fortran_order': False, 'shape': ()}", header{}, "expected ',' or '}'"},
		{"{'descr': '<f\\x38', 'fortran_order': False, 'shape': ()}", header{}, "escapes"},
		{"{'descr", header{}, "unterminated"},
		{"", header{}, "expected '{'"},
		{"{'descr' '<f8'}", header{}, "expected ':'"},
		{"{'descr': '<f8' 'fortran_order'}", header{}, "expected ',' or '}'"},
		{"{'descr': '<f8', 'shape': (2", header{}, "expected ',' or ')'"},
	}
	for _, tc := range tests {
		got, err := parseDict(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseDict(%q) error %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseDict(%q): %v", tc.in, err)
			continue
		}
		if got.descr != tc.want.descr || got.fortran != tc.want.fortran || !slices.Equal(got.shape, tc.want.shape) {
			t.Errorf("parseDict(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestFortranToC(t *testing.T) {
	// A (2, 3) array [[0 1 2] [3 4 5]] in Fortran order is 0 3 1 4 2 5.
	got := fortranToC([]float64{0, 3, 1, 4, 2, 5}, []int{2, 3})
	if want := []float64{0, 1, 2, 3, 4, 5}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got := fortranToC(nil, []int{0, 3}); len(got) != 0 {
		t.Errorf("empty: %v", got)
	}
}

func FuzzParseDict(f *testing.F) {
	for _, s := range []string{
		"{'descr': '<f8', 'fortran_order': False, 'shape': (4, 2), }   \n",
		`{"shape": (3L,), "fortran_order": True, "descr": ">f4"}`,
		"{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': ()}",
		"{'descr': '<f8', 'fortran_order': False, 'shape': (2,)} trailing",
		"{'descr",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseDict(s)
		if err != nil {
			return
		}
		for _, d := range h.shape {
			if d < 0 {
				t.Fatalf("negative dimension in %v", h.shape)
			}
		}
	})
}

func TestWriteUint8(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	text := []byte(`{"hidden":"relu"}`)
	if err := w.WriteUint8("model", []int{len(text)}, text); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteUint8("u1", []int{3}, make([]byte, 3)); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteArray("f", []int{2}, seq(2)); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteUint8("bad", []int{2, 2}, text); err == nil || !strings.Contains(err.Error(), `"bad"`) {
		t.Errorf("length mismatch: %v", err)
	}
	if err := w.WriteUint8("f", []int{1}, text[:1]); err == nil || !strings.Contains(err.Error(), "written twice") {
		t.Errorf("duplicate key: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	r, err := NewReader("mem.npz", bytes.NewReader(data), int64(len(data)), testLimit)
	if err != nil {
		t.Fatal(err)
	}
	a, err := r.ReadNumeric("model")
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(a.Data))
	for i, v := range a.Data {
		got[i] = byte(v)
	}
	if a.Descr != "|u1" || !slices.Equal(a.Shape, []int{len(text)}) || !bytes.Equal(got, text) {
		t.Errorf("read back %s %v %q", a.Descr, a.Shape, got)
	}
	if _, err := r.Read("model"); err == nil {
		t.Error("Read, for floats only, accepted uint8")
	}

	// The entry is byte for byte what numpy writes for np.zeros(3, "u1").
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	numpy, err := zip.OpenReader("testdata/unsupported.npz")
	if err != nil {
		t.Fatal(err)
	}
	defer numpy.Close()
	entry := func(files []*zip.File, name string) []byte {
		t.Helper()
		for _, f := range files {
			if f.Name == name {
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				defer rc.Close()
				b, err := io.ReadAll(rc)
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
		}
		t.Fatalf("no entry %s", name)
		return nil
	}
	if ours, theirs := entry(zr.File, "u1.npy"), entry(numpy.File, "u1.npy"); !bytes.Equal(ours, theirs) {
		t.Errorf("u1.npy:\n ours %q\nnumpy %q", ours, theirs)
	}
}
