package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/engine/opencl"
)

func runTune(e *env, args []string) int {
	fs := newFlags(e, "tune", "[--device N] [--quick] [--runs N] [--json]",
		"Times the GEMM kernel's candidate blockings on the device, one product per shape class (NN, NT, TN;\n"+
			"small and large), and stores the fastest per class in the user cache folder, where train, bench and\n"+
			"validate find it. Delete the file (its path is printed) to go back to the defaults.")
	dev := deviceFlag(fs)
	quick := fs.Bool("quick", false, "time the large classes at 512³ instead of 1024³")
	runs := fs.Int("runs", 3, "timed runs per candidate, after a warm-up")
	asJSON := fs.Bool("json", false, "print every result and the winners as JSON")
	if code, stop := parse(e, fs, args); stop {
		return code
	}
	if *runs < 1 {
		fmt.Fprintf(e.stderr, "cltrain tune: --runs %d: must be at least 1\n", *runs)
		return exitUsage
	}
	d, err := device.Select(*dev)
	if err != nil {
		return fail(e, "tune", err)
	}
	ctx, err := device.NewContext(d, device.Profiled)
	if err != nil {
		return fail(e, "tune", err)
	}
	defer ctx.Close()
	large := 1024
	if *quick {
		large = 512
	}
	var cases []opencl.TuneCase
	for _, t := range [][2]bool{{false, false}, {false, true}, {true, false}} {
		cases = append(cases,
			opencl.TuneCase{TA: t[0], TB: t[1], M: large, N: large, K: large},
			opencl.TuneCase{TA: t[0], TB: t[1], M: 64, N: 256, K: 64})
	}
	if !*asJSON {
		fmt.Fprintf(e.stdout, "tuning GEMM on device %d: %s (%s)\n", d.Index, d.Name, d.Platform)
	}
	best, results, err := opencl.Tune(ctx, cases, *runs, func(r opencl.TuneResult) {
		if !*asJSON && r.Err == "" {
			fmt.Fprintf(e.stderr, "  %-9s %-14s %-40s %8.1f GFLOP/s\n", r.Class, r.Shape, describe(r.Params), r.GFLOPS)
		}
	})
	if err != nil {
		return fail(e, "tune", err)
	}
	path, err := best.Save(d)
	if err != nil {
		return fail(e, "tune", err)
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(struct {
			Device  device.Info         `json:"device"`
			Best    opencl.Tuning       `json:"best"`
			Results []opencl.TuneResult `json:"results"`
			Path    string              `json:"path"`
		}{d.Info, best, results, path})
		return exitOK
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLASS\tSHAPE\tBEST\tGFLOP/s\tDEFAULT GFLOP/s")
	for _, c := range cases {
		var win, def float64
		for _, r := range results {
			if r.Class != c.Class() || r.Err != "" {
				continue
			}
			if r.Params == best[c.Class()] {
				win = r.GFLOPS
			}
			if isDefault(r.Params, d) {
				def = r.GFLOPS
			}
		}
		fmt.Fprintf(tw, "%s\t%d×%d×%d\t%s\t%.1f\t%s\n", c.Class(), c.M, c.N, c.K, describe(best[c.Class()]), win, orDash(def))
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "saved to %s\n", path)
	return exitOK
}

// describe names a GEMM configuration in a few words.
func describe(p opencl.GemmParams) string {
	if p.Kernel == opencl.GemmCPU {
		return fmt.Sprintf("cpu VW=%d RM=%d NV=%d DR=%d DC=%d", p.VW, p.RM, p.NV, p.DR, p.DC)
	}
	return fmt.Sprintf("tiled %d×%d×%d, %d×%d per item", p.TM, p.TN, p.TK, p.WM, p.WN)
}

// isDefault reports whether p is the kernel's built-in default on d.
func isDefault(p opencl.GemmParams, d device.Device) bool {
	if p.Kernel == opencl.GemmCPU {
		return (p.VW == 0 || p.VW == 16) && (p.RM == 0 || p.RM == 12) && (p.NV == 0 || p.NV == 2) && (p.DR == 0 || p.DR == 4) && (p.DC == 0 || p.DC == 4)
	}
	def := opencl.DefaultGemm
	return p.TM == def.TM && p.TN == def.TN && p.TK == def.TK && p.WM == def.WM && p.WN == def.WN
}

func orDash(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", v)
}
