package opencl

import (
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/cltrain/cltrain/engine"
	"github.com/cltrain/cltrain/engine/backendtest"
	"github.com/cltrain/cltrain/internal/cltest"
)

// TestShuffledBatches checks the mini-batch path over several epochs, each
// order written without waiting while the steps of the epoch before are
// still queued: every gathered batch holds exactly the columns
// X[:, perm[off:off+n]] and Y[:, perm[off:off+n]] (odd sizes, a last
// partial batch, a batch larger than the ones before), and the order
// buffers alternate, each host slice reused only once the write that held
// it is done.
func TestShuffledBatches(t *testing.T) {
	const nx, m = 37, 203
	rng := rand.New(rand.NewPCG(3, 4))
	x, y := backendtest.Problem(rng, nx, m)
	model := engine.NewModel(nx, 5)
	p, err := model.Init(engine.Xavier, rng)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(cltest.Device(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Load(model, x, y, p); err != nil {
		t.Fatal(err)
	}
	var slices [][]int32 // the host slice of each epoch's write
	for epoch, batch := range []int{16, 16, 50, 7, 203} {
		perm := rng.Perm(m)
		prev := b.cur
		if err := b.Shuffle(perm); err != nil {
			t.Fatal(err)
		}
		if b.cur == prev {
			t.Fatalf("epoch %d: the order went to the buffer in use", epoch)
		}
		slices = append(slices, b.orderUp[b.cur].Held())
		if epoch >= 2 {
			// The slice of two epochs back is reused, and its write
			// was waited for (Reclaim) before it was.
			if unsafe.SliceData(slices[epoch]) != unsafe.SliceData(slices[epoch-2]) {
				t.Errorf("epoch %d: a new host slice instead of the one of epoch %d", epoch, epoch-2)
			}
			if up := b.orderUp[1-b.cur]; up.Held() == nil {
				t.Errorf("epoch %d: the write of the epoch before lost its host slice while it may be pending", epoch)
			}
		}
		for off := 0; off < m; off += batch {
			n := min(batch, m-off)
			bx, by, err := b.batch(engine.Batch{Offset: off, Size: n})
			if err != nil {
				t.Fatal(err)
			}
			gx, err := download(bx)
			if err != nil {
				t.Fatal(err)
			}
			gy, err := download(by)
			if err != nil {
				t.Fatal(err)
			}
			for j := range n {
				for i := range nx {
					if got, want := gx.At(i, j), float64(float32(x.At(i, perm[off+j]))); got != want {
						t.Fatalf("epoch %d batch at %d: X[%d, %d] = %v, want %v", epoch, off, i, j, got, want)
					}
				}
				if got, want := gy.At(0, j), y.At(0, perm[off+j]); got != want {
					t.Fatalf("epoch %d batch at %d: Y[0, %d] = %v, want %v", epoch, off, j, got, want)
				}
			}
			// A step queued behind, not waited for, before the next
			// epoch's order is written.
			if _, err := b.Step(engine.Batch{Offset: off, Size: n}, 0.1, false); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestKernelTimes checks the per-kernel breakdown: launches counted by
// kernel name, times that add up to KernelTime's, the longest first, and
// the events dropped after.
func TestKernelTimes(t *testing.T) {
	c := cltest.Context(t)
	o, err := NewOps(c, GemmParams{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Release()
	rng := rand.New(rand.NewPCG(5, 6))
	mat := func(rows, cols int) Mat {
		v := make([]float32, rows*cols)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		m := upload(t, c, v)
		m.Rows, m.Cols = rows, cols
		return m
	}
	a, bm, out := mat(64, 300), mat(300, 50), mat(64, 50)
	run := func() {
		t.Helper()
		for range 3 {
			if err := o.Sub(out, out, out); err != nil {
				t.Fatal(err)
			}
		}
		if err := o.Gemm(false, false, 1, a, bm, 0, out); err != nil {
			t.Fatal(err)
		}
		if err := c.Finish(); err != nil {
			t.Fatal(err)
		}
	}
	o.Profile(true)
	run()
	launches := len(o.Events())
	total, err := o.KernelTime()
	if err != nil {
		t.Fatal(err)
	}
	run()
	if n := len(o.Events()); n != launches {
		t.Fatalf("%d launches the second time, %d the first", n, launches)
	}
	stats, err := o.KernelTimes()
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Events()) != 0 {
		t.Error("KernelTimes kept the events")
	}
	var sum int
	seen := map[string]bool{}
	for i, s := range stats {
		if seen[s.Kernel] {
			t.Errorf("kernel %s listed twice", s.Kernel)
		}
		seen[s.Kernel] = true
		sum += s.Launches
		if s.Time <= 0 {
			t.Errorf("%s: time %v", s.Kernel, s.Time)
		}
		if i > 0 && s.Time > stats[i-1].Time {
			t.Errorf("%s (%v) listed after %s (%v)", s.Kernel, s.Time, stats[i-1].Kernel, stats[i-1].Time)
		}
		if s.Kernel == "sub" && s.Launches != 3 {
			t.Errorf("sub: %d launches, want 3", s.Launches)
		}
	}
	if !seen["sub"] || len(stats) < 2 || sum != launches {
		t.Errorf("stats %+v: want sub and the GEMM's kernels, %d launches in all", stats, launches)
	}
	if total <= 0 {
		t.Errorf("KernelTime %v", total)
	}
}
