package opencl

import (
	"fmt"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/engine"
)

// fused reports whether Steps runs in one launch: a network of one tanh
// hidden layer small enough for the tiny_train kernel, with the sigmoid
// output, trained full-batch by plain gradient descent without L2 (the
// only model tiny_train knows).
func (o *Backend) fused() bool {
	m := o.model
	course := m.Hidden == engine.Tanh && m.Output == engine.Sigmoid && m.Optimizer == engine.SGD && m.L2 == 0
	return course && !o.shuffled && !o.NoFusion && len(o.sizes) == 3 && TinyFits(o.sizes[0], o.sizes[1])
}

// tinyWG returns the work-group size of the fused kernel: on a CPU device
// one work-item (a work-group runs on one core anyway, the work-item walks the
// columns in vectors, and there is no sum over the group to pay for), on a
// GPU a full group.
func (o *Backend) tinyWG() int {
	wg := o.TinyWG
	if wg <= 0 {
		wg = 256
		if o.ctx.Device.Type == device.CPU {
			wg = 1
		}
	}
	vw := TinyVector(o.ctx.Device)
	return max(1, min(wg, o.ctx.Device.MaxWorkGroupSize, (o.m+vw-1)/vw))
}

// Steps runs n full-batch iterations: in one launch when the network is
// small enough, else as a loop of Step. It waits for the device only when a
// step is evaluated.
func (o *Backend) Steps(first, n int, lr float64, logEvery int) ([]engine.Eval, error) {
	if o.shuffled {
		return nil, fmt.Errorf("steps: full-batch runs need the natural example order")
	}
	if !o.fused() {
		return engine.StepEach(o, o.m, first, n, lr, logEvery)
	}
	logged := Evaluated(first, n, logEvery)
	if o.tinyEvals == nil || o.tinyEvals.Len() < 2*logged {
		o.tinyEvals.Release()
		var err error
		if o.tinyEvals, err = o.ctx.NewBuffer(max(2*logged, 256)); err != nil {
			return nil, fmt.Errorf("allocate evaluations: %w", err)
		}
	}
	err := o.ops.TinyTrain(o.x, o.y, o.w[0], o.b[0], o.w[1], o.b[1], first, n, logEvery, float32(lr), o.tinyWG(), o.tinyEvals)
	if err != nil {
		return nil, err
	}
	o.steps += max(n, 0)
	if logged == 0 {
		return nil, nil
	}
	v := make([]float32, 2*logged)
	if err := o.tinyEvals.Read(v); err != nil {
		return nil, fmt.Errorf("read costs: %w", err)
	}
	evals := make([]engine.Eval, logged)
	for i := range evals {
		evals[i] = engine.Eval{Cost: shortest(v[2*i]), Accuracy: fraction(float64(v[2*i+1]), o.m)}
	}
	return evals, nil
}
