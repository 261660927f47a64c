package bench

import (
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

func TestCrossover(t *testing.T) {
	configs := []string{"s1", "s2", "s3", "s4"}
	for _, tc := range []struct {
		name   string
		opencl map[string]float64
		cpu    map[string]float64
		want   string
	}{
		{"from the third on", map[string]float64{"s1": 2, "s2": 20, "s3": 100, "s4": 500},
			map[string]float64{"s1": 1, "s2": 10, "s3": 300, "s4": 3000}, "s3"},
		{"everywhere", map[string]float64{"s1": 1, "s2": 1, "s3": 1, "s4": 1},
			map[string]float64{"s1": 2, "s2": 2, "s3": 2, "s4": 2}, "s1"},
		{"never", map[string]float64{"s1": 2, "s2": 2, "s3": 2, "s4": 2},
			map[string]float64{"s1": 1, "s2": 1, "s3": 1, "s4": 1}, ""},
		{"a win that does not last is no crossover", map[string]float64{"s1": 1, "s2": 3, "s3": 1, "s4": 1},
			map[string]float64{"s1": 2, "s2": 2, "s3": 2, "s4": 2}, "s3"},
		{"losing at the largest means none", map[string]float64{"s1": 1, "s2": 1, "s3": 1, "s4": 3},
			map[string]float64{"s1": 2, "s2": 2, "s3": 2, "s4": 2}, ""},
		{"a tie is not a win", map[string]float64{"s1": 2, "s2": 2, "s3": 1, "s4": 1},
			map[string]float64{"s1": 2, "s2": 1, "s3": 2, "s4": 2}, "s3"},
		{"configurations one side lacks are skipped", map[string]float64{"s1": 1, "s3": 1, "s4": 1},
			map[string]float64{"s1": 2, "s2": 0.1, "s3": 2}, "s1"},
		{"nothing measured", nil, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, found := crossover(configs, tc.opencl, tc.cpu)
			if got != tc.want || found != (tc.want != "") {
				t.Errorf("crossover = %q, %v; want %q", got, found, tc.want)
			}
		})
	}
}

// row returns a measured row with the given median wall time in ms.
func row(group, name, backend string, median, flops, bytes float64) Row {
	return Row{Group: group, Case: name, Backend: backend, Runs: 3, Wall: Summary{median, median * 0.9, median * 1.2}, Flops: flops, Bytes: bytes}
}

func TestDerive(t *testing.T) {
	r := &Report{Peak: Peak{GFLOPS: 10, CopyGBps: 4, Hardware: HardwarePeak{GFLOPS: 40}}, Rows: []Row{
		row(GroupGemm, "NN 1000", CPU32Gonum, 1000, 2e9, 0),
		row(GroupGemm, "NN 1000", OpenCL, 250, 2e9, 0),
		row(GroupElementwise, "sub", CPU32Gonum, 10, 0, 12e6),
		row(GroupElementwise, "sub", CPU64Gonum, 20, 0, 24e6),
		row(GroupStep, "2-4-400", CPU32Gonum, 1, 1e6, 0),
		row(GroupStep, "2-4-400", OpenCL, 2, 1e6, 0),
		row(GroupStep, "64-128-2048", CPU32Gonum, 10, 1e8, 0),
		row(GroupStep, "64-128-2048", OpenCL, 4, 1e8, 0),
		{Group: GroupStep, Case: "64-128-2048", Backend: CLBlast, Error: "setup failed"},
	}}
	r.Rows[1].Kernel = &Summary{Median: 200, Min: 190, Max: 210}
	r.derive()
	for _, tc := range []struct {
		i                            int
		unit                         string
		rate, kernel, vs, ofPeak, hw float64
	}{
		// Only GEMM rows get a fraction of the hardware peak.
		{0, "GFLOP/s", 2, 0, 1, 0.2, 0.05},
		{1, "GFLOP/s", 8, 10, 4, 0.8, 0.2},
		{2, "GB/s", 1.2, 0, 1, 0.3, 0},
		{3, "GB/s", 1.2, 0, 0.5, 0.3, 0},
		{5, "GFLOP/s", 0.5, 0, 0.5, 0.05, 0},
		{8, "GFLOP/s", 0, 0, 0, 0, 0},
	} {
		got := r.Rows[tc.i]
		for _, c := range []struct {
			what      string
			got, want float64
		}{{"rate", got.Rate, tc.rate}, {"kernel rate", got.KernelRate, tc.kernel}, {"vs cpu32", got.VsCPU32, tc.vs}, {"of peak", got.OfPeak, tc.ofPeak}, {"of hardware peak", got.OfHardware, tc.hw}} {
			if !scalar.EqualWithinAbsOrRel(c.got, c.want, 1e-12, 1e-9) {
				t.Errorf("row %d (%s %s): %s %v, want %v", tc.i, got.Case, got.Backend, c.what, c.got, c.want)
			}
		}
		if got.Unit != tc.unit {
			t.Errorf("row %d: unit %q, want %q", tc.i, got.Unit, tc.unit)
		}
	}
	if len(r.Crossovers) != 1 || r.Crossovers[0] != (Crossover{Against: CPU32Gonum, Found: true, Config: "64-128-2048"}) {
		t.Errorf("crossovers %+v, want OpenCL faster than cpu32-gonum from 64-128-2048", r.Crossovers)
	}
}

func TestPeakBest(t *testing.T) {
	hwA, hwB := HardwarePeak{GFLOPS: 300, ISA: "zmm", Threads: 2}, HardwarePeak{GFLOPS: 200, ISA: "ymm", Threads: 2}
	a := Peak{GFLOPS: 90, VectorWidth: 16, CopyGBps: 8, CopyBytes: 64, Hardware: hwA}
	b := Peak{GFLOPS: 95, VectorWidth: 8, CopyGBps: 7, CopyBytes: 64, Hardware: hwB}
	want := Peak{GFLOPS: 95, VectorWidth: 8, CopyGBps: 8, CopyBytes: 64, Hardware: hwA}
	if got := a.best(b); got != want {
		t.Errorf("%+v.best(%+v) = %+v, want %+v", a, b, got, want)
	}
	if got := b.best(a); got != want {
		t.Errorf("%+v.best(%+v) = %+v, want %+v", b, a, got, want)
	}
}
