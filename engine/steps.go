package engine

import (
	"fmt"

	"github.com/cltrain/cltrain/kernels"
)

// Steps runs n full-batch iterations, one Step each.
func (c *CPU) Steps(first, n int, lr float64, logEvery int) ([]Eval, error) {
	if c.order != nil {
		return nil, fmt.Errorf("steps: full-batch runs need the natural example order")
	}
	_, m := c.x.Dims()
	return stepEach(c, m, first, n, lr, logEvery)
}

// fused reports whether Steps runs in one launch: a network of one hidden
// layer small enough for the tiny_train kernel, trained full-batch.
func (o *OpenCL) fused() bool {
	return !o.shuffled && !o.NoFusion && len(o.sizes) == 3 && kernels.TinyFits(o.sizes[0], o.sizes[1])
}

// tinyWG returns the work-group size of the fused kernel: on a CPU device
// one work-item (a work-group runs on one core anyway, the work-item walks the
// columns in vectors, and there is no sum over the group to pay for), on a
// GPU a full group.
func (o *OpenCL) tinyWG() int {
	wg := o.TinyWG
	if wg <= 0 {
		wg = 256
		if o.ctx.Device.Type == "CPU" {
			wg = 1
		}
	}
	vw := kernels.TinyVector(o.ctx.Device)
	return max(1, min(wg, o.ctx.Device.MaxWorkGroupSize, (o.m+vw-1)/vw))
}

// Steps runs n full-batch iterations: in one launch when the network is
// small enough, else as a loop of Step. It waits for the device only when a
// step is evaluated.
func (o *OpenCL) Steps(first, n int, lr float64, logEvery int) ([]Eval, error) {
	if o.shuffled {
		return nil, fmt.Errorf("steps: full-batch runs need the natural example order")
	}
	if !o.fused() {
		return stepEach(o, o.m, first, n, lr, logEvery)
	}
	logged := kernels.Evaluated(first, n, logEvery)
	if o.tinyEvals == nil || o.tinyEvals.Len() < 2*logged {
		o.tinyEvals.Release()
		var err error
		if o.tinyEvals, err = o.ctx.NewBuffer(max(2*logged, 256)); err != nil {
			return nil, fmt.Errorf("allocate evaluations: %w", err)
		}
	}
	err := o.ops.TinyTrain(o.x, o.y, o.w[0], o.b[0], o.w[1], o.b[1], first, n, logEvery, float32(lr), o.tinyWG(), o.tinyEvals)
	if err != nil || logged == 0 {
		return nil, err
	}
	v := make([]float32, 2*logged)
	if err := o.tinyEvals.Read(v); err != nil {
		return nil, fmt.Errorf("read costs: %w", err)
	}
	evals := make([]Eval, logged)
	for i := range evals {
		evals[i] = Eval{Cost: shortest(v[2*i]), Accuracy: fraction(v[2*i+1], o.m)}
	}
	return evals, nil
}
