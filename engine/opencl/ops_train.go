package opencl

import (
	"fmt"
	"math"

	"github.com/cltrain/cltrain/device"
)

// The launchers of the model kinds beyond tanh/sigmoid/SGD: ReLU hidden
// layers (kernels/relu.cl and GEMM epilogues 5 and 6), the softmax output
// (kernels/softmax.cl), and the optimizers with the L2 penalty
// (kernels/optim.cl).

// GemmReLUBackward computes c = (wᵀ·dz) where t > 0, else 0: the gradient of
// a ReLU layer's pre-activation from the next layer's, t being the layer's
// output (so ReLU's derivative at 0 is 0).
func (o *Ops) GemmReLUBackward(w, dz, t, c Mat) error {
	if t.Rows != c.Rows || t.Cols != c.Cols {
		return fmt.Errorf("gemm relu-backward: C %s and activations %s differ", c, t)
	}
	return o.runGemm(gemmCall{ep: ReLUBackward, tA: true, alpha: 1, a: w, b: dz, c: c, aux: t.Buf})
}

// BiasReLU computes out = max(z + bias, 0) with one bias value per row.
func (o *Ops) BiasReLU(z Mat, bias *device.Buffer, out Mat) error {
	if z.Rows != out.Rows || z.Cols != out.Cols || bias == nil || bias.Len() < z.Rows {
		return fmt.Errorf("bias_relu: z %s, out %s and a bias of %d rows do not match", z, out, z.Rows)
	}
	k, err := o.kernel("bias_relu", "bias_relu", nil, "relu.cl")
	if err != nil {
		return err
	}
	return o.launch(k, []int{z.Cols, z.Rows}, nil, int32(z.Rows), int32(z.Cols), z.Buf, bias, out.Buf)
}

// ReLUBackward computes out = da where a > 0 and 0 elsewhere, a being the
// ReLU's output. out may be da.
func (o *Ops) ReLUBackward(da, a, out Mat) error {
	if da.Rows != a.Rows || da.Cols != a.Cols || da.Rows != out.Rows || da.Cols != out.Cols {
		return fmt.Errorf("relu_backward: shapes %s, %s, %s differ", da, a, out)
	}
	k, err := o.kernel("relu_backward", "relu_backward", nil, "relu.cl")
	if err != nil {
		return err
	}
	return o.launch(k, []int{da.Len()}, nil, int32(da.Len()), da.Buf, a.Buf, out.Buf)
}

// BiasSoftmax computes each column of out as the softmax of that column of
// z + bias (bias one value per row), the largest value subtracted first.
// out may be z.
func (o *Ops) BiasSoftmax(z Mat, bias *device.Buffer, out Mat) error {
	if z.Rows != out.Rows || z.Cols != out.Cols || bias == nil || bias.Len() < z.Rows {
		return fmt.Errorf("bias_softmax: z %s, out %s and a bias of %d rows do not match", z, out, z.Rows)
	}
	k, err := o.kernel("bias_softmax", "bias_softmax", nil, "softmax.cl")
	if err != nil {
		return err
	}
	return o.launch(k, []int{z.Cols}, nil, int32(z.Rows), int32(z.Cols), z.Buf, bias, out.Buf)
}

// SoftmaxSub computes out = softmax(z + bias) − y column by column: the
// softmax output layer's gradient dZ = A − Y from its logits z (without
// bias), without storing A. out may be z.
func (o *Ops) SoftmaxSub(z Mat, bias *device.Buffer, y, out Mat) error {
	if z.Rows != out.Rows || z.Cols != out.Cols || y.Rows != z.Rows || y.Cols != z.Cols || bias == nil || bias.Len() < z.Rows {
		return fmt.Errorf("softmax_sub: z %s, y %s, out %s and a bias of %d rows do not match", z, y, out, z.Rows)
	}
	k, err := o.kernel("softmax_sub", "softmax_sub", nil, "softmax.cl")
	if err != nil {
		return err
	}
	return o.launch(k, []int{z.Cols}, nil, int32(z.Rows), int32(z.Cols), z.Buf, bias, y.Buf, out.Buf)
}

// trainReduceMin is the fewest columns (or values) per work-item that a
// reduction of ops_train.go gives each work-group, so that a work-group's
// start and its final sum do not cost more than its work.
const trainReduceMin = 4

// trainChunks returns the work-group size, the values per work-group and
// the number of work-groups of a reduction over n values (or columns):
// up to four work-groups per compute unit, none with fewer than
// trainReduceMin values per work-item.
func (o *Ops) trainChunks(n int) (wg, chunk, chunks int) {
	wg = o.reduceWG
	chunks = max(1, min(4*max(o.c.Device.ComputeUnits, 1), n/(wg*trainReduceMin)))
	chunk = ceilDiv(max(n, 1), chunks)
	return wg, chunk, ceilDiv(max(n, 1), chunk)
}

// SoftmaxCost writes to out[0] the categorical cross-entropy of the one-hot
// labels y (K×m) given the logits z + bias (z K×m without the bias),
// computed from the logits with the log-sum-exp, and to out[1] the
// accuracy: the fraction of columns whose largest logit (the first on a
// tie) is the labelled class. It is a two-stage reduction: work-groups
// over chunks of columns, and when there are several, a launch that adds
// their sums in order.
func (o *Ops) SoftmaxCost(z Mat, bias *device.Buffer, y Mat, out *device.Buffer) error {
	if y.Rows != z.Rows || y.Cols != z.Cols || bias == nil || bias.Len() < z.Rows || out.Len() < 2 {
		return fmt.Errorf("softmax_cost: logits %s, labels %s, a bias of %d rows and 2 outputs do not match", z, y, z.Rows)
	}
	wg, chunk, chunks := o.trainChunks(z.Cols)
	part, err := o.scratchFor(2 * chunks)
	if err != nil {
		return fmt.Errorf("softmax_cost: %w", err)
	}
	k, err := o.kernel("softmax_cost", "softmax_cost", nil, "softmax.cl")
	if err != nil {
		return err
	}
	if err := o.launch(k, []int{chunks * wg}, []int{wg}, int32(z.Rows), int32(z.Cols), int32(chunk),
		z.Buf, bias, y.Buf, out, part, device.Local(4*wg)); err != nil {
		return fmt.Errorf("softmax_cost: %w", err)
	}
	if chunks == 1 {
		return nil
	}
	fin, err := o.reduceKernel("pair_finish", o.reducePlanFor(1, 1).vw)
	if err != nil {
		return err
	}
	if err := o.launch(fin, []int{1}, nil, int32(z.Cols), int32(chunks), part, out); err != nil {
		return fmt.Errorf("pair_finish: %w", err)
	}
	return nil
}

// AddSumSquares adds scale·Σ w² over every value of the matrices ws to
// out[0]: the L2 penalty λ/(2m)·Σ‖W_l‖² added to a cost. One launch sums
// each matrix by chunks, one more adds the chunks in order.
func (o *Ops) AddSumSquares(ws []Mat, scale float32, out *device.Buffer) error {
	if out == nil || out.Len() < 1 {
		return fmt.Errorf("sum_squares: no output")
	}
	total := 0
	for _, w := range ws {
		_, _, chunks := o.trainChunks(w.Len())
		total += chunks
	}
	part, err := o.scratchFor(total)
	if err != nil {
		return fmt.Errorf("sum_squares: %w", err)
	}
	k, err := o.kernel("sum_squares", "sum_squares", nil, "optim.cl")
	if err != nil {
		return err
	}
	off := 0
	for l, w := range ws {
		if w.Buf == nil || w.Buf.Len() < w.Len() {
			return fmt.Errorf("sum_squares: matrix %d (%s) has no buffer of its size", l+1, w)
		}
		wg, chunk, chunks := o.trainChunks(w.Len())
		if err := o.launch(k, []int{chunks * wg}, []int{wg}, int32(w.Len()), int32(chunk), w.Buf, part, int32(off), device.Local(4*wg)); err != nil {
			return fmt.Errorf("sum_squares of matrix %d: %w", l+1, err)
		}
		off += chunks
	}
	fin, err := o.kernel("l2_finish", "l2_finish", nil, "optim.cl")
	if err != nil {
		return err
	}
	if err := o.launch(fin, []int{1}, nil, int32(off), scale, part, out); err != nil {
		return fmt.Errorf("l2_finish: %w", err)
	}
	return nil
}

// checkLens refuses a launch over n elements of buffers holding fewer.
func checkLens(name string, n int, bufs ...*device.Buffer) error {
	for _, b := range bufs {
		if b == nil {
			return fmt.Errorf("%s: a buffer is missing", name)
		}
		if b.Len() < n {
			return fmt.Errorf("%s: %d elements, a buffer holds %d", name, n, b.Len())
		}
	}
	return nil
}

// SGDL2 computes w −= lr·(g + l2·w) over the first n elements: plain
// gradient descent with the L2 term l2·w (λ/m) folded into the gradient.
func (o *Ops) SGDL2(w, g *device.Buffer, n int, lr, l2 float32) error {
	if err := checkLens("sgd_l2", n, w, g); err != nil {
		return err
	}
	k, err := o.kernel("sgd_l2", "sgd_l2", nil, "optim.cl")
	if err != nil {
		return err
	}
	return o.launch(k, []int{n}, nil, int32(n), lr, l2, w, g)
}

// Momentum applies SGD with momentum mu as PyTorch writes it to the first
// n elements, the L2 term l2·w folded into the gradient: v = mu·v +
// (g + l2·w), w −= lr·v.
func (o *Ops) Momentum(w, g, v *device.Buffer, n int, lr, mu, l2 float32) error {
	if err := checkLens("momentum", n, w, g, v); err != nil {
		return err
	}
	k, err := o.kernel("momentum", "momentum", nil, "optim.cl")
	if err != nil {
		return err
	}
	return o.launch(k, []int{n}, nil, int32(n), lr, mu, l2, w, g, v)
}

// AdamStep are the scalars of one Adam update: the learning rate, the
// optimizer's parameters, the L2 term's factor λ/m (0 for biases) and the
// step t, from 1.
type AdamStep struct {
	LR, Beta1, Beta2, Eps, L2 float64
	T                         int
}

// Adam applies step s.T of Adam with bias correction, as PyTorch writes it,
// to the first n elements of w with moments m and v, the L2 term folded into
// the gradient: d = g + l2·w, m = β1·m + (1−β1)·d, v = β2·v + (1−β2)·d²,
// w −= lr·m̂/(√v̂ + ε). The bias corrections are computed here in float64
// and passed as lr/(1−β1^t) and 1/√(1−β2^t).
func (o *Ops) Adam(w, g, m, v *device.Buffer, n int, s AdamStep) error {
	if err := checkLens("adam", n, w, g, m, v); err != nil {
		return err
	}
	if s.T < 1 {
		return fmt.Errorf("adam: step %d, want ≥ 1", s.T)
	}
	c1 := 1 - math.Pow(s.Beta1, float64(s.T)) // as cpuref.Adam computes them
	c2 := 1 - math.Pow(s.Beta2, float64(s.T))
	k, err := o.kernel("adam", "adam", nil, "optim.cl")
	if err != nil {
		return err
	}
	return o.launch(k, []int{n}, nil, int32(n), float32(s.LR/c1), float32(s.Beta1), float32(1-s.Beta1),
		float32(s.Beta2), float32(1-s.Beta2), float32(1/math.Sqrt(c2)), float32(s.Eps), float32(s.L2), w, g, m, v)
}
