package opencl_test

import (
	"math/rand/v2"
	"testing"

	"github.com/cltrain/cltrain/engine"
	"github.com/cltrain/cltrain/engine/backendtest"
	"github.com/cltrain/cltrain/engine/opencl"
	"github.com/cltrain/cltrain/internal/cltest"
)

// BenchmarkStepKinds times one full-batch training step (no evaluation) of
// a 784-256-K network on 8192 examples for each model kind, against the
// course's tanh/sigmoid/SGD (whose update is fused into the dW GEMM), for
// example BenchmarkStepKinds/relu-sigmoid-sgd. Each step is waited for.
func BenchmarkStepKinds(b *testing.B) {
	const nx, nh, m = 784, 256, 8192
	for _, k := range []struct {
		name      string
		hidden    engine.Activation
		output    engine.Output
		optimizer engine.Optimizer
		l2        float64
	}{
		{"tanh-sigmoid-sgd", engine.Tanh, engine.Sigmoid, engine.SGD, 0},
		{"relu-sigmoid-sgd", engine.ReLU, engine.Sigmoid, engine.SGD, 0},
		{"tanh-sigmoid-momentum", engine.Tanh, engine.Sigmoid, engine.Momentum, 0},
		{"tanh-sigmoid-adam", engine.Tanh, engine.Sigmoid, engine.Adam, 0},
		{"tanh-sigmoid-sgd-l2", engine.Tanh, engine.Sigmoid, engine.SGD, 0.1},
		{"tanh-softmax10-sgd", engine.Tanh, engine.Softmax, engine.SGD, 0},
		{"relu-softmax10-adam", engine.ReLU, engine.Softmax, engine.Adam, 0},
	} {
		b.Run(k.name, func(b *testing.B) {
			out := 1
			if k.output == engine.Softmax {
				out = 10
			}
			model := engine.Model{Sizes: []int{nx, nh, out}, Hidden: k.hidden, Output: k.output, Optimizer: k.optimizer, Hyper: engine.DefaultHyper, L2: k.l2}
			rng := rand.New(rand.NewPCG(1, 1))
			x, y := backendtest.Problem(rng, nx, m)
			if out > 1 {
				x, y = backendtest.ProblemK(rng, nx, m, out)
			}
			p, err := model.Init(engine.He, rng)
			if err != nil {
				b.Fatal(err)
			}
			be, err := opencl.New(cltest.Device(b), opencl.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer be.Close()
			if err := be.Load(model, x, y, p); err != nil {
				b.Fatal(err)
			}
			if err := be.Prepare(0); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := be.Step(engine.Batch{Offset: 0, Size: m}, 0.001, false); err != nil {
					b.Fatal(err)
				}
				if err := be.Sync(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
