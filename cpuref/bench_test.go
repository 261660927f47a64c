package cpuref

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// BenchmarkGemm times n×n×n products in both precisions for the transpose
// combinations of the forward (NN) and backward (NT, TN) passes, reporting
// GFLOP/s (2n³ flops per product).
func BenchmarkGemm(b *testing.B) {
	rnd := rand.New(rand.NewPCG(1, 1))
	for _, prec := range []string{"f32", "f64"} {
		for _, tr := range []struct {
			name   string
			tA, tB blas.Transpose
		}{{"NN", blas.NoTrans, blas.NoTrans}, {"NT", blas.NoTrans, blas.Trans}, {"TN", blas.Trans, blas.NoTrans}} {
			for _, n := range []int{64, 256, 1024} {
				b.Run(fmt.Sprintf("%s/%s/%d", prec, tr.name, n), func(b *testing.B) {
					x, y, z := randGeneral(rnd, n, n, 0), randGeneral(rnd, n, n, 0), randGeneral(rnd, n, n, 0)
					var run func()
					if prec == "f32" {
						x32, y32, z32 := to32(x), to32(y), to32(z)
						run = func() { Gemm32(tr.tA, tr.tB, 1, x32, y32, 0, z32) }
					} else {
						run = func() { Gemm(tr.tA, tr.tB, 1, x, y, 0, z) }
					}
					for b.Loop() {
						run()
					}
					b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}
