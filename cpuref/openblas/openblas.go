package openblas

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// ErrUnavailable is wrapped by the errors of Load when OpenBLAS cannot be
// used on this machine, so that callers can fall back to gonum.
var ErrUnavailable = errors.New("openblas: library unavailable")

// CBLAS enumeration values, from cblas.h.
const (
	cblasRowMajor = 101
	cblasNoTrans  = 111
	cblasTrans    = 112
)

// Gemm signatures of cblas_sgemm and cblas_dgemm with a 32-bit blasint. The
// slices are passed to C as pointers to their first element.
type (
	sgemmFunc func(order, tA, tB, m, n, k int32, alpha float32, a []float32, lda int32,
		b []float32, ldb int32, beta float32, c []float32, ldc int32)
	dgemmFunc func(order, tA, tB, m, n, k int32, alpha float64, a []float64, lda int32,
		b []float64, ldb int32, beta float64, c []float64, ldc int32)
)

// Implementation is gonum's pure-Go BLAS with Sgemm and Dgemm done by
// OpenBLAS. It satisfies blas.Float32 and blas.Float64; obtain one from Load.
type Implementation struct {
	gonum.Implementation

	sgemm         sgemmFunc
	dgemm         dgemmFunc
	getNumThreads func() int32 // nil when the library does not export it
	setNumThreads func(int32)  // nil when the library does not export it
	name          string
}

// Name returns the OpenBLAS build description from openblas_get_config, for
// example "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64",
// or the library file name when the library does not report one.
func (impl *Implementation) Name() string { return impl.name }

// NumThreads returns the number of threads OpenBLAS uses, or 0 when the
// library does not say.
func (impl *Implementation) NumThreads() int {
	if impl.getNumThreads == nil {
		return 0
	}
	return int(impl.getNumThreads())
}

// SetNumThreads sets the number of threads OpenBLAS uses. It returns an
// error when n < 1 or when the library cannot change it.
func (impl *Implementation) SetNumThreads(n int) error {
	if n < 1 || n > math.MaxInt32 {
		return errors.New("openblas: thread count must be at least 1")
	}
	if impl.setNumThreads == nil {
		return errors.New("openblas: library does not export openblas_set_num_threads")
	}
	impl.setNumThreads(int32(n))
	return nil
}

// Sgemm performs C = alpha·op(A)·op(B) + beta·C in OpenBLAS, with the
// arguments and panics of gonum's Sgemm. Sizes that need no multiplication,
// or that do not fit OpenBLAS's 32-bit integers, are left to gonum.
func (impl *Implementation) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(tA, tB, m, n, k, lda, ldb, ldc, len(a), len(b), len(c))
	if m == 0 || n == 0 || k == 0 || alpha == 0 || !fitInt32(m, n, k, lda, ldb, ldc) {
		impl.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	impl.sgemm(cblasRowMajor, cblasTranspose(tA), cblasTranspose(tB), int32(m), int32(n), int32(k),
		alpha, a, int32(lda), b, int32(ldb), beta, c, int32(ldc))
}

// Dgemm performs C = alpha·op(A)·op(B) + beta·C in OpenBLAS, with the
// arguments and panics of gonum's Dgemm. Sizes that need no multiplication,
// or that do not fit OpenBLAS's 32-bit integers, are left to gonum.
func (impl *Implementation) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int,
	b []float64, ldb int, beta float64, c []float64, ldc int) {
	checkGemm(tA, tB, m, n, k, lda, ldb, ldc, len(a), len(b), len(c))
	if m == 0 || n == 0 || k == 0 || alpha == 0 || !fitInt32(m, n, k, lda, ldb, ldc) {
		impl.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	impl.dgemm(cblasRowMajor, cblasTranspose(tA), cblasTranspose(tB), int32(m), int32(n), int32(k),
		alpha, a, int32(lda), b, int32(ldb), beta, c, int32(ldc))
}

// Panic messages of gonum's blas implementation.
const (
	badTranspose = "blas: illegal transpose"
	mLT0         = "blas: m < 0"
	nLT0         = "blas: n < 0"
	kLT0         = "blas: k < 0"
	badLdA       = "blas: bad leading dimension of A"
	badLdB       = "blas: bad leading dimension of B"
	badLdC       = "blas: bad leading dimension of C"
	shortA       = "blas: insufficient length of a"
	shortB       = "blas: insufficient length of b"
	shortC       = "blas: insufficient length of c"
)

// checkGemm panics, in the order and with the messages of gonum's gemm,
// unless the arguments describe matrices that lie inside their slices.
func checkGemm(tA, tB blas.Transpose, m, n, k, lda, ldb, ldc, lenA, lenB, lenC int) {
	if !validTranspose(tA) || !validTranspose(tB) {
		panic(badTranspose)
	}
	switch {
	case m < 0:
		panic(mLT0)
	case n < 0:
		panic(nLT0)
	case k < 0:
		panic(kLT0)
	}
	aTrans, bTrans := tA != blas.NoTrans, tB != blas.NoTrans
	rowA, colA := m, k // op(A) is m×k; A is stored rowA×colA.
	if aTrans {
		rowA, colA = k, m
	}
	rowB, colB := k, n
	if bTrans {
		rowB, colB = n, k
	}
	switch {
	case lda < max(1, colA):
		panic(badLdA)
	case ldb < max(1, colB):
		panic(badLdB)
	case ldc < max(1, n):
		panic(badLdC)
	}
	if m == 0 || n == 0 {
		return
	}
	switch {
	case lenA < (rowA-1)*lda+colA:
		panic(shortA)
	case lenB < (rowB-1)*ldb+colB:
		panic(shortB)
	case lenC < (m-1)*ldc+n:
		panic(shortC)
	}
}

// validTranspose reports whether t is a transpose gonum accepts for real
// matrices.
func validTranspose(t blas.Transpose) bool {
	return t == blas.NoTrans || t == blas.Trans || t == blas.ConjTrans
}

// cblasTranspose maps a valid transpose to CBLAS; for real matrices the
// conjugate transpose is the transpose.
func cblasTranspose(t blas.Transpose) int32 {
	if t == blas.NoTrans {
		return cblasNoTrans
	}
	return cblasTrans
}

// fitInt32 reports whether every value fits OpenBLAS's 32-bit blasint.
func fitInt32(vs ...int) bool {
	for _, v := range vs {
		if v > math.MaxInt32 {
			return false
		}
	}
	return true
}
