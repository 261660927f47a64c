package openblas

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/cpu"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"
	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/mat"
)

// requireEnv names the variable that turns a missing library into a
// failure instead of a skip.
const requireEnv = "CLTRAIN_REQUIRE_OPENBLAS"

// loadOrSkip returns the OpenBLAS implementation, skipping tb when the library is
// absent unless CLTRAIN_REQUIRE_OPENBLAS is set.
func loadOrSkip(tb testing.TB) *Implementation {
	tb.Helper()
	impl, err := Load()
	if err != nil {
		if errors.Is(err, ErrUnavailable) && os.Getenv(requireEnv) == "" {
			tb.Skipf("OpenBLAS is not installed (%v); set %s=1 to make this a failure", err, requireEnv)
		}
		tb.Fatalf("Load: %v", err)
	}
	return impl
}

// operand is an r×c matrix stored with a leading dimension ld ≥ c inside a
// larger buffer, the padding holding NaN so that touching it shows.
type operand struct {
	r, c, ld int
	d32      []float32
	d64      []float64
}

func newOperand(rnd *rand.Rand, r, c, pad int) operand {
	o := operand{r: r, c: c, ld: max(1, c+pad)}
	n := 0
	if r > 0 {
		n = (r-1)*o.ld + c
	}
	o.d64 = make([]float64, n)
	o.d32 = make([]float32, n)
	for i := range n {
		v := math.NaN()
		if i%o.ld < c {
			v = 2*rnd.Float64() - 1
		}
		o.d32[i] = float32(v)
		o.d64[i] = float64(float32(v))
	}
	return o
}

func (o operand) clone() operand {
	o.d32 = append([]float32(nil), o.d32...)
	o.d64 = append([]float64(nil), o.d64...)
	return o
}

// checkClose fails t unless got and want agree within tol, absolute or
// relative, NaN matching NaN.
func checkClose(t *testing.T, name string, got, want []float64, tol float64) {
	t.Helper()
	for i := range want {
		if math.IsNaN(got[i]) != math.IsNaN(want[i]) ||
			!math.IsNaN(want[i]) && !scalar.EqualWithinAbsOrRel(got[i], want[i], tol, tol) {
			t.Fatalf("%s: element %d is %v, gonum gives %v", name, i, got[i], want[i])
		}
	}
}

// unit32 is float32's unit roundoff, 2⁻²⁴.
const unit32 = 1.0 / (1 << 24)

// sgemmBound returns, per element of C (at C's leading dimension), how far
// two correct float32 GEMMs may differ: each computes α·Σ_k a_ik·b_kj + β·c_ij
// with a forward error of at most γ_{k+2}·(|α|·Σ_k |a_ik·b_kj| + |β·c_ij|),
// γ_n = n·u/(1−n·u), whatever its summation order (Higham, Accuracy and
// Stability of Numerical Algorithms, §3.5), so they differ by at most twice
// that. The bound grows with the reduction length k, as the summation orders
// of blocked kernels (OpenBLAS's SkylakeX or Prescott set, gonum's loops)
// differ more the longer the sums; a fixed tolerance fails some of them.
func sgemmBound(tA, tB blas.Transpose, m, n, k int, alpha float64, a, b operand, beta float64, c operand) []float64 {
	at := func(i, l int) float64 {
		if tA == blas.NoTrans {
			return float64(a.d32[i*a.ld+l])
		}
		return float64(a.d32[l*a.ld+i])
	}
	bt := func(l, j int) float64 {
		if tB == blas.NoTrans {
			return float64(b.d32[l*b.ld+j])
		}
		return float64(b.d32[j*b.ld+l])
	}
	nu := float64(k+2) * unit32
	gamma := nu / (1 - nu)
	bound := make([]float64, len(c.d32))
	for i := range bound {
		bound[i] = math.NaN()
	}
	for i := range m {
		for j := range n {
			var s float64
			for l := range k {
				s += math.Abs(at(i, l) * bt(l, j))
			}
			s *= math.Abs(alpha)
			if beta != 0 {
				s += math.Abs(beta * float64(c.d32[i*c.ld+j]))
			}
			// The smallest normal float32 absorbs underflow in the products.
			bound[i*c.ld+j] = 2*gamma*s + 0x1p-126
		}
	}
	return bound
}

// checkWithin fails t unless |got−want| ≤ bound element by element (bound
// NaN: padding, where got and want must both be NaN).
func checkWithin(t *testing.T, name string, got, want, bound []float64) {
	t.Helper()
	if i, ok := firstOutside(got, want, bound); !ok {
		t.Fatalf("%s: element %d is %v, gonum gives %v: differs by %.3g, bound %.3g", name, i, got[i], want[i], math.Abs(got[i]-want[i]), bound[i])
	}
}

// firstOutside returns the first element where got and want differ by more
// than bound, or where exactly one is NaN, and false; else 0 and true.
func firstOutside(got, want, bound []float64) (int, bool) {
	for i := range want {
		if math.IsNaN(got[i]) != math.IsNaN(want[i]) {
			return i, false
		}
		if !math.IsNaN(want[i]) && !(math.Abs(got[i]-want[i]) <= bound[i]) {
			return i, false
		}
	}
	return 0, true
}

func widen(s []float32) []float64 {
	d := make([]float64, len(s))
	for i, v := range s {
		d[i] = float64(v)
	}
	return d
}

func sameBits32(a, b []float32) bool {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return len(a) == len(b)
}

func sameBits64(a, b []float64) bool {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return len(a) == len(b)
}

func TestLoad(t *testing.T) {
	impl := loadOrSkip(t)
	if !strings.Contains(impl.Name(), "OpenBLAS") {
		t.Errorf("Name() = %q, want it to mention OpenBLAS", impl.Name())
	}
	again, err := Load()
	if err != nil || again != impl {
		t.Errorf("second Load() = %p, %v; want the first Implementation %p", again, err, impl)
	}
	t.Logf("%s, %d threads", impl.Name(), impl.NumThreads())
}

func TestThreads(t *testing.T) {
	impl := loadOrSkip(t)
	if impl.NumThreads() == 0 {
		t.Skip("library does not report its thread count")
	}
	before := impl.NumThreads()
	defer impl.SetNumThreads(before)
	if err := impl.SetNumThreads(1); err != nil {
		t.Fatalf("SetNumThreads(1): %v", err)
	}
	if got := impl.NumThreads(); got != 1 {
		t.Errorf("NumThreads() after SetNumThreads(1) = %d", got)
	}
	if err := impl.SetNumThreads(0); err == nil {
		t.Errorf("SetNumThreads(0) succeeded")
	}
}

// TestGemmAgreesWithGonum compares Sgemm and Dgemm through OpenBLAS with
// gonum's pure-Go routines at odd shapes, every transpose combination, with
// and without padded leading dimensions (submatrix views), for several
// alpha and beta.
func TestGemmAgreesWithGonum(t *testing.T) {
	impl := loadOrSkip(t)
	var ref gonum.Implementation
	rnd := rand.New(rand.NewPCG(1, 2))
	transposes := []struct {
		name string
		t    blas.Transpose
	}{{"N", blas.NoTrans}, {"T", blas.Trans}, {"C", blas.ConjTrans}}
	scalars := []struct{ alpha, beta float64 }{{1, 0}, {0.75, -1.25}, {-2, 1}, {0, 0.5}}
	for _, s := range [][3]int{{1, 1, 1}, {7, 13, 29}, {33, 65, 17}, {130, 67, 257}, {5, 4, 0}} {
		m, n, k := s[0], s[1], s[2]
		for _, ta := range transposes {
			for _, tb := range transposes {
				for _, pad := range []int{0, 5} {
					for _, sc := range scalars {
						name := fmt.Sprintf("%dx%dx%d/%s%s/pad%d/alpha%g/beta%g", m, n, k, ta.name, tb.name, pad, sc.alpha, sc.beta)
						t.Run(name, func(t *testing.T) {
							ar, ac := m, k
							if ta.t != blas.NoTrans {
								ar, ac = k, m
							}
							br, bc := k, n
							if tb.t != blas.NoTrans {
								br, bc = n, k
							}
							a, b, c := newOperand(rnd, ar, ac, pad), newOperand(rnd, br, bc, pad), newOperand(rnd, m, n, pad)
							if sc.beta == 0 {
								// BLAS does not read c when beta is zero.
								for i := range c.d32 {
									c.d32[i], c.d64[i] = float32(math.NaN()), math.NaN()
								}
							}
							a0, b0 := a.clone(), b.clone()

							want, got := c.clone(), c.clone()
							ref.Sgemm(ta.t, tb.t, m, n, k, float32(sc.alpha), a.d32, a.ld, b.d32, b.ld, float32(sc.beta), want.d32, c.ld)
							impl.Sgemm(ta.t, tb.t, m, n, k, float32(sc.alpha), a.d32, a.ld, b.d32, b.ld, float32(sc.beta), got.d32, c.ld)
							bound := sgemmBound(ta.t, tb.t, m, n, k, sc.alpha, a, b, sc.beta, c)
							checkWithin(t, "Sgemm", widen(got.d32), widen(want.d32), bound)

							ref.Dgemm(ta.t, tb.t, m, n, k, sc.alpha, a.d64, a.ld, b.d64, b.ld, sc.beta, want.d64, c.ld)
							impl.Dgemm(ta.t, tb.t, m, n, k, sc.alpha, a.d64, a.ld, b.d64, b.ld, sc.beta, got.d64, c.ld)
							checkClose(t, "Dgemm", got.d64, want.d64, 1e-12)

							if !sameBits32(a.d32, a0.d32) || !sameBits32(b.d32, b0.d32) ||
								!sameBits64(a.d64, a0.d64) || !sameBits64(b.d64, b0.d64) {
								t.Errorf("inputs modified")
							}
						})
					}
				}
			}
		}
	}
}

// TestRoutesToOpenBLAS checks that Sgemm and Dgemm call OpenBLAS rather
// than gonum: their results must be bit for bit those of cblas_sgemm and
// cblas_dgemm called directly, at a size where gonum's summation order
// rounds differently.
func TestRoutesToOpenBLAS(t *testing.T) {
	impl := loadOrSkip(t)
	var ref gonum.Implementation
	const m, n, k = 130, 67, 257
	rnd := rand.New(rand.NewPCG(7, 8))
	a, b, c := newOperand(rnd, m, k, 0), newOperand(rnd, k, n, 0), newOperand(rnd, m, n, 0)

	got, direct, pure := c.clone(), c.clone(), c.clone()
	impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a.d32, k, b.d32, n, 0.5, got.d32, n)
	impl.sgemm(cblasRowMajor, cblasNoTrans, cblasNoTrans, m, n, k, 1, a.d32, k, b.d32, n, 0.5, direct.d32, n)
	ref.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a.d32, k, b.d32, n, 0.5, pure.d32, n)
	if !sameBits32(got.d32, direct.d32) {
		t.Errorf("Sgemm differs from cblas_sgemm called directly")
	}
	if sameBits32(direct.d32, pure.d32) {
		t.Errorf("cblas_sgemm and gonum agree bit for bit, so this test cannot tell them apart")
	}

	impl.Dgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a.d64, k, b.d64, n, 0.5, got.d64, n)
	impl.dgemm(cblasRowMajor, cblasNoTrans, cblasNoTrans, m, n, k, 1, a.d64, k, b.d64, n, 0.5, direct.d64, n)
	ref.Dgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a.d64, k, b.d64, n, 0.5, pure.d64, n)
	if !sameBits64(got.d64, direct.d64) {
		t.Errorf("Dgemm differs from cblas_dgemm called directly")
	}
	if sameBits64(direct.d64, pure.d64) {
		t.Errorf("cblas_dgemm and gonum agree bit for bit, so this test cannot tell them apart")
	}
}

// TestUse checks that blas32.Use and blas64.Use route gonum's Gemm, and mat
// products, through the Implementation.
func TestUse(t *testing.T) {
	impl := loadOrSkip(t)
	prev32, prev64 := blas32.Implementation(), blas64.Implementation()
	blas32.Use(impl)
	blas64.Use(impl)
	defer func() {
		blas32.Use(prev32)
		blas64.Use(prev64)
	}()

	rnd := rand.New(rand.NewPCG(3, 4))
	a := mat.NewDense(70, 90, nil)
	b := mat.NewDense(90, 50, nil)
	for _, d := range []*mat.Dense{a, b} {
		raw := d.RawMatrix().Data
		for i := range raw {
			raw[i] = rnd.NormFloat64()
		}
	}
	var got, want mat.Dense
	got.Mul(a, b)
	blas64.Use(gonum.Implementation{})
	want.Mul(a, b)
	blas64.Use(impl)
	if !mat.EqualApprox(&got, &want, 1e-12) {
		t.Errorf("mat.Dense.Mul through OpenBLAS disagrees with gonum")
	}

	a32 := blas32.General{Rows: 2, Cols: 2, Stride: 2, Data: []float32{1, 2, 3, 4}}
	c32 := blas32.General{Rows: 2, Cols: 2, Stride: 2, Data: make([]float32, 4)}
	blas32.Gemm(blas.NoTrans, blas.Trans, 1, a32, a32, 0, c32)
	if want := []float32{5, 11, 11, 25}; !sameBits32(c32.Data, want) {
		t.Errorf("blas32.Gemm through OpenBLAS = %v, want %v", c32.Data, want)
	}
}

// TestBadArguments checks that bad arguments panic with gonum's messages
// before anything reaches OpenBLAS.
func TestBadArguments(t *testing.T) {
	impl := loadOrSkip(t)
	a := make([]float32, 6)
	tests := []struct {
		name, want   string
		tA           blas.Transpose
		m, n, k      int
		lda, ldb, ld int
		la, lb, lc   int
	}{
		{"transpose", badTranspose, 'X', 2, 3, 3, 3, 3, 3, 6, 9, 6},
		{"m", mLT0, blas.NoTrans, -1, 3, 3, 3, 3, 3, 6, 9, 6},
		{"n", nLT0, blas.NoTrans, 2, -1, 3, 3, 3, 3, 6, 9, 6},
		{"k", kLT0, blas.NoTrans, 2, 3, -1, 3, 3, 3, 6, 9, 6},
		{"lda", badLdA, blas.NoTrans, 2, 3, 3, 2, 3, 3, 6, 9, 6},
		{"lda trans", badLdA, blas.Trans, 2, 3, 3, 1, 3, 3, 6, 9, 6},
		{"ldb", badLdB, blas.NoTrans, 2, 3, 3, 3, 2, 3, 6, 9, 6},
		{"ldc", badLdC, blas.NoTrans, 2, 3, 3, 3, 3, 2, 6, 9, 6},
		{"short a", shortA, blas.NoTrans, 2, 3, 3, 3, 3, 3, 5, 9, 6},
		{"short b", shortB, blas.NoTrans, 2, 3, 3, 3, 3, 3, 6, 8, 6},
		{"short c", shortC, blas.NoTrans, 2, 3, 3, 3, 3, 3, 6, 9, 5},
	}
	for _, tc := range tests {
		for _, prec := range []string{"Sgemm", "Dgemm"} {
			t.Run(prec+"/"+tc.name, func(t *testing.T) {
				defer func() {
					if r := recover(); r != tc.want {
						t.Errorf("panic %v, want %q", r, tc.want)
					}
				}()
				if prec == "Sgemm" {
					impl.Sgemm(tc.tA, blas.NoTrans, tc.m, tc.n, tc.k, 1, a[:tc.la], tc.lda,
						make([]float32, tc.lb), tc.ldb, 0, make([]float32, tc.lc), tc.ld)
				} else {
					impl.Dgemm(tc.tA, blas.NoTrans, tc.m, tc.n, tc.k, 1, make([]float64, tc.la), tc.lda,
						make([]float64, tc.lb), tc.ldb, 0, make([]float64, tc.lc), tc.ld)
				}
			})
		}
	}
	// Empty products need no data at all.
	impl.Sgemm(blas.NoTrans, blas.NoTrans, 0, 3, 3, 1, nil, 3, nil, 3, 0, nil, 3)
	impl.Dgemm(blas.NoTrans, blas.NoTrans, 4, 0, 3, 1, nil, 3, nil, 1, 0, nil, 1)
}

// BenchmarkSgemm times 1024³ and smaller products through OpenBLAS and
// gonum, reporting GFLOP/s (2n³ flops per product).
func BenchmarkSgemm(b *testing.B) {
	impls := []struct {
		name string
		impl func(b *testing.B) blas.Float32
	}{
		{"openblas", func(b *testing.B) blas.Float32 { return loadOrSkip(b) }},
		{"gonum", func(*testing.B) blas.Float32 { return gonum.Implementation{} }},
	}
	rnd := rand.New(rand.NewPCG(5, 6))
	for _, im := range impls {
		for _, n := range []int{64, 256, 1024} {
			b.Run(fmt.Sprintf("%s/%d", im.name, n), func(b *testing.B) {
				impl := im.impl(b)
				x, y, z := newOperand(rnd, n, n, 0), newOperand(rnd, n, n, 0), newOperand(rnd, n, n, 0)
				for b.Loop() {
					impl.Sgemm(blas.NoTrans, blas.NoTrans, n, n, n, 1, x.d32, n, y.d32, n, 0, z.d32, n)
				}
				b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestSgemmBoundCatchesRealErrors checks that the tolerance of
// TestGemmAgreesWithGonum, though it grows with k, still fails a GEMM that
// is wrong by one term of one sum, or that transposes an operand.
func TestSgemmBoundCatchesRealErrors(t *testing.T) {
	var ref gonum.Implementation
	rnd := rand.New(rand.NewPCG(3, 4))
	m, n, k := 130, 67, 257
	a, b, c := newOperand(rnd, m, k, 0), newOperand(rnd, k, n, 0), newOperand(rnd, m, n, 0)
	want := c.clone()
	ref.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, -2, a.d32, a.ld, b.d32, b.ld, 1, want.d32, want.ld)
	bound := sgemmBound(blas.NoTrans, blas.NoTrans, m, n, k, -2, a, b, 1, c)
	if _, ok := firstOutside(widen(want.d32), widen(want.d32), bound); !ok {
		t.Fatal("the reference is outside its own bound")
	}

	// One product a_il·b_lj of one element left out.
	missing := want.clone()
	i, j, l := 71, 40, 200
	missing.d32[i*missing.ld+j] -= -2 * a.d32[i*a.ld+l] * b.d32[l*b.ld+j]
	if _, ok := firstOutside(widen(missing.d32), widen(want.d32), bound); ok {
		t.Errorf("a sum missing one term (%g) passes the bound %g", -2*a.d32[i*a.ld+l]*b.d32[l*b.ld+j], bound[i*want.ld+j])
	}

	// B read as its transpose (a square block of it, so the shapes fit).
	sq := newOperand(rnd, k, k, 0)
	w2, g2 := newOperand(rnd, m, k, 0), newOperand(rnd, m, k, 0)
	ref.Sgemm(blas.NoTrans, blas.NoTrans, m, k, k, 1, a.d32, a.ld, sq.d32, sq.ld, 0, w2.d32, w2.ld)
	ref.Sgemm(blas.NoTrans, blas.Trans, m, k, k, 1, a.d32, a.ld, sq.d32, sq.ld, 0, g2.d32, g2.ld)
	b2 := sgemmBound(blas.NoTrans, blas.NoTrans, m, k, k, 1, a, sq, 0, w2)
	if _, ok := firstOutside(widen(g2.d32), widen(w2.d32), b2); ok {
		t.Error("a GEMM that transposes B passes the bound")
	}
}

// TestGemmAgreesWithGonumOnEveryKernelSet runs TestGemmAgreesWithGonum in a
// child process for each OpenBLAS kernel set this CPU can run, chosen with
// OPENBLAS_CORETYPE: the generic Prescott set that OpenBLAS falls back to on
// CPUs it does not know, and the Haswell (AVX2) and SkylakeX (AVX-512) sets.
// Their float32 summation orders differ; the tolerance must hold for each.
func TestGemmAgreesWithGonumOnEveryKernelSet(t *testing.T) {
	loadOrSkip(t)
	if testing.Short() {
		t.Skip("short mode: one child process per kernel set")
	}
	sets := []struct {
		name string
		runs bool
	}{{"Prescott", true}, {"Haswell", cpu.X86.HasAVX2 && cpu.X86.HasFMA}, {"SkylakeX", cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL}}
	for _, set := range sets {
		t.Run(set.name, func(t *testing.T) {
			if !set.runs {
				t.Skipf("this CPU cannot run OpenBLAS's %s kernels", set.name)
			}
			cmd := exec.Command(os.Args[0], "-test.run", "^(TestLoad|TestGemmAgreesWithGonum)$", "-test.v")
			cmd.Env = append(os.Environ(), "OPENBLAS_CORETYPE="+set.name, requireEnv+"=1")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("with OPENBLAS_CORETYPE=%s: %v\n%s", set.name, err, lastLines(string(out), 20))
			}
			// openblas_get_config names the kernel set in use.
			if !strings.Contains(strings.ToLower(string(out)), strings.ToLower(set.name)) {
				t.Fatalf("with OPENBLAS_CORETYPE=%s the library did not report that kernel set:\n%s", set.name, lastLines(string(out), 20))
			}
		})
	}
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
