// Command cltrain trains a small tanh/sigmoid classifier with OpenCL kernels
// (on a GPU or any OpenCL CPU device such as PoCL), validates the kernels
// against a float64 CPU reference, and benchmarks CPU against OpenCL.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"
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
	os.Exit(run(os.Args[1:], &env{stdout: os.Stdout, stderr: os.Stderr}))
}

func run(args []string, e *env) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(e.stdout)
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
	fmt.Fprintln(w, "Run 'cltrain <command> --help' for a command's flags.")
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

// deviceFlag adds the --device flag every OpenCL command takes.
func deviceFlag(fs *pflag.FlagSet) *int {
	return fs.Int("device", -1, "OpenCL device index from cltrain devices; -1: $CLTRAIN_DEVICE, else the first GPU, else the first device")
}

// fail prints err as one line and returns exitError.
func fail(e *env, cmd string, err error) int {
	fmt.Fprintf(e.stderr, "cltrain %s: %v\n", cmd, err)
	return exitError
}
