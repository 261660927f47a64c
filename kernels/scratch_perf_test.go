package kernels_test

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/cltrain/cltrain/internal/cltest"
	"github.com/cltrain/cltrain/kernels"
)

func TestScratchGemmPerf(t *testing.T) {
	if os.Getenv("SCRATCH") == "" {
		t.Skip()
	}
	c := cltest.Context(t)
	p := kernels.DefaultGemm
	if v := os.Getenv("TILE"); v != "" {
		fmt.Sscanf(v, "%d,%d,%d,%d,%d", &p.TM, &p.TN, &p.TK, &p.WM, &p.WN)
	}
	if v := os.Getenv("CPUP"); v != "" {
		fmt.Sscanf(v, "%d,%d,%d,%d,%d", &p.VW, &p.RM, &p.NV, &p.DR, &p.DC)
	}
	o, err := kernels.NewOps(c, p)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(os.Getenv("N"))
	if n == 0 {
		n = 1024
	}
	a, _ := kernels.NewMat(c, n, n)
	b, _ := kernels.NewMat(c, n, n)
	cc, _ := kernels.NewMat(c, n, n)
	buf := make([]float32, n*n)
	for i := range buf {
		buf[i] = float32(i%7) - 3
	}
	a.Buf.Write(buf)
	b.Buf.Write(buf)
	for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}} {
		o.Profile(true)
		var ts []float64
		for r := 0; r < 4; r++ {
			if err := o.Gemm(tr[0], tr[1], 1, a, b, 0, cc); err != nil {
				t.Fatal(err)
			}
			c.Finish()
			ev := o.Events()[len(o.Events())-1]
			d, _ := ev.Event.Duration()
			ts = append(ts, d.Seconds())
		}
		o.DropEvents()
		sort.Float64s(ts)
		med := ts[len(ts)/2]
		t.Logf("%v %d³: %.3f ms %.1f GFLOP/s (%v)", tr, n, med*1e3, 2*float64(n*n*n)/med/1e9, time.Duration(med*1e9))
	}
}
