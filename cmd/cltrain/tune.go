package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cltrain/cltrain/bench"
	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/engine/opencl"
)

// stepGuard is how much slower than with the defaults a training step that
// runs a tuned class may run with the chosen tuning before tune stores
// none: the medians of a few alternating runs differ by a percent or two
// when nothing changed; beyond that the tuning would make training slower.
const stepGuard = 0.03

// stepRuns is the least number of timed runs of each training step.
const stepRuns = 5

func runTune(e *env, args []string) int {
	fs := newFlags(e, "tune", "[--device N] [--quick] [--runs N] [--json]",
		"Times the GEMM kernel's candidate blockings on the GEMMs of the training steps cltrain bench times\n"+
			"(forward W·X, backward Wᵀ·dZ, update dZ·Aᵀ, with their epilogues), per shape class (NN, NT, TN;\n"+
			"small and large), and keeps the default of a class unless a candidate is faster on that class's\n"+
			"training shapes and slower on no step. It then times each training step with the defaults and with\n"+
			"the choice, prints both, and stores the choice in the user cache folder, where train, bench and\n"+
			"validate find it (a device without a tuning of its own uses one of the same vendor and type).\n"+
			"Delete the file (its path is printed) to go back to the defaults.")
	dev := deviceFlag(fs)
	quick := fs.Bool("quick", false, "tune on the two smaller training steps only (2-4-400, 64-128-2048)")
	runs := fs.Int("runs", 3, "timed runs per candidate and product (and per training step, at least 5), after a warm-up")
	asJSON := fs.Bool("json", false, "print every result, the verdicts, the step times and the choice as JSON")
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
	steps := bench.TrainingSteps
	if *quick {
		steps = steps[:2]
	}
	var cases []opencl.TuneCase
	var names []string
	for _, s := range steps {
		cases = append(cases, opencl.TrainingCases([]int{s.NX, s.NH, 1}, s.M)...)
		names = append(names, s.String())
	}
	if !*asJSON {
		fmt.Fprintf(e.stdout, "tuning GEMM on device %d: %s (%s), on the products of training steps %s\n",
			d.Index, d.Name, d.Platform, strings.Join(names, ", "))
	}
	rep, err := opencl.Tune(ctx, cases, *runs, func(r opencl.TuneResult) {
		if *asJSON {
			return
		}
		note := ""
		switch {
		case r.Err != "":
			note = "error: " + r.Err
		case r.Dropped:
			note = "dropped: over twice the default's time"
		case r.Default:
			note = "default"
		}
		if r.Confirm {
			note = strings.TrimSpace("confirming " + note)
		}
		fmt.Fprintf(e.stderr, "  %-9s %-15s %-8s %-16s %-30s %9.3f ms %7.1f GFLOP/s  %s\n",
			r.Class, r.Step, r.Op, r.Shape, describe(r.Params, d), ms(r.Median), r.GFLOPS, note)
	})
	if err != nil {
		return fail(e, "tune", err)
	}
	touched := map[string]bool{} // steps that run a tuned class
	for _, c := range cases {
		if _, ok := rep.Tuning[c.Class()]; ok {
			touched[c.Step] = true
		}
	}
	var times []opencl.StepTimes
	slower := ""
	for _, s := range steps {
		st, err := opencl.CompareSteps(d, rep.Tuning, []int{s.NX, s.NH, 1}, s.M, max(*runs, stepRuns))
		if err != nil {
			return fail(e, "tune", err)
		}
		times = append(times, st)
		if touched[st.Step] && float64(st.Tuned) > float64(st.Default)*(1+stepGuard) && slower == "" {
			slower = st.Step
		}
	}
	chosen := rep.Tuning
	if slower != "" {
		chosen = opencl.Tuning{}
	}
	path, err := chosen.Save(d)
	if err != nil {
		return fail(e, "tune", err)
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Device    device.Info         `json:"device"`
			Best      opencl.Tuning       `json:"best"`
			Discarded string              `json:"discarded_for_step,omitempty"`
			Classes   []opencl.TuneClass  `json:"classes"`
			Steps     []opencl.StepTimes  `json:"steps"`
			Results   []opencl.TuneResult `json:"results"`
			Path      string              `json:"path"`
		}{d.Info, chosen, slower, rep.Classes, times, rep.Results, path}); err != nil {
			return fail(e, "tune", err)
		}
		return exitOK
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLASS\tPRODUCTS\tDEFAULT ms\tBEST\tBEST ms\tCHOICE")
	for _, c := range rep.Classes {
		choice := "default kept"
		if c.Tuned {
			choice = "tuned"
		}
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%s\t%.3f\t%s\n", c.Class, c.Cases, ms(c.Default), describe(c.Best, d), ms(c.Time), choice)
	}
	tw.Flush()
	fmt.Fprintln(e.stdout)
	tw = tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tDEFAULT ms\tTUNED ms\tCHANGE\t")
	for _, st := range times {
		note := "(no tuned class: the difference is noise)"
		if touched[st.Step] {
			note = ""
		}
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%+.1f%%\t%s\n", st.Step, ms(st.Default), ms(st.Tuned), 100*(float64(st.Tuned)/float64(st.Default)-1), note)
	}
	tw.Flush()
	if slower != "" {
		fmt.Fprintf(e.stdout, "tuning discarded: step %s ran over %.0f%% slower with it; the defaults stay\n", slower, 100*stepGuard)
	}
	fmt.Fprintf(e.stdout, "saved to %s\n", path)
	return exitOK
}

// describe names a GEMM configuration as it runs on d, in a few words.
func describe(p opencl.GemmParams, d device.Device) string {
	r := p.Resolve(d)
	s := fmt.Sprintf("tiled %d×%d×%d, %d×%d per item", r.TM, r.TN, r.TK, r.WM, r.WN)
	if r.Kernel == opencl.GemmCPU {
		s = fmt.Sprintf("cpu VW=%d RM=%d NV=%d DR=%d DC=%d", r.VW, r.RM, r.NV, r.DR, r.DC)
	}
	if p.IsDefault(d) {
		s += " (default)"
	}
	return s
}

// ms returns d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / 1e6 }
