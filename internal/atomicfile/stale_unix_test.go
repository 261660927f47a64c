//go:build unix

package atomicfile

import (
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// envHelperPath names the variable that makes TestHelperWriter, in a child
// test process, write to the path it holds and block in the writer.
const envHelperPath = "ATOMICFILE_TEST_HELPER_PATH"

// deadPID returns the ID of a process that has exited: a child run of this
// test binary that runs no test, waited for.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatalf("run a short child: %v", err)
	}
	pid := cmd.Process.Pid
	if !processGone(pid) {
		t.Skipf("PID %d of an exited child is in use again", pid)
	}
	return pid
}

// livePID returns the ID of a running child (sleep 5), killed at the end of
// the test.
func livePID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("sleep", "5")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sleep: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd.Process.Pid
}

// touch creates an empty file.
func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

// names returns the sorted names in dir.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	slices.Sort(out)
	return out
}

// TestWriteRemovesDeadWritersFiles checks that Write removes the temporary
// files that dead processes left for its target, and keeps those of live
// processes, of other targets and every name not made exactly as Write
// makes them.
func TestWriteRemovesDeadWritersFiles(t *testing.T) {
	dir := t.TempDir()
	dead := deadPID(t)
	live := livePID(t)
	self := os.Getpid()
	stale := []string{
		fmt.Sprintf(".f.txt.tmp-%d-123", dead),
		fmt.Sprintf(".f.txt.tmp-%d-4", dead),
		fmt.Sprintf(".f.txt.tmp-%d-5", math.MaxInt32), // above any pid_max
	}
	kept := []string{
		fmt.Sprintf(".f.txt.tmp-%d-123", self),
		fmt.Sprintf(".f.txt.tmp-%d-123", live),
		fmt.Sprintf(".g.txt.tmp-%d-123", dead),
		fmt.Sprintf(".f.txt.tmp-%d", dead),
		fmt.Sprintf(".f.txt.tmp-%d-12x", dead),
		fmt.Sprintf(".f.txt.tmp-%d-1.bak", dead),
		fmt.Sprintf(".f.txt.tmp-0%d-1", dead),
		fmt.Sprintf("f.txt.tmp-%d-1", dead),
		fmt.Sprintf(".f.txt.tmp-1.tmp-%d-1", dead), // another target's
	}
	for _, name := range append(slices.Clone(stale), kept...) {
		touch(t, filepath.Join(dir, name))
	}
	// A folder with a stale file's name is not a temporary file.
	folder := fmt.Sprintf(".f.txt.tmp-%d-9", dead)
	if err := os.Mkdir(filepath.Join(dir, folder), 0o755); err != nil {
		t.Fatal(err)
	}
	kept = append(kept, folder, "f.txt")

	if err := WriteBytes(filepath.Join(dir, "f.txt"), []byte("new")); err != nil {
		t.Fatal(err)
	}
	slices.Sort(kept)
	if got := names(t, dir); !slices.Equal(got, kept) {
		t.Errorf("after Write the folder holds\n%q\nwant\n%q", got, kept)
	}

	// The next Write to g.txt removes the dead writer's file of g.txt.
	if err := WriteBytes(filepath.Join(dir, "g.txt"), []byte("g")); err != nil {
		t.Fatal(err)
	}
	for _, name := range names(t, dir) {
		if strings.HasPrefix(name, ".g.txt.tmp-") {
			t.Errorf("after a Write to g.txt, %s remains", name)
		}
	}
}

// TestHelperWriter is the child of TestKilledWriterLeftoverRemoved: it
// writes to the path in envHelperPath with a writer that never returns. It
// is skipped unless that variable is set.
func TestHelperWriter(t *testing.T) {
	path := os.Getenv(envHelperPath)
	if path == "" {
		t.Skip("runs only as a child of TestKilledWriterLeftoverRemoved")
	}
	Write(path, func(w io.Writer) error {
		w.Write([]byte("partial"))
		for {
			time.Sleep(time.Hour)
		}
	})
	t.Fatal("the blocking writer returned")
}

// TestKilledWriterLeftoverRemoved kills a real writer (a child test process)
// while its temporary file exists, checks that the file is left behind and
// the target untouched, then checks that the next Write removes the file.
func TestKilledWriterLeftoverRemoved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.txt")
	if err := WriteBytes(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$")
	cmd.Env = append(os.Environ(), envHelperPath+"="+path)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the writer: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-exited
	}()

	prefix := fmt.Sprintf(".f.txt.tmp-%d-", cmd.Process.Pid)
	var temp string
	deadline := time.Now().Add(30 * time.Second)
	for temp == "" {
		for _, name := range names(t, dir) {
			if strings.HasPrefix(name, prefix) {
				temp = name
			}
		}
		if temp != "" {
			break
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("the writer exited (%v) before its temporary file appeared:\n%s", err, out.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s* file after 30s; the folder holds %q", prefix, names(t, dir))
		}
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("kill the writer: %v", err)
	}
	err := <-exited
	exited <- err
	if st, ok := cmd.ProcessState.Sys().(interface{ Signaled() bool }); !ok || !st.Signaled() {
		t.Fatalf("the writer ended with %v, want killed by a signal:\n%s", err, out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, temp)); err != nil {
		t.Fatalf("the killed writer's temporary file is not left: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("after the kill the target holds %q, want the old content", b)
	}

	if err := WriteBytes(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"f.txt"}) {
		t.Errorf("after the next Write the folder holds %q, want only f.txt", got)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("the target holds %q, want the new content", b)
	}
}
