package opencl

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/internal/cltest"
)

// TestPlanReduce checks the cut of reductions: chunks of whole vectors that
// cover every column with no empty work-group, short wide inputs spread
// over several work-groups per row on a CPU's two compute units and on a
// GPU's eighty, and a tall input left at one work-group per row.
func TestPlanReduce(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		rows, cols            int
		units, wg, vw, chunks int
	}{
		{"cpu 1×1M", 1, 1 << 20, 2, 1, 16, 8},
		{"cpu 4×262144", 4, 262144, 2, 1, 16, 2},
		{"cpu 3×100003", 3, 100003, 2, 1, 16, 3},
		{"cpu 256×4096", 256, 4096, 2, 1, 16, 1},
		{"cpu 1×63", 1, 63, 2, 1, 16, 1},
		{"cpu 1×1", 1, 1, 2, 1, 16, 1},
		{"cpu 2×0", 2, 0, 2, 1, 16, 1},
		{"gpu 1×1M", 1, 1 << 20, 80, 256, 4, 256},
		{"gpu 4×262144", 4, 262144, 80, 256, 4, 64},
		{"gpu 1×8209", 1, 8209, 1, 256, 4, 2},
		{"gpu 256×4096", 256, 4096, 80, 256, 4, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := planReduce(tc.rows, tc.cols, tc.units, tc.wg, tc.vw)
			if p.chunks != tc.chunks {
				t.Errorf("planReduce = %+v, want %d chunks", p, tc.chunks)
			}
			if p.chunk < tc.vw || p.chunk%tc.vw != 0 || p.wg != tc.wg || p.vw != tc.vw {
				t.Errorf("planReduce = %+v: chunk not a positive multiple of %d, or not the given work-group", p, tc.vw)
			}
			if p.chunks*p.chunk < tc.cols || (tc.cols > 0 && (p.chunks-1)*p.chunk >= tc.cols) {
				t.Errorf("planReduce = %+v: %d chunks of %d do not cover %d columns without an empty one", p, p.chunks, p.chunk, tc.cols)
			}
		})
	}
}

// TestReductionsRepeat checks that the two-stage reductions give the same
// bits on every run (no atomics, a fixed order), on an input cut into
// several chunks, with the scratch buffer grown in between. (Their
// accuracy is internal/validate's.)
func TestReductionsRepeat(t *testing.T) {
	c := cltest.Context(t)
	o, err := NewOps(c, DefaultGemm)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Release()
	const n = 1<<20 + 3
	if p := o.reducePlanFor(1, n); p.chunks < 2 {
		t.Fatalf("plan %+v: 1×%d should take several work-groups", p, n)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	z, y := make([]float32, n), make([]float32, n)
	for i := range z {
		z[i], y[i] = float32(4*rng.NormFloat64()), float32(rng.IntN(2))
	}
	zm, ym := upload(t, c, z), upload(t, c, y)
	bias, out, sums := upload(t, c, []float32{0.25}), upload(t, c, make([]float32, 2)), upload(t, c, make([]float32, 4))
	run := func() []float32 {
		t.Helper()
		if err := o.Cost(zm, bias.Buf, ym, out.Buf); err != nil {
			t.Fatal(err)
		}
		// A row of four chunks needs more scratch than the cost's pairs.
		if err := o.RowSums(Mat{Buf: zm.Buf, Rows: 4, Cols: n / 4}, 1, sums.Buf); err != nil {
			t.Fatal(err)
		}
		got := make([]float32, 6)
		if err := out.Buf.Read(got[:2]); err != nil {
			t.Fatal(err)
		}
		if err := sums.Buf.Read(got[2:]); err != nil {
			t.Fatal(err)
		}
		return got
	}
	first := run()
	if math.IsNaN(float64(first[0])) || first[1] <= 0 || first[1] >= 1 {
		t.Fatalf("cost, accuracy and row sums = %v", first)
	}
	for range 3 {
		got := run()
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(first[i]) {
				t.Fatalf("cost, accuracy and row sums = %v, then %v: a reduction must repeat bit for bit", first, got)
			}
		}
	}
}

// upload returns a 1×len(v) device matrix holding v, released at the end
// of the test.
func upload(t *testing.T, c *device.Context, v []float32) Mat {
	t.Helper()
	return uploadMat(t, c, 1, len(v), v)
}

// uploadMat returns a rows×cols device matrix holding v, released at the
// end of the test.
func uploadMat(t *testing.T, c *device.Context, rows, cols int, v []float32) Mat {
	t.Helper()
	m, err := NewMat(c, rows, cols)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Release() })
	if err := m.Buf.Write(v); err != nil {
		t.Fatal(err)
	}
	return m
}

// readMat returns the values of m, waiting for the queue.
func readMat(t *testing.T, m Mat) []float32 {
	t.Helper()
	v := make([]float32, m.Rows*m.Cols)
	if err := m.Buf.Read(v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestRowSumsBeta checks the accumulating form out = scale·Σ_j a[i, j] +
// beta·out (GemmUpdate's bias step on devices without the fused update) on
// rows cut into several chunks, where the finishing launch applies beta.
func TestRowSumsBeta(t *testing.T) {
	c := cltest.Context(t)
	o, err := NewOps(c, DefaultGemm)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Release()
	const rows, cols, scale, beta = 3, 100003, float32(-0.25), float32(1)
	if p := o.reducePlanFor(rows, cols); p.chunks < 2 {
		t.Fatalf("plan %+v: %d×%d should take several work-groups per row", p, rows, cols)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	a, old := make([]float32, rows*cols), []float32{1000, -2000, 3000}
	want := make([]float64, rows)
	for i := range rows {
		var s float64
		for j := range cols {
			a[i*cols+j] = float32(rng.Float64() + 0.5)
			s += float64(a[i*cols+j])
		}
		want[i] = float64(scale)*s + float64(beta)*float64(old[i])
	}
	am, out := upload(t, c, a), upload(t, c, old)
	if err := o.rowSums(Mat{Buf: am.Buf, Rows: rows, Cols: cols}, scale, beta, out.Buf); err != nil {
		t.Fatal(err)
	}
	got := make([]float32, rows)
	if err := out.Buf.Read(got); err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		// float32 sums of n terms: 5·√n units of roundoff, as validate.SumTol.
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= 5*math.Sqrt(cols)/(1<<24)*math.Abs(want[i])) {
			t.Errorf("row %d: %v, want %v (scale·sum + beta·old)", i, got[i], want[i])
		}
	}
}

// TestCostPerExample checks bce_cost's exp and log1p one example at a time:
// with the label on the logit's side, an example's loss is log1p(e^−|z|)
// alone, which must be within 5e-7 relative of float64's (the kernel's exp
// is 5 ulp at worst, its log1p 3), for |z| across float32's range of e^−|z|
// and past the clamp at 87. Each |z| runs as 1×1 (the scalar tail) and as
// 1×16 (one vector, whose sixteen equal lanes sum exactly).
func TestCostPerExample(t *testing.T) {
	c := cltest.Context(t)
	o, err := NewOps(c, DefaultGemm)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Release()
	bias, out := upload(t, c, []float32{0}), upload(t, c, make([]float32, 2))
	for i := range 240 {
		u := float32(i) * 0.43 // 0 … 102.8, not on a grid of ln2
		want := math.Log1p(math.Exp(-float64(u)))
		for _, m := range []int{1, 16} {
			z, y := make([]float32, m), make([]float32, m)
			for j := range z {
				// Alternate the side: y = 1 for z > 0, y = 0 for z < 0.
				if i%2 == 0 {
					z[j], y[j] = u, 1
				} else {
					z[j] = -u
				}
			}
			if err := out.Buf.Write(poisoned(2)); err != nil {
				t.Fatal(err)
			}
			if err := o.Cost(upload(t, c, z), bias.Buf, upload(t, c, y), out.Buf); err != nil {
				t.Fatal(err)
			}
			got := readMat(t, out)
			ok := math.Abs(float64(got[0])-want) <= 5e-7*want
			if u > 87 { // clamped: e^−87 stands for anything smaller
				ok = got[0] >= 0 && float64(got[0]) <= 1.7e-38
			}
			if !ok {
				t.Errorf("1×%d, z = %g, y = %g: loss %g, want %g (relative error %.2g)", m, z[0], y[0], got[0], want, math.Abs(float64(got[0])-want)/want)
			}
			right := float32(1)
			if z[0] == 0 && y[0] == 1 {
				right = 0 // the prediction is z > 0
			}
			if got[1] != right {
				t.Errorf("1×%d, z = %g, y = %g: accuracy %g, want %g", m, z[0], y[0], got[1], right)
			}
		}
	}
}
