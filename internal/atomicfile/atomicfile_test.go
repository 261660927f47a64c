package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.txt")
	if err := WriteBytes(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(path, []byte("new content")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	st, _ := os.Stat(path)
	if string(b) != "new content" || st.Mode().Perm() != 0o600 {
		t.Errorf("content %q mode %v, want the new content and the old mode", b, st.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("folder holds %d entries, want 1", len(entries))
	}
}

// TestFailedWriteLeavesOldFile checks that a write that fails half-way
// leaves the old file and no temporary file.
func TestFailedWriteLeavesOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.txt")
	if err := WriteBytes(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(path, func(w io.Writer) error {
		w.Write([]byte("partial"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write = %v, want the writer's error", err)
	}
	b, _ := os.ReadFile(path)
	if entries, _ := os.ReadDir(dir); string(b) != "old" || len(entries) != 1 {
		t.Errorf("after a failed write: content %q, %d entries", b, len(entries))
	}
	if err := WriteBytes(filepath.Join(dir, "missing", "f.txt"), nil); err == nil {
		t.Error("writing into a missing folder succeeded")
	}
}

// TestStalePID checks which names count as temporary files of a target:
// only .<base>.tmp-<pid>-<digits> exactly, with a positive pid that fits a
// process ID and has no leading zeros.
func TestStalePID(t *testing.T) {
	for _, c := range []struct {
		name string
		pid  int
		ok   bool
	}{
		{".f.txt.tmp-123-456", 123, true},
		{".f.txt.tmp-2147483647-0", 2147483647, true},
		{".f.txt.tmp-123", 0, false},           // the format before PIDs
		{".f.txt.tmp-123-", 0, false},          // no random part
		{".f.txt.tmp--456", 0, false},          // no PID
		{".f.txt.tmp-0-456", 0, false},         // PID 0
		{".f.txt.tmp-0123-456", 0, false},      // leading zero
		{".f.txt.tmp-2147483648-1", 0, false},  // beyond a process ID
		{".f.txt.tmp-123-45x", 0, false},       // not digits
		{".f.txt.tmp-123-456.bak", 0, false},   // a suffix
		{".f.txt.tmp-123-4-5", 0, false},       // a second dash
		{".f.txt.tmp-+12-3", 0, false},         // a sign
		{"f.txt.tmp-123-456", 0, false},        // no leading dot
		{".g.txt.tmp-123-456", 0, false},       // another target
		{".f.txt.tmp-1.tmp-123-456", 0, false}, // the target f.txt.tmp-1
		{"f.txt", 0, false},
	} {
		pid, ok := stalePID(c.name, "f.txt")
		if pid != c.pid || ok != c.ok {
			t.Errorf("stalePID(%q) = %d, %v; want %d, %v", c.name, pid, ok, c.pid, c.ok)
		}
	}
}

// TestTempNameCarriesPID checks that the temporary file, seen from inside
// the writer, is named with this process's ID.
func TestTempNameCarriesPID(t *testing.T) {
	dir := t.TempDir()
	var names []string
	err := Write(filepath.Join(dir, "f.txt"), func(w io.Writer) error {
		entries, err := os.ReadDir(dir)
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 {
		t.Fatalf("folder held %q while writing, want one temporary file", names)
	}
	if pid, ok := stalePID(names[0], "f.txt"); !ok || pid != os.Getpid() {
		t.Errorf("temporary file %q: want .f.txt.tmp-%d-<random>", names[0], os.Getpid())
	}
}
