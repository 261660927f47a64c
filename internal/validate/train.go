package validate

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"

	"github.com/cltrain/cltrain/cpuref"
	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/engine/opencl"
)

// The cases of the kernels of the model kinds beyond tanh/sigmoid/SGD: ReLU
// (GEMM epilogues and elementwise), the softmax output, the optimizers and
// the L2 penalty's sum of squares.

// trainCases returns the cases of the kernels above at odd shapes: 1×1, primes,
// sizes just past the GEMM tiles, K = 10 over 8192 columns, and reductions
// long enough to be cut into several work-groups whose sums a second
// launch adds. quick drops the largest shapes.
func trainCases(quick bool) []Case {
	var cs []Case
	type mnk struct{ m, n, k int }
	for _, s := range []mnk{{1, 1, 1}, {4, 400, 2}, {7, 13, 29}, {33, 65, 17}, {129, 127, 65}} {
		cs = append(cs, gemmReLUCase(s.m, s.n, s.k), gemmReLUBackwardCase(s.m, s.n, s.k))
	}
	cs = append(cs, gemmReLUBackwardCase(257, 2053, 1))
	type rc = struct{ r, c int }
	shapes := []rc{{1, 1}, {2, 1}, {7, 13}, {3, 400}, {10, 1001}, {10, 8192}}
	if !quick {
		shapes = append(shapes, rc{10, 100003}, rc{257, 2053})
	}
	for _, s := range shapes {
		cs = append(cs, biasReLUCase(s.r, s.c), reluBackwardCase(s.r, s.c),
			sgdL2Case(s.r*s.c), momentumCase(s.r*s.c, 0), momentumCase(s.r*s.c, 0.01), adamCase(s.r*s.c, 1, 0), adamCase(s.r*s.c, 10, 0.01))
		if s.r >= 2 {
			cs = append(cs, softmaxCase("bias_softmax", s.r, s.c, 3), softmaxCase("softmax_sub", s.r, s.c, 3),
				softmaxCostCase(s.r, s.c, 1), softmaxCostCase(s.r, s.c, 40))
		}
	}
	cs = append(cs, softmaxCase("bias_softmax", 10, 1001, 40), softmaxCase("softmax_sub", 3, 400, 40),
		softmaxCostCase(3, 65539, 1), softmaxCostCase(1000, 37, 3))
	cs = append(cs, sumSquaresCase(rc{1, 1}), sumSquaresCase(rc{7, 13}, rc{1, 7}), sumSquaresCase(rc{256, 784}, rc{10, 256}, rc{3, 5}))
	if !quick {
		cs = append(cs, sumSquaresCase(rc{1024, 1025}))
	}
	return cs
}

// trainOclgrindCases returns trainKernels' cases at shapes small enough for
// Oclgrind: 1×1, a GEMM just past the default tiles (33×35×17), and
// reductions of more than one work-group of 256.
func trainOclgrindCases() []Case {
	cs := []Case{
		gemmReLUCase(1, 1, 1), gemmReLUCase(33, 35, 17), gemmReLUBackwardCase(1, 1, 1), gemmReLUBackwardCase(33, 35, 17),
		biasReLUCase(1, 1), biasReLUCase(3, 301), reluBackwardCase(1, 1), reluBackwardCase(3, 301),
		softmaxCase("bias_softmax", 2, 1, 3), softmaxCase("bias_softmax", 10, 37, 40),
		softmaxCase("softmax_sub", 2, 1, 3), softmaxCase("softmax_sub", 10, 37, 3),
		softmaxCostCase(2, 1, 1), softmaxCostCase(10, 301, 40), softmaxCostCase(3, 2053, 1),
		sgdL2Case(1), sgdL2Case(301), momentumCase(1, 0.01), momentumCase(301, 0.01),
		adamCase(1, 1, 0.01), adamCase(301, 10, 0.01),
	}
	type rc = struct{ r, c int }
	return append(cs, sumSquaresCase(rc{1, 1}), sumSquaresCase(rc{33, 35}, rc{3, 7}), sumSquaresCase(rc{3, 2053}))
}

// gemmReLUCase checks c = max(a·b + bias, 0), the ReLU layers' forward
// epilogue; the biases are small so that both sides of 0 occur.
func gemmReLUCase(m, n, k int) Case {
	return Case{Kernel: "gemm_bias_relu", Shape: fmt.Sprintf("%d×%d×%d", m, n, k), Tol: SumTol(k), run: func(o *opencl.Ops, rng *rand.Rand) ([]float64, []float64, error) {
		a, b, bias := randn(rng, m*k, 1), randn(rng, k*n, 1), randn(rng, m, 0.5)
		want := make([]float64, m*n)
		cpuref.Gemm(blas.NoTrans, blas.NoTrans, 1, general(widen(a), m, k), general(widen(b), k, n), 0, general(want, m, n))
		cpuref.BiasReLU(general(want, m, n), widen(bias), general(want, m, n))
		got, err := onDevice(o, [][]float32{a, b, bias, nan(m * n)}, 3, func(bufs []*device.Buffer) error {
			return o.GemmBias(opencl.BiasReLU, opencl.Mat{Buf: bufs[0], Rows: m, Cols: k}, opencl.Mat{Buf: bufs[1], Rows: k, Cols: n}, bufs[2], opencl.Mat{Buf: bufs[3], Rows: m, Cols: n})
		})
		return got, want, err
	}}
}

// reluOutput returns n values as a ReLU layer gives them: about a third
// exactly 0 (where the derivative is taken as 0), the rest positive.
func reluOutput(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		if rng.IntN(3) > 0 {
			v[i] = float32(rng.Float64() + 1e-3)
		}
	}
	return v
}

// gemmReLUBackwardCase checks c = (wᵀ·dz) where t > 0, else 0, with w k×m,
// dz k×n and t a ReLU output with exact zeros.
func gemmReLUBackwardCase(m, n, k int) Case {
	return Case{Kernel: "gemm_relu_backward", Shape: fmt.Sprintf("%d×%d×%d", m, n, k), Tol: SumTol(k), run: func(o *opencl.Ops, rng *rand.Rand) ([]float64, []float64, error) {
		w, dz, act := randn(rng, k*m, 1), randn(rng, k*n, 1), reluOutput(rng, m*n)
		want := make([]float64, m*n)
		cpuref.Gemm(blas.Trans, blas.NoTrans, 1, general(widen(w), k, m), general(widen(dz), k, n), 0, general(want, m, n))
		cpuref.ReLUBackward(general(want, m, n), general(widen(act), m, n), general(want, m, n))
		got, err := onDevice(o, [][]float32{w, dz, act, nan(m * n)}, 3, func(bufs []*device.Buffer) error {
			return o.GemmReLUBackward(opencl.Mat{Buf: bufs[0], Rows: k, Cols: m}, opencl.Mat{Buf: bufs[1], Rows: k, Cols: n}, opencl.Mat{Buf: bufs[2], Rows: m, Cols: n}, opencl.Mat{Buf: bufs[3], Rows: m, Cols: n})
		})
		return got, want, err
	}}
}

func biasReLUCase(rows, cols int) Case {
	return Case{Kernel: "bias_relu", Shape: fmt.Sprintf("%d×%d", rows, cols), Tol: TolElementwise, run: func(o *opencl.Ops, rng *rand.Rand) ([]float64, []float64, error) {
		z, bias := randn(rng, rows*cols, 1), randn(rng, rows, 0.5)
		want := make([]float64, rows*cols)
		cpuref.BiasReLU(general(widen(z), rows, cols), widen(bias), general(want, rows, cols))
		got, err := onDevice(o, [][]float32{z, bias, nan(rows * cols)}, 2, func(bufs []*device.Buffer) error {
			return o.BiasReLU(opencl.Mat{Buf: bufs[0], Rows: rows, Cols: cols}, bufs[1], opencl.Mat{Buf: bufs[2], Rows: rows, Cols: cols})
		})
		return got, want, err
	}}
}

// reluBackwardCase checks out = da where a > 0, else 0, with exact zeros in
// a; it runs in place (out = da), as the unfused step runs it.
func reluBackwardCase(rows, cols int) Case {
	return Case{Kernel: "relu_backward", Shape: fmt.Sprintf("%d×%d", rows, cols), Tol: TolElementwise, run: func(o *opencl.Ops, rng *rand.Rand) ([]float64, []float64, error) {
		n := rows * cols
		da, a := randn(rng, n, 1), reluOutput(rng, n)
		want := make([]float64, n)
		cpuref.ReLUBackward(general(widen(da), rows, cols), general(widen(a), rows, cols), general(want, rows, cols))
		got, err := onDevice(o, [][]float32{da, a}, 0, func(bufs []*device.Buffer) error {
			m := func(i int) opencl.Mat { return opencl.Mat{Buf: bufs[i], Rows: rows, Cols: cols} }
			return o.ReLUBackward(m(0), m(1), m(0))
		})
		return got, want, err
	}}
}

// oneHot returns rows×cols one-hot columns of random classes.
func oneHot(rng *rand.Rand, rows, cols int) []float32 {
	y := make([]float32, rows*cols)
	for j := range cols {
		y[rng.IntN(rows)*cols+j] = 1
	}
	return y
}

// tolSoftmax is the tolerance of the softmax kernels: each output is an
// exponential over a sum of K of them (Oclgrind's exp, less exact than
// PoCL's, lands at 2.3e-6 on a 2×1 case).
const tolSoftmax = 10 * TolElementwise

// softmaxCase checks bias_softmax (out = softmax(z + bias) by columns) or
// softmax_sub (out = softmax(z + bias) − y) on logits of spread scale; 40
// overflows e^z in float32 unless the column's largest value is taken out.
func softmaxCase(name string, rows, cols int, scale float64) Case {
	return Case{Kernel: name, Shape: fmt.Sprintf("%d×%d |z|~%g", rows, cols, scale), Tol: tolSoftmax, run: func(o *opencl.Ops, rng *rand.Rand) ([]float64, []float64, error) {
		n := rows * cols
		z, bias, y := randn(rng, n, scale), randn(rng, rows, 1), oneHot(rng, rows, cols)
		want := make([]float64, n)
		cpuref.BiasSoftmax(general(widen(z), rows, cols), widen(bias), general(want, rows, cols))
		got, err := onDevice(o, [][]float32{z, bias, y, nan(n)}, 3, func(bufs []*device.Buffer) error {
			m := func(i int) opencl.Mat { return opencl.Mat{Buf: bufs[i], Rows: rows, Cols: cols} }
			if name == "softmax_sub" {
				return o.SoftmaxSub(m(0), bufs[1], m(2), m(3))
			}
			return o.BiasSoftmax(m(0), bufs[1], m(3))
		})
		if name == "softmax_sub" && err == nil {
			// softmax_sub's A − Y cancels where A is near 1, so that float32's
			// rounding of A, relative to A, grows without bound relative to
			// A − Y; compare A = out + Y instead (exact in float64), which
			// still fails an output that is unwritten (NaN) or lacks − Y.
			for i := range got {
				got[i] += float64(y[i])
			}
		}
		return got, want, err
	}}
}

// softmaxCostCase checks the categorical cross-entropy and the accuracy of
// K×m logits of spread scale against one-hot labels.
func softmaxCostCase(k, m int, scale float64) Case {
	return Case{Kernel: "softmax_cost", Shape: fmt.Sprintf("%d×%d |z|~%g", k, m, scale), Tol: SumTol(m * k), run: func(o *opencl.Ops, rng *rand.Rand) ([]float64, []float64, error) {
		z, bias, y := randn(rng, k*m, scale), randn(rng, k, 1), oneHot(rng, k, m)
		// The logits plus bias as the device adds them, in float32, so that
		// a near tie picks the same class on both sides.
		zb := make([]float64, k*m)
		for i := range k {
			for j := range m {
				zb[i*m+j] = float64(z[i*m+j] + bias[i])
			}
		}
		right := 0
		for j := range m {
			best, label := 0, 0
			for i := 1; i < k; i++ {
				if zb[i*m+j] > zb[best*m+j] {
					best = i
				}
				if y[i*m+j] > y[label*m+j] {
					label = i
				}
			}
			if best == label {
				right++
			}
		}
		want := []float64{cpuref.SoftmaxCost(general(zb, k, m), general(widen(y), k, m)), float64(right) / float64(m)}
		got, err := onDevice(o, [][]float32{z, bias, y, nan(2)}, 3, func(bufs []*device.Buffer) error {
			return o.SoftmaxCost(opencl.Mat{Buf: bufs[0], Rows: k, Cols: m}, bufs[1], opencl.Mat{Buf: bufs[2], Rows: k, Cols: m}, bufs[3])
		})
		return got, want, err
	}}
}

// sgdL2Case checks w −= lr·(g + l2·w).
func sgdL2Case(n int) Case {
	return Case{Kernel: "sgd_l2", Shape: fmt.Sprint(n), Tol: TolElementwise, run: func(o *opencl.Ops, rng *rand.Rand) ([]float64, []float64, error) {
		const lr, l2 = float32(0.7), float32(0.03)
		w, g := randn(rng, n, 1), randn(rng, n, 1)
		want, gw := widen(w), widen(g)
		cpuref.AddScaled(gw, want, float64(l2))
		cpuref.SGDVec(want, gw, float64(lr))
		got, err := onDevice(o, [][]float32{w, g}, 0, func(bufs []*device.Buffer) error {
			return o.SGDL2(bufs[0], bufs[1], n, lr, l2)
		})
		return got, want, err
	}}
}

// readAll reads back each buffer's first n values, concatenated.
func readAll(n int, bufs ...*device.Buffer) ([]float64, error) {
	var out []float64
	for _, b := range bufs {
		v := make([]float32, n)
		if err := b.Read(v); err != nil {
			return nil, err
		}
		out = append(out, widen(v)...)
	}
	return out, nil
}

// momentumCase checks one momentum update, the L2 term l2·w folded in,
// comparing w and v.
func momentumCase(n int, l2 float32) Case {
	return Case{Kernel: "momentum", Shape: fmt.Sprintf("%d l2=%g", n, l2), Tol: TolElementwise, run: func(o *opencl.Ops, rng *rand.Rand) ([]float64, []float64, error) {
		const lr, mu = float32(0.1), float32(0.9)
		w, g, v := randn(rng, n, 1), randn(rng, n, 1), randn(rng, n, 1)
		ww, gw, vw := widen(w), widen(g), widen(v)
		cpuref.AddScaled(gw, ww, float64(l2))
		cpuref.Momentum(ww, gw, vw, float64(lr), float64(mu))
		bufs, release, err := upload(o.Context(), [][]float32{w, g, v})
		defer release()
		if err != nil {
			return nil, nil, err
		}
		if err := o.Momentum(bufs[0], bufs[1], bufs[2], n, lr, mu, l2); err != nil {
			return nil, nil, err
		}
		got, err := readAll(n, bufs[0], bufs[2])
		return got, append(ww, vw...), err
	}}
}

// adamCase checks Adam's update at step t from moments as a run leaves them
// (m of either sign, v ≥ 0), the L2 term folded in, comparing w, m and v.
func adamCase(n, t int, l2 float64) Case {
	return Case{Kernel: "adam", Shape: fmt.Sprintf("%d t=%d l2=%g", n, t, l2), Tol: TolElementwise, run: func(o *opencl.Ops, rng *rand.Rand) ([]float64, []float64, error) {
		s := opencl.AdamStep{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, L2: l2, T: t}
		w, g, m, v := randn(rng, n, 1), randn(rng, n, 1), randn(rng, n, 0.1), randn(rng, n, 0.1)
		for i := range v {
			v[i] *= v[i]
		}
		if t == 1 { // a fresh start
			clear(m)
			clear(v)
		}
		ww, gw, mw, vw := widen(w), widen(g), widen(m), widen(v)
		cpuref.AddScaled(gw, ww, float64(float32(l2)))
		cpuref.Adam(ww, gw, mw, vw, s.LR, s.Beta1, s.Beta2, s.Eps, t)
		bufs, release, err := upload(o.Context(), [][]float32{w, g, m, v})
		defer release()
		if err != nil {
			return nil, nil, err
		}
		if err := o.Adam(bufs[0], bufs[1], bufs[2], bufs[3], n, s); err != nil {
			return nil, nil, err
		}
		got, err := readAll(n, bufs[0], bufs[2], bufs[3])
		return got, append(append(ww, mw...), vw...), err
	}}
}

// sumSquaresCase checks out[0] += scale·Σ_l Σ w_l² over matrices of the
// given shapes, out[0] starting at a cost.
func sumSquaresCase(shapes ...struct{ r, c int }) Case {
	name, total := "", 0
	for i, s := range shapes {
		if i > 0 {
			name += " + "
		}
		name += fmt.Sprintf("%d×%d", s.r, s.c)
		total += s.r * s.c
	}
	return Case{Kernel: "sum_squares", Shape: name, Tol: SumTol(total), run: func(o *opencl.Ops, rng *rand.Rand) ([]float64, []float64, error) {
		const cost, scale = float32(0.75), float32(0.01)
		host := [][]float32{{cost, float32(math.NaN())}}
		var sq float64
		for _, s := range shapes {
			w := randn(rng, s.r*s.c, 1)
			sq += cpuref.SumSquares(w)
			host = append(host, w)
		}
		want := []float64{float64(cost) + float64(scale)*sq}
		bufs, release, err := upload(o.Context(), host)
		defer release()
		if err != nil {
			return nil, nil, err
		}
		ws := make([]opencl.Mat, len(shapes))
		for i, s := range shapes {
			ws[i] = opencl.Mat{Buf: bufs[i+1], Rows: s.r, Cols: s.c}
		}
		if err := o.AddSumSquares(ws, scale, bufs[0]); err != nil {
			return nil, nil, err
		}
		got, err := readAll(2, bufs[0])
		if err != nil {
			return nil, nil, err
		}
		return got[:1], want, nil
	}}
}
