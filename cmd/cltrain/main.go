// Command cltrain trains a small tanh/sigmoid classifier with OpenCL kernels
// (on a GPU or any OpenCL CPU device such as PoCL), validates the kernels
// against a float64 CPU reference, and benchmarks CPU against OpenCL.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/cltrain/cltrain/device"
)

// exit codes
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// command is one cltrain subcommand.
type command struct {
	name    string
	summary string
	run     func(env *env, args []string) int
}

// env is what a command runs with: its output streams.
type env struct {
	stdout, stderr io.Writer
}

func commands() []command {
	return []command{
		{"devices", "list the OpenCL devices", runDevices},
		{"validate", "check every kernel against the CPU reference", runValidate},
		{"train", "train the classifier (default: the flower data set)", runTrain},
		{"predict", "predict with a saved model", runPredict},
		{"bench", "benchmark CPU against OpenCL", runBench},
		{"tune", "find the fastest GEMM blocking for a device", runTune},
	}
}

func main() {
	// A closed pipe on stdout (cltrain train | head -1) makes writes fail
	// with EPIPE instead of killing the process, so that a run still saves
	// its checkpoint; run reports the failed write.
	signal.Ignore(syscall.SIGPIPE)
	os.Exit(run(os.Args[1:], &env{stdout: os.Stdout, stderr: os.Stderr}))
}

// outWriter passes writes on until one fails and keeps that error, so that
// a command's output to a full disk or a closed pipe is never lost silently.
type outWriter struct {
	w   io.Writer
	err error
}

func (o *outWriter) Write(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.w.Write(p)
	if err != nil {
		o.err = err
	}
	return n, err
}

func run(args []string, e *env) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	out := &outWriter{w: e.stdout}
	e = &env{stdout: out, stderr: e.stderr}
	code := dispatch(args, e)
	if out.err != nil {
		fmt.Fprintf(e.stderr, "cltrain %s: write standard output: %v\n", args[0], out.err)
		if code == exitOK {
			code = exitError
		}
	}
	return code
}

func dispatch(args []string, e *env) int {
	switch args[0] {
	case "-h", "--help", "help":
		usage(e.stdout)
		return exitOK
	case "--version", "version":
		fmt.Fprintln(e.stdout, version())
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(e, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "cltrain: unknown command %q\n", args[0])
	usage(e.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: cltrain <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'cltrain <command> --help' for a command's flags, 'cltrain --version' for the version.")
	fmt.Fprintln(w, "The OpenCL device is --device N (see 'cltrain devices'), else $CLTRAIN_DEVICE, else the first GPU, else the first device.")
}

// newFlags returns a flag set for a command whose errors are left to parse.
func newFlags(e *env, name, args, about string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: cltrain %s %s\n\n%s\n\nFlags:\n%s", name, args, about, fs.FlagUsages())
	}
	return fs
}

// parse parses args, returning the exit code to stop with, if any: 0 after
// --help (printed on stdout), 2 after a bad flag or stray argument.
func parse(e *env, fs *pflag.FlagSet, args []string) (int, bool) {
	usage := fs.Usage
	fs.Usage = func() {} // pflag would print it on --help too
	err := fs.Parse(args)
	fs.Usage = usage
	if err == nil {
		err = repeatedFlag(fs, args)
	}
	if f := fs.Lookup("device"); err == nil && f != nil {
		if v, convErr := strconv.Atoi(f.Value.String()); convErr == nil {
			err = checkDevice(v)
		}
	}
	if errors.Is(err, pflag.ErrHelp) {
		fs.SetOutput(e.stdout)
		fs.Usage()
		return exitOK, true
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "cltrain %s: %v\n", fs.Name(), err)
		fs.Usage()
		return exitUsage, true
	}
	return 0, false
}

// repeatedFlag refuses a flag given twice: pflag would keep the last value
// of most flags and append the values of list flags (--hidden 4 --hidden 5
// would mean 4,5), either way not what one of the two asked for.
func repeatedFlag(fs *pflag.FlagSet, args []string) error {
	seen := map[string]bool{}
	for _, a := range args {
		if a == "--" {
			break
		}
		name, ok := strings.CutPrefix(a, "--")
		if !ok {
			continue
		}
		name, _, _ = strings.Cut(name, "=")
		if fs.Lookup(name) == nil {
			continue
		}
		if seen[name] {
			return fmt.Errorf("--%s given more than once: give it once (lists comma-separated, as in --hidden 64,32)", name)
		}
		seen[name] = true
	}
	return nil
}

// version describes the build: the module version and, for a build from a
// checkout, the commit.
func version() string {
	v := "cltrain (unknown version)"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v = "cltrain " + info.Main.Version
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+modified"
			}
		}
	}
	if rev != "" {
		v += fmt.Sprintf(" (commit %.12s%s)", rev, dirty)
	}
	return v + ", " + info.GoVersion
}

// deviceFlag adds the --device flag every OpenCL command takes.
func deviceFlag(fs *pflag.FlagSet) *int {
	return fs.Int("device", device.Auto, "OpenCL device index from cltrain devices; -1: $CLTRAIN_DEVICE, else the first GPU, else the first device")
}

// checkDevice refuses a --device that no device can have: a negative index
// other than -1, the default.
func checkDevice(index int) error {
	if index < 0 && index != device.Auto {
		return fmt.Errorf("--device %d: not a device index: devices are numbered from 0 (see cltrain devices; -1 means the default)", index)
	}
	return nil
}

// fail prints err as one line and returns exitError.
func fail(e *env, cmd string, err error) int {
	fmt.Fprintf(e.stderr, "cltrain %s: %v\n", cmd, err)
	return exitError
}
