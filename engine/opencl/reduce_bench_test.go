package opencl_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/cltrain/cltrain/engine/opencl"
)

// BenchmarkReduce times the reductions on short wide and tall inputs of 1M
// and 16M floats beside the copy kernel of kernels/peak.cl over the same
// bytes, the yardstick their GB/s is judged by (docs/PERF.md), for example
// BenchmarkReduce/opencl/row_sums/1×1048576 and
// BenchmarkReduce/opencl/copy/16M.
func BenchmarkReduce(b *testing.B) {
	for _, n := range []int{1 << 20, 16 << 20} {
		b.Run(fmt.Sprintf("opencl/copy/%dM", n>>20), func(b *testing.B) {
			t := newBench(b)
			p, err := opencl.BuildPeak(t.c, 16)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { p.Release() })
			k, err := p.Kernel("copy4")
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { k.Release() })
			in, out := t.mat(1, n, false), t.mat(1, n, false)
			if err := k.SetArgs(int32(n/4), in.Buf, out.Buf); err != nil {
				b.Fatal(err)
			}
			t.run(8*float64(n), "GB/s", func() error { return t.c.Launch(k, []int{n / 4}, nil) })
		})
		for _, rows := range []int{1, 4, 256} {
			cols := n / rows
			b.Run(fmt.Sprintf("opencl/row_sums/%d×%d", rows, cols), func(b *testing.B) {
				t := newBench(b)
				a, out := t.mat(rows, cols, false), t.mat(rows, 1, false)
				t.run(4*float64(n+rows), "GB/s", func() error { return t.ops.RowSums(a, 1/float32(cols), out.Buf) })
			})
		}
		b.Run(fmt.Sprintf("opencl/bce_cost/1×%d", n), func(b *testing.B) {
			t := newBench(b)
			z, bias, y, out := t.mat(1, n, false), t.mat(1, 1, false), t.mat(1, n, true), t.mat(1, 2, false)
			t.run(8*float64(n), "GB/s", func() error { return t.ops.Cost(z, bias.Buf, y, out.Buf) })
		})
	}
}

// BenchmarkCostAfterHostWork times bce_cost over 16M examples, each launch
// after the host has been idle or busy for a while, as it is between an
// interleaved benchmark's backends: right away, after a 10 ms sleep, after
// 200 ms of one busy thread, and after 1 s of it followed by one untimed
// launch, or by untimed launches adding up to 50 ms, which is how cltrain
// bench primes its short runs (docs/PERF.md, "The bench timed OpenCL
// cold").
func BenchmarkCostAfterHostWork(b *testing.B) {
	busy := func(d time.Duration) {
		for end := time.Now().Add(d); time.Now().Before(end); {
		}
	}
	for _, c := range []struct {
		name   string
		before func(prime func(time.Duration))
	}{
		{"back-to-back", func(func(time.Duration)) {}},
		{"sleep-10ms", func(func(time.Duration)) { time.Sleep(10 * time.Millisecond) }},
		{"busy-200ms", func(func(time.Duration)) { busy(200 * time.Millisecond) }},
		{"busy-1s-one-untimed", func(prime func(time.Duration)) { busy(time.Second); prime(0) }},
		{"busy-1s-untimed-50ms", func(prime func(time.Duration)) { busy(time.Second); prime(50 * time.Millisecond) }},
	} {
		b.Run("opencl/bce_cost/1×16777216/"+c.name, func(b *testing.B) {
			t := newBench(b)
			n := 16 << 20
			z, bias, y, out := t.mat(1, n, false), t.mat(1, 1, false), t.mat(1, n, true), t.mat(1, 2, false)
			launch := func() error { return t.ops.Cost(z, bias.Buf, y, out.Buf) }
			// prime launches untimed until d has passed, at least once.
			prime := func(d time.Duration) {
				for end := time.Now().Add(d); ; {
					if err := launch(); err != nil {
						b.Fatal(err)
					}
					if err := t.c.Finish(); err != nil {
						b.Fatal(err)
					}
					if time.Now().After(end) {
						break
					}
				}
				t.ops.DropEvents()
			}
			t.run(8*float64(n), "GB/s", func() error {
				b.StopTimer()
				c.before(prime)
				b.StartTimer()
				return launch()
			})
		})
	}
}
