package dataset

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cltrain/cltrain/internal/npztest"
)

// setLimit sets *p to v for the rest of the test.
func setLimit[T any](t *testing.T, p *T, v T) {
	t.Helper()
	old := *p
	t.Cleanup(func() { *p = old })
	*p = v
}

func TestLoadDevZero(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skipf("skipping: %v", err)
	}
	link := filepath.Join(t.TempDir(), "x.csv")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := Load(link)
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v to fail", d)
	}
	checkError(t, err, link+": line 1:", "limit of 1048576 bytes", "MaxLineBytes")
}

func TestMaxLineBytes(t *testing.T) {
	setLimit(t, &MaxLineBytes, 10)
	// Ten bytes before the "\n" pass; a CR before it counts.
	if _, err := readCSV("t.csv", strings.NewReader("x,yyyyyyy\r\n1234,0\n12345678,1"), 0); err != nil {
		t.Fatalf("lines at the limit: %v", err)
	}
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"second line", "1,0\n12345678901,1\n", []string{"t.csv: line 2:", "limit of 10 bytes"}},
		{"last line without line end", "1,0\n\n1,0\n123456789,0", []string{"t.csv: line 4:", "limit of 10 bytes"}},
		{"no line ends", strings.Repeat("\x00", 100), []string{"t.csv: line 1:", "limit of 10 bytes"}},
		{"inside quotes", "1,\"0\n12345678901\",1\n", []string{"t.csv: line 2:", "limit of 10 bytes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readCSV("t.csv", strings.NewReader(tc.in), 0)
			checkError(t, err, tc.want...)
		})
	}
}

func TestLimitsByteByByte(t *testing.T) {
	setLimit(t, &MaxLineBytes, 5)
	_, err := readCSV("t.csv", &chunkReader{[]byte("1,0\n1,1\n2.5,1\n12.25,1\n"), 1}, 0)
	checkError(t, err, "t.csv: line 4:", "limit of 5 bytes")
}

func TestMaxCSVBytes(t *testing.T) {
	const data = "x,y\n1,0\n2,1\n3,0\n4,1\n" // 20 bytes
	setLimit(t, &MaxCSVBytes, int64(len(data)))
	if s, err := readCSV("t.csv", strings.NewReader(data), 0); err != nil || s.Examples() != 4 {
		t.Fatalf("file at the limit: %v", err)
	}
	path := filepath.Join(t.TempDir(), "big.csv")
	if err := os.WriteFile(path, []byte(data+"5,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	checkError(t, err, path+": file of 24 bytes exceeds the limit of 20 bytes (MaxCSVBytes)")
	// A stream is cut off at the limit.
	_, err = readCSV("t.csv", strings.NewReader(data+"5,0\n"), 0)
	checkError(t, err, "t.csv: more than the limit of 20 bytes (MaxCSVBytes)")
	setLimit(t, &MaxCSVBytes, 0)
	_, err = readCSV("t.csv", strings.NewReader("1,0\n"), 0)
	checkError(t, err, "t.csv: more than the limit of 0 bytes")
}

func TestMaxValuesCSV(t *testing.T) {
	setLimit(t, &MaxValues, 4)
	if s, err := readCSV("t.csv", strings.NewReader("a,b,y\n1,2,0\n3,4,1\n"), 0); err != nil || s.Examples() != 2 {
		t.Fatalf("values at the limit: %v", err)
	}
	_, err := readCSV("t.csv", strings.NewReader("a,b,y\n1,2,0\n3,4,1\n\n5,6,0\n"), 0)
	checkError(t, err, "t.csv: line 5:", "limit of 4 feature values (MaxValues)")
}

func TestMaxValuesNPZ(t *testing.T) {
	setLimit(t, &MaxValues, 6)
	good := npzBytes(t, array{"X", []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}}, array{"Y", []int{1, 3}, []float64{0, 1, 0}})
	if _, err := loadNPZBytes(good, fuzzLimit); err != nil {
		t.Fatalf("values at the limit: %v", err)
	}
	setLimit(t, &MaxValues, 5)
	_, err := loadNPZBytes(good, fuzzLimit)
	checkError(t, err, `t.npz: array "X": shape (2, 3)`, "limit of 5 values (MaxValues)")

	// A declared shape far past the limit is refused from the header alone,
	// before the entry's size or data are looked at.
	huge := npztest.Archive(t, npztest.Entry{Key: "X", Descr: "|u1", Shape: "(4294967296, 4294967296)"},
		npztest.Entry{Key: "Y", Descr: "|u1", Shape: "(1, 4294967296)"})
	_, err = loadNPZBytes(huge, 1<<62)
	checkError(t, err, `t.npz: array "X": shape (4294967296, 4294967296)`, "MaxValues")
	// A Y of a wrong length is refused before its data is read.
	badY := npztest.Archive(t, npztest.Entry{Key: "X", Descr: "|u1", Shape: "(1, 2)", Payload: []byte{1, 2}},
		npztest.Entry{Key: "Y", Descr: "|u1", Shape: "(4294967296,)"})
	_, err = loadNPZBytes(badY, 1<<62)
	checkError(t, err, `t.npz: array "Y": shape (4294967296,), want (1, 2) or (2,)`)
}

func TestLoadFIFO(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string) string {
		path := filepath.Join(dir, name)
		if err := syscall.Mkfifo(path, 0o600); err != nil {
			t.Skipf("skipping: mkfifo: %v", err)
		}
		return path
	}
	// write feeds the FIFO at path from a goroutine, until it fails or
	// data is written count times (count < 0: forever).
	write := func(path, data string, count int) chan struct{} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				return
			}
			defer f.Close()
			for i := 0; count < 0 || i < count; i++ {
				if _, err := f.WriteString(data); err != nil {
					return
				}
			}
		}()
		return done
	}

	path := mk("finite.csv")
	done := write(path, "x,y\n1,0\n2,1\n", 1)
	s, err := Load(path)
	<-done
	if err != nil || s.Examples() != 2 {
		t.Fatalf("finite FIFO: %v", err)
	}

	setLimit(t, &MaxCSVBytes, 1<<16)
	path = mk("endless.csv")
	done = write(path, "1,0\n", -1)
	_, err = Load(path)
	checkError(t, err, path+": more than the limit of 65536 bytes (MaxCSVBytes)")
	<-done // the writer stops when the reader has closed the FIFO
}

func TestLoadNotAFile(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "s.csv")
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: sock}); err != nil {
		t.Skipf("skipping: %v", err)
	}
	_, err = Load(sock)
	checkError(t, err, sock+": is a socket, not a CSV file")
	_, err = Load(filepath.Join(dir, "s.npz"))
	checkError(t, err, "s.npz", "no such file")
	if err := os.Symlink(sock, filepath.Join(dir, "s.npz")); err != nil {
		t.Fatal(err)
	}
	_, err = Load(filepath.Join(dir, "s.npz"))
	checkError(t, err, "s.npz: is a socket, not an .npz file")
}

// FuzzLimitReader checks limitReader against a direct computation: it passes
// on the input unchanged up to the first line over maxLine bytes or the first
// byte past maxTotal, and then fails with the right message.
func FuzzLimitReader(f *testing.F) {
	f.Add([]byte("1,0\n12345,1\n"), uint8(4), uint8(100), uint8(3))
	f.Add([]byte("1,0\r\n2,1\r\n"), uint8(4), uint8(7), uint8(1))
	f.Add([]byte(""), uint8(0), uint8(0), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, maxLine, maxTotal, chunk uint8) {
		// The expected output: where the input first breaks a limit.
		cut, wantErr := len(data), ""
		line, lineLen := 1, 0
		for i, c := range data {
			if i == int(maxTotal) {
				cut, wantErr = i, "x.csv: more than the limit of "+strconv.Itoa(int(maxTotal))+" bytes (MaxCSVBytes)"
				break
			}
			if c == '\n' {
				line, lineLen = line+1, 0
				continue
			}
			if lineLen++; lineLen > int(maxLine) {
				cut, wantErr = i, "x.csv: line "+strconv.Itoa(line)+": longer than the limit of "+strconv.Itoa(int(maxLine))+" bytes"
				break
			}
		}
		lr := &limitReader{r: &chunkReader{data, int(chunk%8) + 1}, name: "x.csv",
			maxLine: int64(maxLine), maxTotal: int64(maxTotal), line: 1}
		got, err := io.ReadAll(lr)
		if !bytes.Equal(got, data[:cut]) {
			t.Fatalf("passed on %q, want %q", got, data[:cut])
		}
		switch {
		case wantErr == "" && err != nil:
			t.Fatalf("error %v, want none", err)
		case wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), wantErr)):
			t.Fatalf("error %v, want %q", err, wantErr)
		}
		if err != nil {
			if _, again := lr.Read(make([]byte, 10)); again != err {
				t.Fatalf("the error is not sticky: %v then %v", err, again)
			}
		}
	})
}

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	data []byte
	n    int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), r.n)], r.data)
	r.data = r.data[k:]
	return k, nil
}
