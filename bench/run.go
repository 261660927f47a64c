package bench

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/cltrain/cltrain/cpuref/openblas"
	"github.com/cltrain/cltrain/device"
)

// Run measures every case of the chosen groups on every backend and returns
// the report. Backends that cannot be loaded (OpenBLAS, CLBlast) are left
// out with a note; a backend that fails on a case gets a row with the
// error.
func Run(o Options) (*Report, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	start := time.Now()
	o.Steps = slices.SortedStableFunc(slices.Values(o.Steps), func(a, b StepConfig) int {
		return cmp.Compare(a.Flops(), b.Flops())
	})
	r := &Report{Device: o.Device.Info, Runs: o.Runs, Warmup: o.Warmup, Started: start, CPUs: runtime.NumCPU()}
	var obl blasImpl
	if o.NoOpenBLAS {
		r.Notes = append(r.Notes, "OpenBLAS left out (asked)")
	} else if impl, err := openblas.Load(); err != nil {
		r.Notes = append(r.Notes, "OpenBLAS left out: "+err.Error())
	} else {
		obl = impl
		r.OpenBLAS = openBLASKernelSet(impl.Name())
		if w := r.OpenBLAS.Warning; w != "" {
			o.logf("bench: warning: %s", w)
		}
	}
	cpus := cpuBackends(obl)
	env, notes, err := newCLEnv(&o)
	if err != nil {
		return nil, fmt.Errorf("open device %d (%s): %w", o.Device.Index, o.Device.Name, err)
	}
	defer env.close()
	r.Notes = append(r.Notes, notes...)
	r.Backends = backendInfos(cpus, env, o.Parallel)
	o.logf("bench: peak FLOP rate and copy bandwidth of %s, the host CPU's FMA peak", o.Device.Name)
	if r.Peak, err = measurePeak(env.ctx, &o); err != nil {
		return nil, fmt.Errorf("peak: %w", err)
	}
	r.Peak.Hardware = measureHardwarePeak(o.PeakTarget, hardwarePeakRuns)
	rng := rand.New(rand.NewPCG(1, 2))
	p := o.plan()
	var cases []func() (*caseRun, error)
	if o.runs(GroupGemm) {
		for _, g := range gemmCases(&o) {
			cases = append(cases, func() (*caseRun, error) { return gemmRun(g, cpus, env, rng), nil })
		}
	}
	if o.runs(GroupElementwise) {
		for _, n := range o.Elements {
			for _, op := range elementOps {
				cases = append(cases, func() (*caseRun, error) {
					return elementRun(newElementCase(op, n, o.ElementRows), env, rng), nil
				})
			}
		}
	}
	ts := trainers(&o, cpus)
	defer closeTrainers(ts)
	if o.runs(GroupStep) {
		for _, s := range o.Steps {
			cases = append(cases, func() (*caseRun, error) { return stepRun(s, ts, rng) })
		}
	}
	if o.runs(GroupFlower) && o.FlowerIters > 0 {
		cases = append(cases, func() (*caseRun, error) { return flowerRun(o.FlowerIters, ts, rng) })
	}
	for i, setup := range cases {
		c, err := setup()
		if err != nil {
			return nil, err
		}
		o.logf("bench: %d/%d %s %s", i+1, len(cases), c.spec.group, c.spec.name)
		r.Rows = append(r.Rows, measureCase(c, p)...)
	}
	// The peak again, keeping the better of the two: a machine busy with
	// other work during one of them understates the device.
	o.logf("bench: peak FLOP rate and copy bandwidth again")
	again, err := measurePeak(env.ctx, &o)
	if err != nil {
		return nil, fmt.Errorf("peak: %w", err)
	}
	again.Hardware = measureHardwarePeak(o.PeakTarget, hardwarePeakRuns)
	r.Peak = r.Peak.best(again)
	r.derive()
	r.Seconds = time.Since(start).Seconds()
	return r, nil
}

// backendInfos names the backends of a run.
func backendInfos(cpus []cpuBackend, env *clEnv, parallel []device.Device) []BackendInfo {
	var bs []BackendInfo
	for _, c := range cpus {
		name := c.name()
		switch c.id {
		case CPU32Gonum:
			name += ", the ratio base"
		case CPU64Gonum:
			name += ", the reference"
		}
		bs = append(bs, BackendInfo{ID: c.id, Name: name})
	}
	d := env.ctx.Device
	tuning := "GEMM untuned: cltrain tune stores a tuning"
	if env.classes > 0 {
		tuning = fmt.Sprintf("GEMM tuned for %d shape classes", env.classes)
	}
	bs = append(bs, BackendInfo{ID: OpenCL, Name: fmt.Sprintf("cltrain's kernels on %s (%s, %s; %s)", d.Name, d.Platform, d.Type, tuning)})
	if len(parallel) >= 2 {
		names := make([]string, len(parallel))
		for i, d := range parallel {
			names[i] = fmt.Sprintf("%d: %s", d.Index, d.Name)
		}
		bs = append(bs, BackendInfo{ID: OpenCLParallel, Name: fmt.Sprintf("cltrain's kernels data-parallel on %d devices (%s), the split by their measured speed, gradients summed through the host (comm)", len(names), strings.Join(names, "; "))})
	}
	if env.blast != nil {
		bs = append(bs, BackendInfo{ID: CLBlast, Name: fmt.Sprintf("CLBlast SGEMM (%s) on the same device and queue", env.blast.Name())})
	}
	return bs
}

// logf writes a progress line to o.Log, if any.
func (o *Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format+"\n", args...)
	}
}
