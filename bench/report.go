package bench

import (
	"time"

	"github.com/cltrain/cltrain/device"
)

// Report is the outcome of a Run.
type Report struct {
	Device   device.Info   `json:"device"`
	Backends []BackendInfo `json:"backends"`
	// OpenBLAS is the kernel set of the cpu32-openblas rows; nil when
	// OpenBLAS was left out.
	OpenBLAS *KernelSet `json:"openblas,omitempty"`
	// Notes say what was left out and why, one line each.
	Notes      []string    `json:"notes,omitempty"`
	Peak       Peak        `json:"peak"`
	Runs       int         `json:"runs"`   // timed runs asked per backend and case
	Warmup     int         `json:"warmup"` // untimed runs before them
	Rows       []Row       `json:"rows"`
	Crossovers []Crossover `json:"crossovers"`
	Started    time.Time   `json:"started"`
	Seconds    float64     `json:"seconds"` // the whole run
	CPUs       int         `json:"cpus"`    // logical CPUs of the host
}

// BackendInfo names a backend of the run.
type BackendInfo struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Row is one backend's figures on one case.
type Row struct {
	Group string `json:"group"` // gemm, elementwise, step or flower
	Case  string `json:"case"`  // e.g. "NN 1024×1024×1024", "bias_tanh 256×4096", "784-256-8192"
	Op    string `json:"op"`    // NN, NT, TN; the kernel name; step; flower
	// Shape is M, N, K (gemm); rows, cols (elementwise); n_x, n_h, m
	// (step); n_x, n_h, m, iterations (flower).
	Shape   []int    `json:"shape"`
	Backend string   `json:"backend"`
	Runs    int      `json:"runs"`                // timed runs done
	Wall    Summary  `json:"wall_ms"`             // first call through the last wait
	Kernel  *Summary `json:"kernel_ms,omitempty"` // summed kernel events of a run (OpenCL)
	Comm    *Summary `json:"comm_ms,omitempty"`   // summing gradients across devices (opencl-parallel)
	Flops   float64  `json:"flops,omitempty"`     // GEMM flops of one run
	Bytes   float64  `json:"bytes,omitempty"`     // bytes read + written by one run
	Unit    string   `json:"unit"`                // unit of Rate: GFLOP/s or GB/s
	Rate    float64  `json:"rate"`                // work per median wall time
	// KernelRate is the work per median kernel time (OpenCL rows).
	KernelRate float64 `json:"kernel_rate,omitempty"`
	// VsCPU32 is the median wall time of cpu32-gonum on this case divided by
	// this row's: how many times faster than the ratio base.
	VsCPU32 float64 `json:"vs_cpu32,omitempty"`
	// OfPeak is Rate as a fraction of the measured peak: FLOP rate for
	// gemm, step and flower, copy bandwidth for elementwise.
	OfPeak float64 `json:"of_peak,omitempty"`
	// OfHardware is Rate as a fraction of the host CPU's FMA peak
	// (Peak.Hardware), for GEMM rows where that peak is known.
	OfHardware float64 `json:"of_hardware_peak,omitempty"`
	Error      string  `json:"error,omitempty"`
}

// Crossover is the smallest training-step configuration from which OpenCL
// is faster than the Against backend at it and at every larger one.
type Crossover struct {
	Against string `json:"against"`
	Found   bool   `json:"found"`
	Config  string `json:"config,omitempty"`
}

// derive fills in the rates, the ratios to cpu32-gonum and the fractions of
// the peaks.
func (r *Report) derive() {
	base := map[string]float64{}
	for _, row := range r.Rows {
		if row.Backend == CPU32Gonum && row.Runs > 0 {
			base[row.Group+"\x00"+row.Case] = row.Wall.Median
		}
	}
	for i := range r.Rows {
		row := &r.Rows[i]
		work, peak := row.Flops, r.Peak.GFLOPS
		row.Unit = "GFLOP/s"
		if row.Group == GroupElementwise {
			work, peak = row.Bytes, r.Peak.CopyGBps
			row.Unit = "GB/s"
		}
		if row.Runs == 0 {
			continue
		}
		row.Rate = perSecond(work, row.Wall.Median)
		if row.Kernel != nil {
			row.KernelRate = perSecond(work, row.Kernel.Median)
		}
		if b, ok := base[row.Group+"\x00"+row.Case]; ok && row.Wall.Median > 0 {
			row.VsCPU32 = b / row.Wall.Median
		}
		if peak > 0 {
			row.OfPeak = row.Rate / peak
		}
		if hw := r.Peak.Hardware.GFLOPS; hw > 0 && row.Group == GroupGemm {
			row.OfHardware = row.Rate / hw
		}
	}
	r.Crossovers = nil
	for _, against := range []string{CPU32Gonum, CPU32OpenBLAS} {
		if r.has(against, GroupStep) {
			r.Crossovers = append(r.Crossovers, r.crossover(against))
		}
	}
}

// perSecond returns work per median milliseconds in units of 1e9 per
// second, or 0 when there is no time.
func perSecond(work, medianMS float64) float64 {
	if medianMS <= 0 {
		return 0
	}
	return work / (medianMS * 1e-3) / 1e9
}

// has reports whether backend measured a case of group.
func (r *Report) has(backend, group string) bool {
	for _, row := range r.Rows {
		if row.Backend == backend && row.Group == group && row.Runs > 0 {
			return true
		}
	}
	return false
}

// crossover finds the step crossover of OpenCL against a backend, with the
// step configurations in the order of the rows (smallest first).
func (r *Report) crossover(against string) Crossover {
	var configs []string
	opencl, other := map[string]float64{}, map[string]float64{}
	for _, row := range r.Rows {
		if row.Group != GroupStep || row.Runs == 0 {
			continue
		}
		switch row.Backend {
		case OpenCL:
			opencl[row.Case] = row.Wall.Median
			configs = append(configs, row.Case)
		case against:
			other[row.Case] = row.Wall.Median
		}
	}
	c := Crossover{Against: against}
	c.Config, c.Found = crossover(configs, opencl, other)
	return c
}

// crossover returns the first of configs (ordered smallest first) at which
// a is faster than b and stays faster at every later configuration where
// both were measured.
func crossover(configs []string, a, b map[string]float64) (string, bool) {
	found := ""
	for _, c := range configs {
		ta, okA := a[c]
		tb, okB := b[c]
		if !okA || !okB {
			continue
		}
		switch {
		case ta >= tb:
			found = ""
		case found == "":
			found = c
		}
	}
	return found, found != ""
}
