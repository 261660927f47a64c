package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cltrain/cltrain/bench"
	"github.com/cltrain/cltrain/device"
)

func runBench(e *env, args []string) int {
	fs := newFlags(e, "bench", "[--device N] [--quick] [--runs N] [--cases LIST] [--json | --csv] [--plot PATH.png]",
		"Benchmarks CPU float32 (gonum, and OpenBLAS when installed), CPU float64 and OpenCL (cltrain's\n"+
			"kernels, and CLBlast's SGEMM when installed) side by side: GEMM NN/NT/TN (square sweep and training\n"+
			"shapes), the elementwise ops, one training step per configuration and the flower training run.\n"+
			"Backends run interleaved after a warm-up, a run under 50 ms timed after 50 ms of untimed runs of its\n"+
			"own; each row gives the median and min–max of its runs, the rate, the ratio to CPU float32 (gonum),\n"+
			"the fraction of the device's measured peak (%PEAK: the FMA kernel on the device, the copy bandwidth\n"+
			"for the elementwise ops) and, for GEMMs, of the host's hardware FMA peak (%HW: an AVX-512 or AVX2 FMA\n"+
			"loop on every core). The header names the OpenBLAS kernel set and warns when it is older than the CPU\n"+
			"runs. The step group adds the 784-256-8192 step with ReLU, with Adam and with a softmax over 10\n"+
			"classes. Progress goes to stderr.")
	dev := deviceFlag(fs)
	quick := fs.Bool("quick", false, "a run of under a minute: 3 runs, fewer sizes, no 1024-4096-4096 step, flower cut to 2000 iterations")
	runs := fs.Int("runs", 10, "timed runs per backend and case (3 with --quick)")
	warmup := fs.Int("warmup", 1, "untimed runs per backend and case before the timed ones")
	budget := fs.Duration("case-budget", 0, "start no more rounds of a case after this long, once 3 (2 with --quick) are done (default 30s, 2s with --quick)")
	cases := fs.StringSlice("cases", nil, "case groups to run: gemm,elementwise,step,flower (default all)")
	flower := fs.Int("flower-iters", 0, "iterations of the flower run (default 10000, 2000 with --quick)")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	asCSV := fs.Bool("csv", false, "print the rows as CSV")
	plotPath := fs.String("plot", "", "draw GFLOP/s against GEMM size and step time per configuration to this .png")
	clblastLib := fs.String("clblast", "", `CLBlast library to load (default libclblast.so.1; "none" leaves it out)`)
	noOpenBLAS := fs.Bool("no-openblas", false, "leave OpenBLAS out even where it is installed")
	parallel := fs.String("parallel", "", "also run the training steps data-parallel on these devices (0,1 or all), with the\n"+
		"time per step spent summing gradients across them (comm)")
	if code, stop := parse(e, fs, args); stop {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "cltrain bench: "+format+"\n", a...)
		return exitUsage
	}
	switch {
	case *asJSON && *asCSV:
		return usageErr("--json and --csv both set: pick one")
	case *runs < 1:
		return usageErr("--runs %d: want at least 1", *runs)
	case *warmup < 0:
		return usageErr("--warmup %d: must not be negative", *warmup)
	case *budget < 0:
		return usageErr("--case-budget %v: must not be negative", *budget)
	case *flower < 0:
		return usageErr("--flower-iters %d: must not be negative", *flower)
	}
	if _, _, err := device.ParseList(*parallel); err != nil {
		return usageErr("--parallel: %v", err)
	}
	for _, c := range *cases {
		if !slices.Contains(bench.Groups, c) {
			return usageErr("--cases %q: want some of %s", c, strings.Join(bench.Groups, ","))
		}
	}
	d, err := device.Select(*dev)
	if err != nil {
		return fail(e, "bench", err)
	}
	o := bench.DefaultOptions(d)
	if *quick {
		o = bench.QuickOptions(d)
	}
	if fs.Changed("runs") {
		o.Runs = *runs
	}
	o.Warmup, o.Groups, o.CLBlastLibrary, o.NoOpenBLAS, o.Log = *warmup, *cases, *clblastLib, *noOpenBLAS, e.stderr
	if *budget > 0 {
		o.CaseBudget = *budget
	}
	if *parallel != "" {
		if o.Parallel, err = device.SelectList(*parallel); err != nil {
			return fail(e, "bench", err)
		}
		if len(o.Parallel) < 2 {
			return usageErr("--parallel %s: name two devices or more", *parallel)
		}
	}
	if *flower > 0 {
		o.FlowerIters = *flower
	}
	r, err := bench.Run(o)
	if err != nil {
		return fail(e, "bench", err)
	}
	switch {
	case *asJSON:
		err = r.WriteJSON(e.stdout)
	case *asCSV:
		err = r.WriteCSV(e.stdout)
	default:
		err = r.WriteTable(e.stdout)
		fmt.Fprintf(e.stdout, "\n%d rows in %s\n", len(r.Rows), (time.Duration(r.Seconds * 1e9)).Round(time.Second))
	}
	if err != nil {
		return fail(e, "bench", err)
	}
	if *plotPath != "" {
		if err := r.Plot(*plotPath); err != nil {
			return fail(e, "bench", err)
		}
		fmt.Fprintf(e.stderr, "cltrain bench: plot written to %s\n", *plotPath)
	}
	return exitOK
}
