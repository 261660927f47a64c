package opencl_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/engine/opencl"
	"github.com/cltrain/cltrain/internal/cltest"
)

// The benchmarks time every kernel on the OpenCL device, one launch per
// operation waited for with Finish, and report the kernel time of the
// launches (kernel-ns/op, from profiling events) beside the wall time, and
// GFLOP/s (GEMMs, 2·M·N·K) or GB/s (bytes read + written). Names follow
// Benchmark<Kernel>/opencl/<variant>/<size> for benchstat.

// bench holds a benchmark's context, launchers and a source of data.
type bench struct {
	b   *testing.B
	c   *device.Context
	ops *opencl.Ops
	rng *rand.Rand
}

func newBench(b *testing.B) *bench {
	c := cltest.Context(b)
	ops, err := opencl.NewOps(c, opencl.DefaultGemm)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ops.Release() })
	ops.Profile(true)
	return &bench{b: b, c: c, ops: ops, rng: rand.New(rand.NewPCG(1, 1))}
}

// mat returns a rows×cols device matrix of values in [−1, 1), or of 0 and 1
// when labels.
func (t *bench) mat(rows, cols int, labels bool) opencl.Mat {
	m, err := opencl.NewMat(t.c, rows, cols)
	if err != nil {
		t.b.Fatal(err)
	}
	t.b.Cleanup(func() { m.Release() })
	if err := m.Buf.Write(t.values(rows*cols, labels)); err != nil {
		t.b.Fatal(err)
	}
	return m
}

// values returns n values in [−1, 1), or of 0 and 1 when labels.
func (t *bench) values(n int, labels bool) []float32 {
	v := make([]float32, n)
	for i := range v {
		if labels {
			v[i] = float32(t.rng.IntN(2))
		} else {
			v[i] = float32(2*t.rng.Float64() - 1)
		}
	}
	return v
}

// run times launch, after one untimed launch, and reports the kernel time
// per operation and the rate: work per second in units of 1e9 of unit.
func (t *bench) run(work float64, unit string, launch func() error) {
	b := t.b
	wait := func() time.Duration {
		if err := t.c.Finish(); err != nil {
			b.Fatal(err)
		}
		var d time.Duration
		for _, l := range t.ops.Events() {
			k, err := l.Event.Duration()
			if err != nil {
				b.Fatal(err)
			}
			d += k
		}
		t.ops.DropEvents()
		return d
	}
	if err := launch(); err != nil {
		b.Fatal(err)
	}
	wait()
	var kernel time.Duration
	for b.Loop() {
		if err := launch(); err != nil {
			b.Fatal(err)
		}
		kernel += wait()
	}
	b.ReportMetric(float64(kernel.Nanoseconds())/float64(b.N), "kernel-ns/op")
	b.ReportMetric(work*float64(b.N)/b.Elapsed().Seconds()/1e9, unit)
}

func gemmFlops(m, n, k int) float64 { return 2 * float64(m) * float64(n) * float64(k) }

// BenchmarkGemm times C = op(A)·op(B) for square n in the transposes of
// training, for example BenchmarkGemm/opencl/NN/1024.
func BenchmarkGemm(b *testing.B) {
	for _, tr := range []struct {
		name   string
		tA, tB bool
	}{{"NN", false, false}, {"NT", false, true}, {"TN", true, false}} {
		for _, n := range []int{128, 256, 512, 1024} {
			b.Run("opencl/"+tr.name+"/"+strconv.Itoa(n), func(b *testing.B) {
				t := newBench(b)
				x, y, z := t.mat(n, n, false), t.mat(n, n, false), t.mat(n, n, false)
				t.run(gemmFlops(n, n, n), "GFLOP/s", func() error { return t.ops.Gemm(tr.tA, tr.tB, 1, x, y, 0, z) })
			})
		}
	}
}

// The fused GEMMs at the shapes of the 784-256-8192 training step.
const nx, nh, m = 784, 256, 8192

func shape(m, n, k int) string { return fmt.Sprintf("%dx%dx%d", m, n, k) }

// BenchmarkGemmBias times the forward layers: A = act(W·X + b), the hidden
// layer with tanh and the output layer with the sigmoid.
func BenchmarkGemmBias(b *testing.B) {
	for _, l := range []struct {
		name    string
		act     opencl.Epilogue
		rows, k int
	}{{"tanh", opencl.BiasTanh, nh, nx}, {"sigmoid", opencl.BiasSigmoid, 1, nh}} {
		b.Run("opencl/"+l.name+"/"+shape(l.rows, m, l.k), func(b *testing.B) {
			t := newBench(b)
			w, x, bias, out := t.mat(l.rows, l.k, false), t.mat(l.k, m, false), t.mat(l.rows, 1, false), t.mat(l.rows, m, false)
			t.run(gemmFlops(l.rows, m, l.k), "GFLOP/s", func() error { return t.ops.GemmBias(l.act, w, x, bias.Buf, out) })
		})
	}
}

// BenchmarkGemmSigmoidSub times the output layer fused with its gradient:
// dZ2 = σ(W2·A1 + b2) − Y.
func BenchmarkGemmSigmoidSub(b *testing.B) {
	b.Run("opencl/"+shape(1, m, nh), func(b *testing.B) {
		t := newBench(b)
		w, a, bias, y, out := t.mat(1, nh, false), t.mat(nh, m, false), t.mat(1, 1, false), t.mat(1, m, true), t.mat(1, m, false)
		t.run(gemmFlops(1, m, nh), "GFLOP/s", func() error { return t.ops.GemmSigmoidSub(w, a, bias.Buf, y, out) })
	})
}

// BenchmarkGemmTanhBackward times dZ1 = (W2ᵀ·dZ2) ⊙ (1 − A1²).
func BenchmarkGemmTanhBackward(b *testing.B) {
	b.Run("opencl/"+shape(nh, m, 1), func(b *testing.B) {
		t := newBench(b)
		w, dz, a, out := t.mat(1, nh, false), t.mat(1, m, false), t.mat(nh, m, false), t.mat(nh, m, false)
		t.run(gemmFlops(nh, m, 1), "GFLOP/s", func() error { return t.ops.GemmTanhBackward(w, dz, a, out) })
	})
}

// BenchmarkGemmUpdate times the hidden layer's update from its gradient:
// W1 −= (lr/m)·dZ1·Xᵀ, b1 −= (lr/m)·Σ dZ1.
func BenchmarkGemmUpdate(b *testing.B) {
	b.Run("opencl/"+shape(nh, nx, m), func(b *testing.B) {
		t := newBench(b)
		dz, x, w, bias := t.mat(nh, m, false), t.mat(nx, m, false), t.mat(nh, nx, false), t.mat(nh, 1, false)
		t.run(gemmFlops(nh, nx, m), "GFLOP/s", func() error { return t.ops.GemmUpdate(dz, x, 1e-6, w, bias.Buf) })
	})
}

// BenchmarkElementwise times the elementwise kernels and the reductions
// over n elements (256 rows; the cost over one row), for example
// BenchmarkElementwise/opencl/sub/16M.
func BenchmarkElementwise(b *testing.B) {
	const rows = 256
	for _, n := range []int{1 << 20, 4 << 20, 16 << 20} {
		size := strconv.Itoa(n>>20) + "M"
		cols := n / rows
		for _, op := range []struct {
			name  string
			bytes float64 // read + written
			setup func(t *bench) func() error
		}{
			{"bias_tanh", 8 * float64(n), func(t *bench) func() error {
				z, bias, out := t.mat(rows, cols, false), t.mat(rows, 1, false), t.mat(rows, cols, false)
				return func() error { return t.ops.BiasTanh(z, bias.Buf, out) }
			}},
			{"bias_sigmoid", 8 * float64(n), func(t *bench) func() error {
				z, bias, out := t.mat(rows, cols, false), t.mat(rows, 1, false), t.mat(rows, cols, false)
				return func() error { return t.ops.BiasSigmoid(z, bias.Buf, out) }
			}},
			{"sub", 12 * float64(n), func(t *bench) func() error {
				x, y, out := t.mat(rows, cols, false), t.mat(rows, cols, false), t.mat(rows, cols, false)
				return func() error { return t.ops.Sub(x, y, out) }
			}},
			{"tanh_backward", 12 * float64(n), func(t *bench) func() error {
				da, a, out := t.mat(rows, cols, false), t.mat(rows, cols, false), t.mat(rows, cols, false)
				return func() error { return t.ops.TanhBackward(da, a, out) }
			}},
			{"sgd", 12 * float64(n), func(t *bench) func() error {
				w, dw := t.mat(rows, cols, false), t.mat(rows, cols, false)
				return func() error { return t.ops.SGD(w.Buf, dw.Buf, n, 1e-6) }
			}},
			{"gather_cols", 8 * float64(n), func(t *bench) func() error {
				src, dst := t.mat(rows, cols, false), t.mat(rows, cols, false)
				idx, err := t.c.NewBuffer(cols)
				if err != nil {
					t.b.Fatal(err)
				}
				t.b.Cleanup(func() { idx.Release() })
				perm := make([]int32, cols)
				for i, v := range t.rng.Perm(cols) {
					perm[i] = int32(v)
				}
				if err := idx.WriteInt32(perm); err != nil {
					t.b.Fatal(err)
				}
				return func() error { return t.ops.GatherCols(src, idx, 0, dst) }
			}},
			{"row_sums", 4 * float64(n), func(t *bench) func() error {
				a, out := t.mat(rows, cols, false), t.mat(rows, 1, false)
				return func() error { return t.ops.RowSums(a, 1/float32(cols), out.Buf) }
			}},
			{"bce_cost", 8 * float64(n), func(t *bench) func() error {
				z, bias, y, out := t.mat(1, n, false), t.mat(1, 1, false), t.mat(1, n, true), t.mat(1, 2, false)
				return func() error { return t.ops.Cost(z, bias.Buf, y, out.Buf) }
			}},
		} {
			b.Run("opencl/"+op.name+"/"+size, func(b *testing.B) {
				t := newBench(b)
				t.run(op.bytes, "GB/s", op.setup(t))
			})
		}
	}
}

// BenchmarkTinyTrain times the one-launch training kernel: 1000 iterations
// of the flower-sized 2-4-1 network on 400 examples.
func BenchmarkTinyTrain(b *testing.B) {
	const nx, nh, m, steps = 2, 4, 400, 1000
	b.Run(fmt.Sprintf("opencl/%d-%d-%d", nx, nh, m), func(b *testing.B) {
		t := newBench(b)
		x, y := t.mat(nx, m, false), t.mat(1, m, true)
		w1, b1, w2, b2 := t.mat(nh, nx, false), t.mat(nh, 1, false), t.mat(1, nh, false), t.mat(1, 1, false)
		evals := t.mat(1, 2*steps, false)
		wg := 256
		if t.c.Device.Type == device.CPU {
			wg = 16
		}
		wg = min(wg, t.c.Device.MaxWorkGroupSize)
		flops := steps * (2*gemmFlops(nh, m, nx) + 3*gemmFlops(1, m, nh))
		t.run(flops, "GFLOP/s", func() error {
			return t.ops.TinyTrain(x, y, w1, b1, w2, b2, 0, steps, 1000, 1e-3, wg, evals.Buf)
		})
	})
}
