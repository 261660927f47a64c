package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"text/tabwriter"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/internal/validate"
)

// maxSeed bounds validate's seeds: JSON numbers are float64 to most tools,
// which hold integers exactly only below 2⁵³, and a seed that comes back
// rounded cannot replay the run.
const maxSeed = 1 << 53

func runValidate(e *env, args []string) int {
	fs := newFlags(e, "validate", "[--device N] [--json] [--quick | --set full|quick|oclgrind] [--seed S]",
		"Runs every kernel on fresh random inputs at many shapes (odd sizes, tile edges, K ≥ 4096), with outputs\n"+
			"poisoned with NaN, and compares with the float64 CPU reference by ‖out − ref‖/‖ref‖.\n"+
			"Exits 1 if any kernel fails its tolerance (elementwise 1e-6; GEMM and reductions 2e-5, growing as √n\n"+
			"for sums of n > 4400 terms).\n\n"+
			"Case sets: full (the default), quick (without the largest shapes), and oclgrind: every kernel, GEMM\n"+
			"transpose and epilogue at a few small shapes, for the Oclgrind simulator, which checks every memory\n"+
			"access but runs thousands of times slower than a CPU device (README.md, Tests).")
	dev := deviceFlag(fs)
	asJSON := fs.Bool("json", false, "print the results as a JSON object")
	quick := fs.Bool("quick", false, "skip the largest shapes (--set quick)")
	set := fs.String("set", validate.Sets[0], "the cases to run: "+strings.Join(validate.Sets, ", "))
	seed := fs.Uint64("seed", 0, "random seed for the inputs, below 2^53 so that JSON tools keep it exact (0: a fresh one)")
	if code, stop := parse(e, fs, args); stop {
		return code
	}
	if *seed >= maxSeed {
		fmt.Fprintf(e.stderr, "cltrain validate: --seed %d: must be below 2^53 (%d), the largest integer JSON numbers hold exactly\n", *seed, uint64(maxSeed))
		return exitUsage
	}
	if *quick {
		if fs.Changed("set") && *set != "quick" {
			fmt.Fprintf(e.stderr, "cltrain validate: --quick and --set %s contradict each other: give one\n", *set)
			return exitUsage
		}
		*set = "quick"
	}
	cases, err := validate.CasesFor(*set)
	if err != nil {
		fmt.Fprintf(e.stderr, "cltrain validate: --set: %v\n", err)
		return exitUsage
	}
	d, err := device.Select(*dev)
	if err != nil {
		return fail(e, "validate", err)
	}
	if *seed == 0 {
		*seed = 1 + rand.Uint64N(maxSeed-1)
	}
	results, tuned, err := validate.OnDevice(d, cases, *seed)
	if err != nil {
		return fail(e, "validate", err)
	}
	failed := 0
	for _, r := range results {
		if !r.Pass {
			failed++
		}
	}
	if *asJSON {
		out := struct {
			Device  device.Info       `json:"device"`
			Seed    uint64            `json:"seed"`
			Pass    bool              `json:"pass"`
			Results []validate.Result `json:"results"`
		}{d.Info, *seed, failed == 0, results}
		for i := range out.Results {
			// A kernel that did not run has NaN errors, which JSON cannot hold.
			if r := &out.Results[i]; r.Err != "" {
				r.RelErr, r.MaxAbs = -1, -1
			}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return fail(e, "validate", err)
		}
	} else {
		fmt.Fprintf(e.stdout, "device %d: %s (%s), seed %d, %d tuned GEMM classes\n", d.Index, d.Name, d.Platform, *seed, tuned)
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "KERNEL\tSHAPE\tREL ERR\tMAX ABS\tTOL\tRESULT\t")
		for _, r := range results {
			res := "PASS"
			if !r.Pass {
				res = "FAIL"
			}
			fmt.Fprintf(tw, "%s\t%s\t%.2e\t%.2e\t%.0e\t%s\t\n", r.Kernel, r.Shape, r.RelErr, r.MaxAbs, r.Tol, res)
			if r.Err != "" {
				tw.Flush()
				fmt.Fprintf(e.stdout, "  error: %s\n", r.Err)
			}
		}
		tw.Flush()
		fmt.Fprintf(e.stdout, "%d of %d passed\n", len(results)-failed, len(results))
	}
	if failed > 0 {
		fmt.Fprintf(e.stderr, "cltrain validate: %d of %d kernel checks failed\n", failed, len(results))
		return exitError
	}
	return exitOK
}
