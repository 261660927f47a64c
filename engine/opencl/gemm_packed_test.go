package opencl

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/internal/cltest"
)

// TestUsePacked checks which products take the packed GEMM.
func TestUsePacked(t *testing.T) {
	p := DefaultGemm.withDefaults()
	for _, c := range []struct {
		tA, tB  bool
		m, n, k int
		want    bool
	}{
		{false, false, 1024, 1024, 1024, true},
		{false, true, 256, 784, 8192, true},
		{true, false, 256, 8192, 1, true},
		{true, true, 1024, 1024, 1024, false}, // TT: the tiled kernel
		{false, false, 1, 8192, 256, false},   // one row: gemm_outer's row block of 1
		{false, true, p.RM - 1, 4096, 4096, false},
		{false, false, 64, 128, 64, false}, // too little work for three launches
	} {
		if got := usePacked(p, c.tA, c.tB, c.m, c.n, c.k); got != c.want {
			t.Errorf("usePacked(tA=%v, tB=%v, %d×%d×%d) = %v, want %v", c.tA, c.tB, c.m, c.n, c.k, got, c.want)
		}
	}
}

// packedShapes are products the packed GEMM runs (checked): odd sizes, so
// that the last row block and column panel are partial and K is no
// multiple of the packing's 16; a K split into passes; a grid of 22 × 25
// work-items, which runs in equal groups of 11 × 5 on two compute units
// (TestPackedGroup).
var packedShapes = [][3]int{{37, 129, 257}, {13, 45, 4099}, {257, 785, 67}}

// rank1Shapes are products with K = 1, which CPU devices run as
// gemm_rank1: one element, rows shorter than a vector, rows cut into runs
// of 4096 columns, and many rows of 3.
var rank1Shapes = [][3]int{{1, 1, 1}, {300, 3500, 1}, {5, 8195, 1}, {4100, 3, 1}}

// TestGemmPackedMatchesReference runs every Ops GEMM call on the packed
// and rank-one paths, each transpose and epilogue, and compares with a float64 reference:
// outputs are NaN-poisoned first (but where beta reads them), and GemmUpdate
// accumulates into W and the biases.
func TestGemmPackedMatchesReference(t *testing.T) {
	c := cpuContext(t)
	o, err := NewOps(c, DefaultGemm)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Release() })
	p := DefaultGemm.Resolve(c.Device)
	rng := rand.New(rand.NewPCG(13, 1))
	rnd := func(n int) []float32 { return uniform(rng, n) }
	mat := func(rows, cols int, v []float32) Mat { return uploadMat(t, c, rows, cols, v) }
	read := func(m Mat) []float32 { return readMat(t, m) }
	for _, s := range append(packedShapes, rank1Shapes...) {
		m, n, k := s[0], s[1], s[2]
		for _, form := range [][2]bool{{false, false}, {false, true}, {true, false}} {
			tA, tB := form[0], form[1]
			if k == 1 && !useRank1(k, false) {
				t.Fatalf("%d×%d×%d does not take the rank-one GEMM", m, n, k)
			}
			if k > 1 && !usePacked(p, tA, tB, m, n, k) {
				t.Fatalf("%d×%d×%d tA=%v tB=%v does not take the packed GEMM", m, n, k, tA, tB)
			}
		}
		// op(A)·op(B) in float64 from row-major op(A) (m×k) and op(B) (k×n).
		product := func(a, b []float32) []float64 {
			out := make([]float64, m*n)
			for i := range m {
				for kk := range k {
					av := float64(a[i*k+kk])
					for j := range n {
						out[i*n+j] += av * float64(b[kk*n+j])
					}
				}
			}
			return out
		}
		transpose := func(v []float32, rows, cols int) []float32 {
			out := make([]float32, len(v))
			for i := range rows {
				for j := range cols {
					out[j*rows+i] = v[i*cols+j]
				}
			}
			return out
		}
		check := func(name string, got []float32, want []float64) {
			t.Helper()
			var num, den float64
			for i, w := range want {
				d := float64(got[i]) - w
				num, den = num+d*d, den+w*w
			}
			rel := math.Sqrt(num / max(den, 1e-300))
			tol := 2e-5 * max(1, math.Sqrt(float64(k)/4400))
			if !(rel <= tol) {
				t.Errorf("%s %d×%d×%d: relative error %.3g > %.3g", name, m, n, k, rel, tol)
			}
		}
		opA, opB := rnd(m*k), rnd(k*n) // op(A), op(B), row-major
		ab := product(opA, opB)
		bias := rnd(m)
		sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
		for _, form := range []struct {
			name   string
			tA, tB bool
		}{{"NN", false, false}, {"NT", false, true}, {"TN", true, false}} {
			av, bv := opA, opB
			a, b := mat(m, k, av), mat(k, n, bv)
			if form.tA {
				a = mat(k, m, transpose(opA, m, k))
			}
			if form.tB {
				b = mat(n, k, transpose(opB, k, n))
			}
			c0 := rnd(m * n)
			cm := mat(m, n, c0)
			if err := o.Gemm(form.tA, form.tB, -0.5, a, b, 0.75, cm); err != nil {
				t.Fatal(err)
			}
			want := make([]float64, m*n)
			for i := range want {
				want[i] = -0.5*ab[i] + 0.75*float64(c0[i])
			}
			check("gemm "+form.name+" α=-0.5 β=0.75", read(cm), want)
			cz := mat(m, n, poisoned(m*n))
			if err := o.Gemm(form.tA, form.tB, 2, a, b, 0, cz); err != nil {
				t.Fatal(err)
			}
			for i := range want {
				want[i] = 2 * ab[i]
			}
			check("gemm "+form.name+" β=0", read(cz), want)
		}
		// The fused calls, each in the form training uses.
		a, b := mat(m, k, opA), mat(k, n, opB)
		bm := mat(m, 1, bias)
		for _, ep := range []struct {
			ep Epilogue
			f  func(x float64) float64
		}{{BiasTanh, math.Tanh}, {BiasSigmoid, sig}, {BiasReLU, func(x float64) float64 { return max(x, 0) }}} {
			cz := mat(m, n, poisoned(m*n))
			if err := o.GemmBias(ep.ep, a, b, bm.Buf, cz); err != nil {
				t.Fatal(err)
			}
			want := make([]float64, m*n)
			for i := range want {
				want[i] = ep.f(ab[i] + float64(bias[i/n]))
			}
			check(fmt.Sprintf("gemm bias epilogue %d", ep.ep), read(cz), want)
		}
		y := make([]float32, m*n)
		for i := range y {
			y[i] = float32(rng.IntN(2))
		}
		cz := mat(m, n, poisoned(m*n))
		if err := o.GemmSigmoidSub(a, b, bm.Buf, mat(m, n, y), cz); err != nil {
			t.Fatal(err)
		}
		want := make([]float64, m*n)
		for i := range want {
			want[i] = sig(ab[i]+float64(bias[i/n])) - float64(y[i])
		}
		check("gemm sigmoid-sub", read(cz), want)
		act := rnd(m * n)
		w := mat(k, m, transpose(opA, m, k)) // op(A) = Wᵀ
		for _, bw := range []struct {
			name string
			call func(w, dz, t, c Mat) error
			f    func(x, a float64) float64
		}{
			{"gemm tanh-backward", o.GemmTanhBackward, func(x, a float64) float64 { return x * (1 - a*a) }},
			{"gemm relu-backward", o.GemmReLUBackward, func(x, a float64) float64 {
				if a > 0 {
					return x
				}
				return 0
			}},
		} {
			cz := mat(m, n, poisoned(m*n))
			if err := bw.call(w, b, mat(m, n, act), cz); err != nil {
				t.Fatal(err)
			}
			for i := range want {
				want[i] = bw.f(ab[i], float64(act[i]))
			}
			check(bw.name, read(cz), want)
		}
		// GemmUpdate: W (m×n) −= s·dZ·Aᵀ with dZ = op(A) (m×k), Aᵀ = op(B),
		// and the biases −= s·Σ_k dZ.
		w0, b0 := rnd(m*n), rnd(m)
		wm, bu := mat(m, n, w0), mat(m, 1, b0)
		const s = 0.25
		if err := o.GemmUpdate(a, mat(n, k, transpose(opB, k, n)), s, wm, bu.Buf); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			want[i] = float64(w0[i]) - s*ab[i]
		}
		check("gemm update W", read(wm), want)
		wantB := make([]float64, m)
		for i := range m {
			sum := 0.0
			for kk := range k {
				sum += float64(opA[i*k+kk])
			}
			wantB[i] = float64(b0[i]) - s*sum
		}
		check("gemm update b", read(bu), wantB)
	}
}

// TestGemmPackedBlockings runs the packed GEMM with the row blocks besides
// the default that the packing copies specialise (RM = 16 and 8 as whole
// vectors, the others as scalar loops), NN, NT and TN, NaN-poisoned,
// against a float64 product.
func TestGemmPackedBlockings(t *testing.T) {
	c := cpuContext(t)
	const m, n, k = 37, 129, 257 // partial blocks and panels; K past 16·16
	rng := rand.New(rand.NewPCG(17, 1))
	for _, p := range []GemmParams{
		{Kernel: GemmCPU, VW: 16, RM: 6, NV: 2}, // the copies' scalar loops
		{Kernel: GemmCPU, VW: 16, RM: 8, NV: 2},
		{Kernel: GemmCPU, VW: 16, RM: 16, NV: 1},
	} {
		o, err := NewOps(c, p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { o.Release() })
		for _, form := range [][2]bool{{false, false}, {false, true}, {true, false}} {
			tA, tB := form[0], form[1]
			name := fmt.Sprintf("VW%d RM%d NV%d tA=%v tB=%v", p.VW, p.RM, p.NV, tA, tB)
			if err := p.checkCPU(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !usePacked(p.Resolve(c.Device), tA, tB, m, n, k) {
				t.Fatalf("%s does not take the packed GEMM", name)
			}
			a, b := uniform(rng, m*k), uniform(rng, k*n) // op(A), op(B), row-major
			want := make([]float64, m*n)
			for i := range m {
				for kk := range k {
					for j := range n {
						want[i*n+j] += float64(a[i*k+kk]) * float64(b[kk*n+j])
					}
				}
			}
			ar, ac, av := m, k, a
			if tA {
				ar, ac, av = k, m, transposed(a, m, k)
			}
			br, bc, bv := k, n, b
			if tB {
				br, bc, bv = n, k, transposed(b, k, n)
			}
			cm := uploadMat(t, c, m, n, poisoned(m*n))
			if err := o.Gemm(tA, tB, 1, uploadMat(t, c, ar, ac, av), uploadMat(t, c, br, bc, bv), 0, cm); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var num, den float64
			for i, g := range readMat(t, cm) {
				d := float64(g) - want[i]
				num, den = num+d*d, den+want[i]*want[i]
			}
			if rel := math.Sqrt(num / den); !(rel <= 2e-5) {
				t.Errorf("%s: relative error %.3g > 2e-5", name, rel)
			}
		}
	}
}

// transposed returns the cols×rows transpose of the row-major rows×cols v.
func transposed(v []float32, rows, cols int) []float32 {
	out := make([]float32, len(v))
	for i := range rows {
		for j := range cols {
			out[j*rows+i] = v[i*cols+j]
		}
	}
	return out
}

// TestPackedGroup checks the packed GEMM's work-groups: the blocking's
// 8 × 8 over large grids, equal groups over small ones.
func TestPackedGroup(t *testing.T) {
	for _, c := range []struct {
		mb, nb, units int
		gm, gn        int
	}{
		{86, 32, 2, 8, 8},  // 1024³: 44 groups
		{22, 256, 2, 8, 8}, // W1·X of 784-256-8192: 96 groups
		{22, 25, 2, 11, 5}, // dZ1·Xᵀ of 784-256-8192: 12 uneven groups → 10 equal ones
		{22, 25, 1, 8, 8},  // one unit: 12 groups, nothing to balance
		{22, 25, 4, 8, 8},  // 10 groups are not a whole number per unit: no equal cut
		{7, 3, 2, 7, 3},    // one small group
		{86, 32, 64, 8, 8}, // many units: only lopsided equal cuts, so the blocking's
		{16, 16, 4, 8, 8},  // 4 groups of 8 × 8 are already equal, one per unit
	} {
		if gm, gn := packedGroup(c.mb, c.nb, 8, 8, c.units); gm != c.gm || gn != c.gn {
			t.Errorf("packedGroup(%d, %d, 8, 8, %d) = %d × %d, want %d × %d", c.mb, c.nb, c.units, gm, gn, c.gm, c.gn)
		}
	}
}

// cpuContext returns the test device's context, skipping the test where
// the device is no CPU: the packed GEMM and gemm_rank1 run on CPU devices.
func cpuContext(t *testing.T) *device.Context {
	t.Helper()
	c := cltest.Context(t)
	if c.Device.Type != device.CPU {
		t.Skipf("skipping: the packed GEMM and gemm_rank1 run on CPU devices, %s is %s", c.Device.Name, c.Device.Type)
	}
	return c
}

// uniform returns n values drawn from rng, uniform in [−1, 1).
func uniform(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(2*rng.Float64() - 1)
	}
	return v
}

// poisoned returns n NaNs, an output's values before a kernel writes it.
func poisoned(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(math.NaN())
	}
	return v
}
