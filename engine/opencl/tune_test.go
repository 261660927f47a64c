package opencl

import (
	"testing"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/internal/cltest"
)

func TestShapeClass(t *testing.T) {
	for _, tc := range []struct {
		tA, tB  bool
		m, n, k int
		want    string
	}{
		{false, false, 1024, 1024, 1024, "NN/large"},
		{false, true, 4, 2, 400, "NT/small"},
		{true, false, 256, 256, 256, "TN/large"},
		{true, true, 255, 256, 256, "TT/small"},
	} {
		if got := ShapeClass(tc.tA, tc.tB, tc.m, tc.n, tc.k); got != tc.want {
			t.Errorf("ShapeClass(%v, %v, %d, %d, %d) = %s, want %s", tc.tA, tc.tB, tc.m, tc.n, tc.k, got, tc.want)
		}
	}
}

// TestTuneSavesAndOpsUseIt tunes two candidates on one small class, checks
// the saved file round-trips, and that Ops picks the tuned configuration for
// that class only.
func TestTuneSavesAndOpsUseIt(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	c := cltest.Context(t)
	slow := GemmParams{Kernel: GemmTiled, TM: 8, TN: 8, TK: 4, WM: 1, WN: 1}
	fast := DefaultGemm
	cases := []TuneCase{{M: 67, N: 45, K: 33, Candidates: []GemmParams{slow, fast}}}
	best, results, err := Tune(c, cases, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || results[0].Err != "" || results[1].Err != "" || results[0].GFLOPS <= 0 {
		t.Fatalf("results %+v", results)
	}
	class := cases[0].Class()
	if _, ok := best[class]; !ok || len(best) != 1 {
		t.Fatalf("best = %+v, want one entry for %s", best, class)
	}
	if _, err := best.Save(c.Device); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadTuning(c.Device)
	if err != nil || loaded[class] != best[class] {
		t.Fatalf("LoadTuning = %+v, %v; saved %+v", loaded, err, best)
	}
	o, err := NewOps(c, DefaultGemm)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Release()
	o.SetTuning(Tuning{class: slow})
	if got := o.paramsFor(false, false, 67, 45, 33); got != slow {
		t.Errorf("paramsFor the tuned class = %+v, want %+v", got, slow)
	}
	if got := o.paramsFor(false, false, 1024, 1024, 1024); got != DefaultGemm {
		t.Errorf("paramsFor an untuned class = %+v, want the default", got)
	}
}

// TestCPUBlockingLimit checks that blockings with more accumulators than
// registers are refused, and that the tuner never proposes one.
func TestCPUBlockingLimit(t *testing.T) {
	for _, tc := range []struct {
		p  GemmParams
		ok bool
	}{
		{GemmParams{}, true},
		{GemmParams{VW: 16, RM: 12, NV: 2}, true},
		{GemmParams{VW: 16, RM: 16, NV: 2}, false},
		{GemmParams{VW: 16, DR: 4, DC: 8}, false},
		{GemmParams{VW: 8, DR: 4, DC: 8}, true},
		{GemmParams{VW: 5}, false},
		{GemmParams{RM: -1}, false},
	} {
		if err := tc.p.checkCPU(); (err == nil) != tc.ok {
			t.Errorf("checkCPU(%+v) = %v, want ok=%v", tc.p, err, tc.ok)
		}
	}
	d := cltest.Device(t)
	d.Type = device.CPU
	for _, tB := range []bool{false, true} {
		for _, p := range Candidates(d, false, tB) {
			if err := p.checkCPU(); err != nil {
				t.Errorf("candidate %+v: %v", p, err)
			}
		}
	}
}
