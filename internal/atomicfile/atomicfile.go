// Package atomicfile writes files so that readers, and a crash or an
// interruption, see either the old content or the whole new one, never a
// part: the content goes to a temporary file in the same folder, which is
// synced and then renamed over the target.
//
// The temporary file of a target named base is .<base>.tmp-<pid>-<random>,
// where pid is the writing process's ID. A process killed between creating
// and renaming it leaves it behind; on Unix the next Write to the same target
// removes such files whose process no longer exists. Files of live processes
// (concurrent writers), of other targets, or not named exactly so are never
// touched. On other systems leftovers are not removed.
package atomicfile

import (
	"bufio"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Write calls write with a buffered writer on a temporary file beside path,
// then flushes and syncs it, renames it to path (keeping path's permissions
// when it exists, else 0644) and syncs the folder. On any error the
// temporary file is removed and path is left as it was. Before creating the
// temporary file it removes those that dead processes left for path (see the
// package documentation).
func Write(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	removeStale(dir, base)
	f, err := os.CreateTemp(dir, tempPrefix(base)+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Chmod(mode); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return nil // the file is in place; only the rename's durability is unknown
	}
	defer d.Close()
	d.Sync()
	return nil
}

// WriteBytes writes data to path as Write does.
func WriteBytes(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// tempPrefix is what every temporary file for the target named base starts
// with; the writer's process ID, a dash and random digits follow.
func tempPrefix(base string) string { return "." + base + ".tmp-" }

// stalePID returns the process ID in name when name is a temporary file for
// the target named base, exactly as Write names them: the prefix, a positive
// decimal process ID without leading zeros, a dash and one or more decimal
// digits. ok is false for any other name.
func stalePID(name, base string) (pid int, ok bool) {
	rest, found := strings.CutPrefix(name, tempPrefix(base))
	if !found {
		return 0, false
	}
	pidText, random, found := strings.Cut(rest, "-")
	if !found || !allDigits(random) || !allDigits(pidText) {
		return 0, false
	}
	n, err := strconv.ParseInt(pidText, 10, 32)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != pidText {
		return 0, false
	}
	return int(n), true
}

// allDigits reports whether s is non-empty and only ASCII decimal digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// removeStale removes, from dir, the regular files that are temporary files
// for the target named base whose writing process no longer exists. It is
// best effort: a folder that cannot be read, or a file that cannot be removed
// (or that another writer removed first), is left to the next Write.
func removeStale(dir, base string) {
	if !canCheckProcesses {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		pid, ok := stalePID(e.Name(), base)
		if !ok || !processGone(pid) {
			continue
		}
		os.Remove(filepath.Join(dir, e.Name()))
	}
}
