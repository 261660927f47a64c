package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// output is a file a command will write, named by its flag.
type output struct {
	flag, path string
}

// checkOutputs checks, before any work and without creating anything, that
// every output can be written where it is asked for: its folder exists, it
// is not a folder or a device itself, and it is none of the inputs (compared
// by file identity, so another spelling, a symbolic or a hard link to an
// input is caught too) nor another output. A long run must not learn at its
// end that it cannot save, nor overwrite its own data.
func checkOutputs(outputs []output, inputs []output) error {
	type known struct {
		output
		info fs.FileInfo
	}
	var seen []known
	for _, in := range inputs {
		if in.path == "" {
			continue
		}
		if st, err := os.Stat(in.path); err == nil {
			seen = append(seen, known{in, st})
		}
	}
	var outs []output
	for _, o := range outputs {
		if o.path == "" {
			continue
		}
		for _, prev := range outs {
			if filepath.Clean(prev.path) == filepath.Clean(o.path) {
				return fmt.Errorf("%s %s: %s names the same file", o.flag, o.path, prev.flag)
			}
		}
		outs = append(outs, o)
		dir := filepath.Dir(o.path)
		st, err := os.Stat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("%s %s: folder %s does not exist", o.flag, o.path, dir)
		case err != nil:
			return fmt.Errorf("%s %s: %w", o.flag, o.path, err)
		case !st.IsDir():
			return fmt.Errorf("%s %s: %s is not a folder", o.flag, o.path, dir)
		}
		st, err = os.Stat(o.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", o.flag, o.path, err)
		}
		if st.IsDir() {
			return fmt.Errorf("%s %s: is a folder; name a file in it", o.flag, o.path)
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("%s %s: is not a regular file (the output replaces the file it names)", o.flag, o.path)
		}
		for _, k := range seen {
			if os.SameFile(st, k.info) {
				return fmt.Errorf("%s %s: is the %s file %s; writing it would destroy the input", o.flag, o.path, k.flag, k.path)
			}
		}
		seen = append(seen, known{o, st})
	}
	return nil
}
