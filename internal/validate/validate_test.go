package validate_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cltrain/cltrain/engine/opencl"
	"github.com/cltrain/cltrain/internal/cltest"
	"github.com/cltrain/cltrain/internal/validate"
)

func newOps(t *testing.T) *opencl.Ops {
	t.Helper()
	o, err := opencl.NewOps(cltest.Context(t), opencl.DefaultGemm)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Release() })
	return o
}

// TestKernelsMatchReference runs every validation case on the test device.
func TestKernelsMatchReference(t *testing.T) {
	o := newOps(t)
	cases := validate.Cases(testing.Short())
	seed := uint64(rand.Int64N(1 << 53))
	results := validate.Run(o, cases, rand.New(rand.NewPCG(seed, 1)))
	seen := map[string]bool{}
	for _, r := range results {
		seen[r.Kernel] = true
		if !r.Pass {
			t.Errorf("%s %s: rel err %.3g (tol %.g), max abs %.3g %s (seed %d)", r.Kernel, r.Shape, r.RelErr, r.Tol, r.MaxAbs, r.Err, seed)
		}
	}
	for _, k := range validate.Kernels {
		if !seen[k] {
			t.Errorf("no validation case for kernel %s", k)
		}
	}
}

// TestCaseSetsCoverEveryKernel checks that every named case set, the trimmed
// one for Oclgrind included, runs every kernel, and that an unknown name is
// refused.
func TestCaseSetsCoverEveryKernel(t *testing.T) {
	for _, set := range validate.Sets {
		cases, err := validate.CasesFor(set)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, c := range cases {
			seen[c.Kernel] = true
		}
		for _, k := range validate.Kernels {
			if !seen[k] {
				t.Errorf("set %s: no case for kernel %s", set, k)
			}
		}
	}
	if _, err := validate.CasesFor("tiny"); err == nil || !strings.Contains(err.Error(), "oclgrind") {
		t.Errorf("CasesFor(tiny) = %v, want an error naming the sets", err)
	}
}

// TestAlternativeTilings runs the GEMM cases with both kernels under other
// blockings, so the edge handling does not depend on one.
func TestAlternativeTilings(t *testing.T) {
	c := cltest.Context(t)
	tiled := func(tm, tn, tk, wm, wn int) opencl.GemmParams {
		return opencl.GemmParams{Kernel: opencl.GemmTiled, TM: tm, TN: tn, TK: tk, WM: wm, WN: wn}
	}
	cpu := func(vw, rm, nv, dr, dc int) opencl.GemmParams {
		p := opencl.DefaultGemm
		p.Kernel, p.VW, p.RM, p.NV, p.DR, p.DC = opencl.GemmCPU, vw, rm, nv, dr, dc
		return p
	}
	var gemms []validate.Case
	for _, cs := range validate.Cases(true) {
		if strings.HasPrefix(cs.Kernel, "gemm") && (strings.Contains(cs.Shape, "×17") || strings.Contains(cs.Shape, "127×65") || strings.HasPrefix(cs.Shape, "1×1×1")) {
			gemms = append(gemms, cs)
		}
	}
	for _, p := range []opencl.GemmParams{
		tiled(32, 32, 16, 4, 4), tiled(16, 16, 8, 2, 2), cpu(8, 3, 3, 2, 5),
	} {
		o, err := opencl.NewOps(c, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range validate.Run(o, gemms, rand.New(rand.NewPCG(7, 7))) {
			if !r.Pass {
				t.Errorf("tiling %+v: %s %s: rel err %.3g %s", p, r.Kernel, r.Shape, r.RelErr, r.Err)
			}
		}
		o.Release()
	}
}

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		got, want []float64
		rel       float64
	}{
		{[]float64{1, 2}, []float64{1, 2}, 0},
		{[]float64{3, 0}, []float64{0, 4}, 5.0 / 4},
		{[]float64{math.NaN(), 1}, []float64{1, 1}, math.NaN()},
		{[]float64{1}, []float64{1, 2}, math.NaN()},
	} {
		rel, _ := validate.Compare(tc.got, tc.want)
		if !(rel == tc.rel || math.IsNaN(rel) && math.IsNaN(tc.rel)) {
			t.Errorf("Compare(%v, %v) = %v, want %v", tc.got, tc.want, rel, tc.rel)
		}
	}
}

// TestSumTolGrowsWithTheSum checks the GEMM and reduction tolerance: the
// fixed TolReduction for the sums every case had so far, growing as √n for
// longer ones, never shrinking.
func TestSumTolGrowsWithTheSum(t *testing.T) {
	for _, n := range []int{1, 17, 1024, 4096} {
		if got := validate.SumTol(n); got != validate.TolReduction {
			t.Errorf("SumTol(%d) = %g, want TolReduction %g", n, got, validate.TolReduction)
		}
	}
	if r := validate.SumTol(4<<20) / validate.SumTol(1<<20); math.Abs(r-2) > 1e-12 {
		t.Errorf("SumTol(4Mi)/SumTol(1Mi) = %g, want 2 (√n growth)", r)
	}
	prev := 0.0
	for n := 1; n <= 1<<24; n *= 3 {
		if tol := validate.SumTol(n); tol < prev {
			t.Errorf("SumTol(%d) = %g shrinks from %g", n, tol, prev)
		} else {
			prev = tol
		}
	}
}
