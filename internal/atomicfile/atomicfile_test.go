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
