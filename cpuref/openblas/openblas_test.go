package openblas

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

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
							checkClose(t, "Sgemm", widen(got.d32), widen(want.d32), 1e-5)

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
