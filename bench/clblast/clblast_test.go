package clblast_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"

	"github.com/cltrain/cltrain/bench/clblast"
	"github.com/cltrain/cltrain/cpuref"
	"github.com/cltrain/cltrain/engine/opencl"
	"github.com/cltrain/cltrain/internal/cltest"
)

func TestLoadMissingLibrary(t *testing.T) {
	const missing = "/nonexistent/libclblast-absent.so.1"
	lib, err := clblast.Load(missing)
	if lib != nil || !errors.Is(err, clblast.ErrUnavailable) {
		t.Fatalf("Load(%q) = %v, %v; want an error wrapping ErrUnavailable", missing, lib, err)
	}
	if msg := err.Error(); !strings.Contains(msg, missing) || !strings.Contains(msg, "apt-get install libclblast1") || strings.Contains(msg, "\n") {
		t.Errorf("error %q should be one line naming the library and the package", msg)
	}
}

func TestStatusNames(t *testing.T) {
	if got := clblast.Status(-1017).Error(); !strings.Contains(got, "CLBlastInvalidDimension") {
		t.Errorf("Status(-1017) = %q, want its name", got)
	}
	if got := clblast.Status(-54).Error(); !strings.Contains(got, "-54") {
		t.Errorf("Status(-54) = %q, want the number", got)
	}
}

// requireEnv names the variable that turns a missing CLBlast into a
// failure instead of a skip, as CLTRAIN_REQUIRE_OPENCL does for OpenCL.
const requireEnv = "CLTRAIN_REQUIRE_CLBLAST"

// loadOrSkip returns the CLBlast library, skipping t when it is not
// installed unless CLTRAIN_REQUIRE_CLBLAST is 1.
func loadOrSkip(t *testing.T) *clblast.Library {
	t.Helper()
	lib, err := clblast.Load("")
	if errors.Is(err, clblast.ErrUnavailable) && os.Getenv(requireEnv) != "1" {
		t.Skipf("skipping: %v (set %s=1 to fail instead)", err, requireEnv)
	}
	if err != nil {
		t.Fatalf("load CLBlast (%s=1): %v", requireEnv, err)
	}
	return lib
}

// relErr is ‖got − want‖/‖want‖.
func relErr(got, want []float64) float64 {
	return floats.Distance(got, want, 2) / floats.Norm(want, 2)
}

// TestSgemmMatchesReference runs CLBlast's SGEMM on an odd shape in each
// transpose training uses (NN, NT, TN), with alpha and beta, and compares it
// with the float64 reference and with cltrain's GEMM kernel.
func TestSgemmMatchesReference(t *testing.T) {
	ctx := cltest.Context(t)
	lib := loadOrSkip(t)
	ops, err := opencl.NewOps(ctx, opencl.DefaultGemm)
	if err != nil {
		t.Fatal(err)
	}
	defer ops.Release()
	const m, n, k = 37, 53, 29
	const alpha, beta = 1.5, 0.5
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}} {
		t.Run(fmt.Sprintf("tA=%v/tB=%v", tr[0], tr[1]), func(t *testing.T) {
			ar, ac, br, bc := m, k, k, n
			if tr[0] {
				ar, ac = ac, ar
			}
			if tr[1] {
				br, bc = bc, br
			}
			host := func(r, c int) []float32 {
				v := make([]float32, r*c)
				for i := range v {
					v[i] = float32(rng.NormFloat64())
				}
				return v
			}
			a, b, c0 := host(ar, ac), host(br, bc), host(m, n)
			dev := func(r, c int, v []float32) opencl.Mat {
				mat, err := opencl.NewMat(ctx, r, c)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { mat.Release() })
				if err := mat.Buf.Write(v); err != nil {
					t.Fatal(err)
				}
				return mat
			}
			da, db, dcBlast, dcOurs := dev(ar, ac, a), dev(br, bc, b), dev(m, n, c0), dev(m, n, c0)
			err := lib.Sgemm(ctx.QueueHandle(), tr[0], tr[1], m, n, k, alpha,
				clblast.Matrix{Handle: da.Buf.Handle(), LD: ac}, clblast.Matrix{Handle: db.Buf.Handle(), LD: bc},
				beta, clblast.Matrix{Handle: dcBlast.Buf.Handle(), LD: n})
			if err != nil {
				t.Fatal(err)
			}
			if err := ops.Gemm(tr[0], tr[1], alpha, da, db, beta, dcOurs); err != nil {
				t.Fatal(err)
			}
			read := func(mat opencl.Mat) []float64 {
				v := make([]float32, mat.Len())
				if err := mat.Buf.Read(v); err != nil {
					t.Fatal(err)
				}
				return widen(v)
			}
			blasT := func(t bool) blas.Transpose {
				if t {
					return blas.Trans
				}
				return blas.NoTrans
			}
			ref := blas64.General{Rows: m, Cols: n, Stride: n, Data: widen(c0)}
			cpuref.Gemm(blasT(tr[0]), blasT(tr[1]), alpha, blas64.General{Rows: ar, Cols: ac, Stride: ac, Data: widen(a)},
				blas64.General{Rows: br, Cols: bc, Stride: bc, Data: widen(b)}, beta, ref)
			gotBlast, gotOurs := read(dcBlast), read(dcOurs)
			if e := relErr(gotBlast, ref.Data); !(e <= 2e-5) {
				t.Errorf("CLBlast against the float64 reference: relative error %.3g, want ≤ 2e-5", e)
			}
			if e := relErr(gotBlast, gotOurs); !(e <= 2e-5) {
				t.Errorf("CLBlast against cltrain's GEMM: relative error %.3g, want ≤ 2e-5", e)
			}
		})
	}
}

func widen(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func TestSgemmRefusesEmptySizes(t *testing.T) {
	lib := loadOrSkip(t)
	if err := lib.Sgemm(0, false, false, 0, 1, 1, 1, clblast.Matrix{}, clblast.Matrix{}, 0, clblast.Matrix{}); err == nil {
		t.Error("Sgemm with m = 0 succeeded")
	}
}
