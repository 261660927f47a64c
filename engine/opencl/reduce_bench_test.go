package opencl_test

import (
	"fmt"
	"testing"

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
