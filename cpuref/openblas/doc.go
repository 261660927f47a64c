// Package openblas loads OpenBLAS at run time, without cgo, and puts its
// single- and double-precision gemm behind gonum's blas interfaces.
//
// Load opens libopenblas.so.0 with purego and returns an Implementation: the
// pure-Go gonum.Implementation with Sgemm and Dgemm replaced by cblas_sgemm
// and cblas_dgemm, so that after blas32.Use(impl) and blas64.Use(impl) every
// blas32.Gemm and blas64.Gemm (and every gonum mat product built on them)
// runs in OpenBLAS while the other routines stay gonum's.
//
// Layout: matrices are row-major, element {i,j} is a[i*lda+j], as in gonum;
// they are passed to OpenBLAS as CblasRowMajor.
//
// Loading is supported on linux; elsewhere, and where the library is
// missing, Load returns an error wrapping ErrUnavailable.
package openblas
