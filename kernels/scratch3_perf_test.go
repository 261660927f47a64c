package kernels_test

import (
	"os"
	"testing"
	"time"

	"github.com/cltrain/cltrain/internal/cltest"
	"github.com/cltrain/cltrain/kernels"
)

func TestScratchShapes(t *testing.T) {
	if os.Getenv("SCRATCH") == "" {
		t.Skip()
	}
	c := cltest.Context(t)
	o, _ := kernels.NewOps(c, kernels.DefaultGemm)
	for _, s := range []struct {
		tA, tB  bool
		m, n, k int
	}{{false, false, 256, 8192, 784}, {false, true, 256, 784, 8192}, {false, false, 256, 784, 8192}, {false, false, 2048, 2048, 2048}, {false, true, 2048, 2048, 2048}, {false, false, 4096, 4096, 1024}, {false, true, 4096, 1024, 4096}} {
		ar, ac := s.m, s.k
		if s.tA {
			ar, ac = ac, ar
		}
		br, bc := s.k, s.n
		if s.tB {
			br, bc = bc, br
		}
		a, _ := kernels.NewMat(c, ar, ac)
		b, _ := kernels.NewMat(c, br, bc)
		cc, _ := kernels.NewMat(c, s.m, s.n)
		a.Buf.Write(make([]float32, ar*ac))
		b.Buf.Write(make([]float32, br*bc))
		o.Gemm(s.tA, s.tB, 1, a, b, 0, cc)
		c.Finish()
		o.Profile(true)
		best := time.Hour
		for r := 0; r < 3; r++ {
			o.DropEvents()
			o.Gemm(s.tA, s.tB, 1, a, b, 0, cc)
			var d time.Duration
			for _, e := range o.Events() {
				x, _ := e.Event.Duration()
				d += x
			}
			best = min(best, d)
		}
		o.DropEvents()
		o.Profile(false)
		t.Logf("%v %v %d×%d×%d: %v %.1f GFLOP/s", s.tA, s.tB, s.m, s.n, s.k, best, 2*float64(s.m*s.n*s.k)/best.Seconds()/1e9)
		a.Release()
		b.Release()
		cc.Release()
	}
}
