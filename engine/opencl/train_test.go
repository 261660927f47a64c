package opencl

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/engine"
	"github.com/cltrain/cltrain/engine/backendtest"
	"github.com/cltrain/cltrain/internal/cltest"
)

// trainKind is a model of the kinds beyond tanh/sigmoid/SGD, for the tests
// of this file.
type trainKind struct {
	name  string
	model engine.Model
	lr    float64
}

// kindOf returns the model of the given sizes and kinds, with the default
// Hyper.
func kindOf(name string, sizes []int, h engine.Activation, out engine.Output, opt engine.Optimizer, l2, lr float64) trainKind {
	return trainKind{name, engine.Model{Sizes: sizes, Hidden: h, Output: out, Optimizer: opt, Hyper: engine.DefaultHyper, L2: l2}, lr}
}

// trainKinds cover each hidden activation, output and optimizer, L2, and
// one and two hidden layers.
var trainKinds = []trainKind{
	kindOf("relu-sigmoid-sgd", []int{5, 7, 1}, engine.ReLU, engine.Sigmoid, engine.SGD, 0, 0.5),
	kindOf("tanh-softmax10-sgd", []int{6, 12, 10}, engine.Tanh, engine.Softmax, engine.SGD, 0, 0.5),
	kindOf("relu-softmax4-momentum", []int{5, 8, 4}, engine.ReLU, engine.Softmax, engine.Momentum, 0, 0.1),
	kindOf("tanh-sigmoid-sgd-l2", []int{5, 7, 1}, engine.Tanh, engine.Sigmoid, engine.SGD, 1, 0.5),
	kindOf("relu-softmax3-adam-l2-3layer", []int{4, 9, 6, 3}, engine.ReLU, engine.Softmax, engine.Adam, 0.3, 0.01),
}

// problemFor returns a problem of m examples for model: two classes for
// the sigmoid output, K for the softmax.
func problemFor(rng *rand.Rand, model engine.Model, m int) (x, y *mat.Dense) {
	if model.Output == engine.Softmax {
		return backendtest.ProblemK(rng, model.Sizes[0], m, model.Sizes[len(model.Sizes)-1])
	}
	return backendtest.Problem(rng, model.Sizes[0], m)
}

// newLoaded opens a backend on the test device, loads model, x, y and p,
// and closes it when the test ends.
func newLoaded(t *testing.T, noFusion bool, model engine.Model, x, y *mat.Dense, p engine.Params) *Backend {
	t.Helper()
	b, err := New(cltest.Device(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	b.NoFusion = noFusion
	if err := b.Load(model, x, y, p); err != nil {
		t.Fatal(err)
	}
	return b
}

// relErr returns ‖got − want‖/‖want‖.
func relErr(got, want []float64) float64 {
	var d, r float64
	for i := range want {
		d += (got[i] - want[i]) * (got[i] - want[i])
		r += want[i] * want[i]
	}
	if len(got) != len(want) {
		return math.Inf(1)
	}
	return math.Sqrt(d / r)
}

// TestGradientBuffersMatchReference checks the gradients the unfused pass
// stores (those Parallel sums) against the float64 CPU backend's, layer by
// layer within float32 rounding: the reference gradient is W − W' after
// one of its SGD steps at a learning rate of 1.
func TestGradientBuffersMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	const m = 83
	for _, k := range trainKinds {
		if k.model.L2 != 0 { // the stored gradients leave L2 to the update
			continue
		}
		t.Run(k.name, func(t *testing.T) {
			x, y := problemFor(rng, k.model, m)
			p := backendtest.Params(t, rng, k.model.Sizes)
			ref := engine.NewCPU()
			sgd := k.model
			sgd.Optimizer = engine.SGD
			if err := ref.Load(sgd, x, y, p); err != nil {
				t.Fatal(err)
			}
			if _, err := ref.Step(engine.Batch{Offset: 0, Size: m}, 1, false); err != nil {
				t.Fatal(err)
			}
			q, _ := ref.Params()

			b := newLoaded(t, true, k.model, x, y, p)
			if err := b.gradients(b.x, b.y, 1/float32(m), false, true); err != nil {
				t.Fatal(err)
			}
			n := 0
			for l := range p.W {
				n += p.W[l].RawMatrix().Rows*p.W[l].RawMatrix().Cols + p.B[l].RawMatrix().Rows
			}
			got := make([]float32, n)
			if err := b.readGradients(got); err != nil {
				t.Fatal(err)
			}
			at := 0
			for l := range p.W {
				for i, pair := range [][2]*mat.Dense{{p.W[l], q.W[l]}, {p.B[l], q.B[l]}} {
					before, after := pair[0].RawMatrix().Data, pair[1].RawMatrix().Data
					want := make([]float64, len(before))
					for j := range want {
						want[j] = before[j] - after[j]
					}
					g := make([]float64, len(want))
					for j := range g {
						g[j] = float64(got[at+j])
					}
					at += len(want)
					if e := relErr(g, want); !(e <= 1e-5) {
						t.Errorf("d%s%d off by %.3g", [2]string{"W", "b"}[i], l+1, e)
					}
				}
			}
		})
	}
}

// TestFusedMatchesUnfused runs every kind fused and with one kernel per op,
// full-batch and on mini-batches: the costs of 20 steps agree within 1e-5
// and the parameters and optimizer state within 1e-4.
func TestFusedMatchesUnfused(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 12))
	const m, iters = 101, 20
	for _, k := range trainKinds {
		for _, batch := range []int{0, 32} {
			t.Run(fmt.Sprintf("%s/batch%d", k.name, batch), func(t *testing.T) {
				x, y := problemFor(rng, k.model, m)
				p := backendtest.Params(t, rng, k.model.Sizes)
				seed := rng.Uint64()
				run := func(noFusion bool) engine.Result {
					shuffle := rand.New(rand.NewPCG(seed, 0))
					b := newLoaded(t, noFusion, k.model, x, y, p)
					cfg := engine.Config{Iters: iters, LR: k.lr, Batch: batch, LogEvery: 1, Shuffle: func(m int) []int { return shuffle.Perm(m) }}
					res, err := engine.Train(t.Context(), b, m, cfg, engine.Hooks{})
					if err != nil {
						t.Fatal(err)
					}
					return res
				}
				fused, unfused := run(false), run(true)
				for i, r := range fused.Records {
					if !scalar.EqualWithinRel(r.Cost, unfused.Records[i].Cost, 1e-5) {
						t.Fatalf("step %d: cost %.9g fused, %.9g unfused", r.Step, r.Cost, unfused.Records[i].Cost)
					}
				}
				fp, up := fused.Params, unfused.Params
				if fp.Opt.Steps != iters || up.Opt.Steps != iters {
					t.Errorf("optimizer steps %d fused, %d unfused, want %d", fp.Opt.Steps, up.Opt.Steps, iters)
				}
				sets := [][2]engine.Params{{fp, up}}
				for s := range fp.Opt.Slots {
					sets = append(sets, [2]engine.Params{fp.Opt.Slots[s], up.Opt.Slots[s]})
				}
				for s, pair := range sets {
					for l := range pair[0].W {
						if e := relErr(pair[0].W[l].RawMatrix().Data, pair[1].W[l].RawMatrix().Data); !(e <= 1e-4) {
							t.Errorf("tensor %d (0: parameters) W%d: fused and unfused differ by %.3g", s, l+1, e)
						}
					}
				}
			})
		}
	}
}

// TestPrepareKeepsState checks that Prepare, whose step at a learning rate
// of 0 moves an optimizer's state, puts the state and its step count back
// and keeps the parameters, bit for bit, for Momentum and Adam, fused and
// unfused, full-batch and mini-batch.
func TestPrepareKeepsState(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	for _, k := range []trainKind{trainKinds[2], trainKinds[4]} {
		x, y := problemFor(rng, k.model, 37)
		p := backendtest.Params(t, rng, k.model.Sizes)
		p.Opt.Steps = 5
		for range k.model.Optimizer.Slots() {
			s := backendtest.Params(t, rng, k.model.Sizes)
			for l := range s.W {
				s.W[l].MulElem(s.W[l], s.W[l]) // Adam's second moments are not negative
			}
			p.Opt.Slots = append(p.Opt.Slots, s)
		}
		for _, noFusion := range []bool{false, true} {
			for _, batch := range []int{0, 7} {
				t.Run(fmt.Sprintf("%s/nofusion=%v/batch%d", k.name, noFusion, batch), func(t *testing.T) {
					b := newLoaded(t, noFusion, k.model, x, y, p)
					want, err := b.Params()
					if err != nil {
						t.Fatal(err)
					}
					if err := b.Prepare(batch); err != nil {
						t.Fatal(err)
					}
					got, err := b.Params()
					if err != nil {
						t.Fatal(err)
					}
					if got.Opt.Steps != want.Opt.Steps {
						t.Errorf("step %d after Prepare, %d before", got.Opt.Steps, want.Opt.Steps)
					}
					sets := [][2]engine.Params{{got, want}}
					for s := range want.Opt.Slots {
						sets = append(sets, [2]engine.Params{got.Opt.Slots[s], want.Opt.Slots[s]})
					}
					for s, pair := range sets {
						for l := range pair[1].W {
							if !mat.Equal(pair[0].W[l], pair[1].W[l]) || !mat.Equal(pair[0].B[l], pair[1].B[l]) {
								t.Errorf("tensor %d (0: parameters) of layer %d changed in Prepare", s, l+1)
							}
						}
					}
				})
			}
		}
	}
}

// TestTinyTrainOnlyForTheCourseModel checks that Steps takes the one-launch
// kernel, which knows only tanh/sigmoid/SGD without L2, for that model
// alone.
func TestTinyTrainOnlyForTheCourseModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 14))
	course := engine.NewModel(2, 4)
	for _, tc := range []struct {
		change func(*engine.Model)
		want   bool
	}{
		{func(*engine.Model) {}, true},
		{func(m *engine.Model) { m.Hidden = engine.ReLU }, false},
		{func(m *engine.Model) { m.Output, m.Sizes[2] = engine.Softmax, 3 }, false},
		{func(m *engine.Model) { m.Optimizer = engine.Momentum }, false},
		{func(m *engine.Model) { m.Optimizer = engine.Adam }, false},
		{func(m *engine.Model) { m.L2 = 0.1 }, false},
	} {
		model := course
		model.Sizes = []int{2, 4, 1}
		tc.change(&model)
		x, y := problemFor(rng, model, 40)
		b := newLoaded(t, false, model, x, y, backendtest.Params(t, rng, model.Sizes))
		if got := b.fused(); got != tc.want {
			t.Errorf("%v: one-launch training %v, want %v", model, got, tc.want)
		}
	}
}

// TestParallelKinds trains ReLU + softmax with Adam and L2 on two PoCL
// devices and on one: the costs of 20 steps (with the L2 penalty counted
// once) agree within float32 rounding, full-batch and on mini-batches, and
// the replicas hold the same parameters.
func TestParallelKinds(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		needPoCL(t)
		runChild(t, "TestParallelKinds", twoPoCL...)
		return
	}
	devs := parallelDevices(t)
	rng := rand.New(rand.NewPCG(15, 15))
	k := trainKinds[4]
	x, y := problemFor(rng, k.model, 120)
	p := backendtest.Params(t, rng, k.model.Sizes)
	for _, batch := range []int{0, 32} {
		run := func(b engine.Backend) engine.Result {
			shuffle := rand.New(rand.NewPCG(3, 3))
			cfg := engine.Config{Iters: 20, LR: k.lr, Batch: batch, LogEvery: 1, Shuffle: func(m int) []int { return shuffle.Perm(m) }}
			res, err := engine.Fit(t.Context(), b, k.model, x, y, p, cfg, engine.Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		one, err := New(devs[0], Options{})
		if err != nil {
			t.Fatal(err)
		}
		one.NoFusion = true
		want := run(one)
		one.Close()
		par, err := NewParallel(devs, Options{})
		if err != nil {
			t.Fatal(err)
		}
		par.even = true
		got := run(par)
		compareRuns(t, got, want)
		sameReplicas(t, par)
		if got.Params.Opt.Steps != 20 || len(got.Params.Opt.Slots) != 2 {
			t.Errorf("batch %d: state of step %d with %d tensors, want 20 and 2", batch, got.Params.Opt.Steps, len(got.Params.Opt.Slots))
		}
		par.Close()
	}
}
