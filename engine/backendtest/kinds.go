package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/engine"
)

// The conformance tests of the model kinds beyond the course's network:
// ReLU hidden layers, the softmax output, Momentum and Adam, and L2.

// ProblemK returns a random K-class problem with a learnable rule: the
// class of an example is the largest of k fixed random projections of its
// features, given as K×m one-hot labels.
func ProblemK(rng *rand.Rand, nx, m, k int) (x, y *mat.Dense) {
	proj := make([]float64, k*nx)
	for i := range proj {
		proj[i] = rng.NormFloat64()
	}
	x, y = mat.NewDense(nx, m, nil), mat.NewDense(k, m, nil)
	for j := range m {
		for i := range nx {
			x.Set(i, j, rng.NormFloat64())
		}
		best, bestV := 0, math.Inf(-1)
		for c := range k {
			var v float64
			for i := range nx {
				v += proj[c*nx+i] * x.At(i, j)
			}
			if v > bestV {
				best, bestV = c, v
			}
		}
		y.Set(best, j, 1)
	}
	return x, y
}

// kind is a model of the kinds tests: its layer sizes and kinds.
type kind struct {
	name      string
	sizes     []int
	hidden    engine.Activation
	output    engine.Output
	optimizer engine.Optimizer
	l2        float64
	lr        float64
}

// model returns the kind's engine.Model, with the default Hyper.
func (k kind) model() engine.Model {
	return engine.Model{Sizes: k.sizes, Hidden: k.hidden, Output: k.output, Optimizer: k.optimizer, Hyper: engine.DefaultHyper, L2: k.l2}
}

// problem returns a problem of m examples for the kind: two classes
// (Problem) for the sigmoid output, K (ProblemK) for the softmax.
func (k kind) problem(rng *rand.Rand, m int) (x, y *mat.Dense) {
	if k.output == engine.Softmax {
		return ProblemK(rng, k.sizes[0], m, k.sizes[len(k.sizes)-1])
	}
	return Problem(rng, k.sizes[0], m)
}

// kinds are the models every backend is checked on, each kind at least
// once, with one and two hidden layers, K of 3, 4 and 10.
var kinds = []kind{
	{"relu-sigmoid-sgd", []int{5, 7, 1}, engine.ReLU, engine.Sigmoid, engine.SGD, 0, 0.5},
	{"tanh-softmax3-sgd", []int{5, 8, 3}, engine.Tanh, engine.Softmax, engine.SGD, 0, 0.5},
	{"tanh-softmax10-sgd", []int{6, 12, 10}, engine.Tanh, engine.Softmax, engine.SGD, 0, 0.5},
	{"relu-softmax4-momentum", []int{5, 8, 4}, engine.ReLU, engine.Softmax, engine.Momentum, 0, 0.1},
	{"tanh-sigmoid-adam-l2", []int{5, 7, 1}, engine.Tanh, engine.Sigmoid, engine.Adam, 0.5, 0.01},
	{"tanh-sigmoid-sgd-l2", []int{5, 7, 1}, engine.Tanh, engine.Sigmoid, engine.SGD, 1, 0.5},
	{"relu-softmax3-adam-l2-3layer", []int{4, 9, 6, 3}, engine.ReLU, engine.Softmax, engine.Adam, 0.3, 0.01},
	{"tanh-softmax4-momentum-l2-3layer", []int{4, 9, 6, 4}, engine.Tanh, engine.Softmax, engine.Momentum, 0.3, 0.1},
}

// openModel opens a backend of impl, loads model, x, y and p into it, and
// closes it when the test ends.
func openModel(t *testing.T, impl Impl, model engine.Model, x, y *mat.Dense, p engine.Params) engine.Backend {
	t.Helper()
	b := impl.Open(t)
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	if err := b.Load(model, x, y, p); err != nil {
		t.Fatalf("load %v: %v", model, err)
	}
	return b
}

// kindsAgree runs 20 steps of every kind on impl and on the float64
// reference, full-batch and on shuffled mini-batches, and compares the cost
// of every step and the final parameters.
func kindsAgree(t *testing.T, impl Impl, rng *rand.Rand) {
	const m, iters = 157, 20
	for _, k := range kinds {
		for _, batch := range []int{0, 40} {
			t.Run(fmt.Sprintf("%s/batch%d", k.name, batch), func(t *testing.T) {
				x, y := k.problem(rng, m)
				p := Params(t, rng, k.sizes)
				shuffleSeed := rng.Uint64()
				run := func(b engine.Backend) engine.Result {
					shuffle := rand.New(rand.NewPCG(shuffleSeed, 0))
					cfg := engine.Config{Iters: iters, LR: k.lr, Batch: batch, LogEvery: 1, Shuffle: func(m int) []int { return shuffle.Perm(m) }}
					res := train(t, b, m, cfg)
					if len(res.Records) != iters+1 {
						t.Fatalf("%d records, want %d", len(res.Records), iters+1)
					}
					return res
				}
				ref := run(openModel(t, reference, k.model(), x, y, p))
				if first, last := ref.Records[0].Cost, ref.Final.Cost; !(last < 0.99*first) {
					t.Fatalf("the reference did not learn: cost %v → %v", first, last)
				}
				got := run(openModel(t, impl, k.model(), x, y, p))
				compare(t, impl, got.Records, ref.Records)
				if math.Abs(got.Final.Accuracy-ref.Final.Accuracy) > 1.5/m { // one example may flip
					t.Errorf("final accuracy %v, reference %v", got.Final.Accuracy, ref.Final.Accuracy)
				}
				closeParams(t, "final", got.Params, ref.Params, 100*impl.Tol)
			})
		}
	}
}

// relNorm returns ‖a − b‖/‖b‖ over every value of the pairs (‖a − b‖ when
// b is all zero).
func relNorm(pairs [][2]*mat.Dense) float64 {
	var diff, ref float64
	for _, p := range pairs {
		a, b := p[0].RawMatrix().Data, p[1].RawMatrix().Data
		if len(a) != len(b) {
			return math.Inf(1)
		}
		for i := range a {
			d := a[i] - b[i]
			diff += d * d
			ref += b[i] * b[i]
		}
	}
	if ref == 0 {
		return math.Sqrt(diff)
	}
	return math.Sqrt(diff / ref)
}

// closeParams fails t unless got's weights and biases, and each of its
// optimizer tensors, are within tol of want's by relative norm per layer,
// and the step counts are equal.
func closeParams(t *testing.T, what string, got, want engine.Params, tol float64) {
	t.Helper()
	if len(got.W) != len(want.W) || len(got.Opt.Slots) != len(want.Opt.Slots) {
		t.Fatalf("%s parameters: %d layers and %d optimizer tensors, want %d and %d", what, len(got.W), len(got.Opt.Slots), len(want.W), len(want.Opt.Slots))
	}
	if got.Opt.Steps != want.Opt.Steps {
		t.Errorf("%s parameters: optimizer step %d, want %d", what, got.Opt.Steps, want.Opt.Steps)
	}
	sets := [][2]engine.Params{{got, want}}
	for k := range got.Opt.Slots {
		sets = append(sets, [2]engine.Params{got.Opt.Slots[k], want.Opt.Slots[k]})
	}
	for k, s := range sets {
		name := "parameters"
		if k > 0 {
			name = fmt.Sprintf("optimizer tensor %d", k)
		}
		for l := range s[1].W {
			if e := relNorm([][2]*mat.Dense{{s[0].W[l], s[1].W[l]}}); !(e <= tol) {
				t.Errorf("%s %s: W%d off by %.3g (tolerance %g)", what, name, l+1, e, tol)
			}
			if e := relNorm([][2]*mat.Dense{{s[0].B[l], s[1].B[l]}}); !(e <= tol) {
				t.Errorf("%s %s: b%d off by %.3g (tolerance %g)", what, name, l+1, e, tol)
			}
		}
	}
}

// gradientsAgree checks each kind's gradients, L2 term included, against the
// float64 reference's: one full-batch SGD step with a learning rate of 1
// moves the parameters by minus the gradient, so W − W' is the gradient
// impl computed, on every path a step takes (fused or not).
func gradientsAgree(t *testing.T, impl Impl, rng *rand.Rand) {
	const m = 91
	for _, k := range kinds {
		k.optimizer = engine.SGD
		t.Run(k.name, func(t *testing.T) {
			x, y := k.problem(rng, m)
			p := Params(t, rng, k.sizes)
			grad := func(b engine.Backend) engine.Params {
				if _, err := b.Step(engine.Batch{Offset: 0, Size: m}, 1, false); err != nil {
					t.Fatal(err)
				}
				q, err := b.Params()
				if err != nil {
					t.Fatal(err)
				}
				for l := range q.W {
					q.W[l].Sub(p.W[l], q.W[l])
					q.B[l].Sub(p.B[l], q.B[l])
				}
				q.Opt = engine.OptState{}
				return q
			}
			want := grad(openModel(t, reference, k.model(), x, y, p))
			got := grad(openModel(t, impl, k.model(), x, y, p))
			// W − W' loses the bits of W that the gradient does not have:
			// about 2⁻²⁴·|W|/|dW| in float32, well within 10·Tol here.
			closeParams(t, "gradient", got, want, 10*impl.Tol)
		})
	}
}

// stateRoundTrip checks that the optimizer's state travels with the
// parameters: N steps, Params, a fresh backend loaded with them, N more
// steps give the costs and parameters of 2N steps in one run, full-batch
// and on shuffled mini-batches (whole epochs, so that the shuffles line
// up), for every optimizer.
func stateRoundTrip(t *testing.T, impl Impl, rng *rand.Rand) {
	const m, batchSize, n = 60, 20, 9 // 3 mini-batches an epoch, 3 epochs
	for _, k := range []kind{kinds[0], kinds[3], kinds[4], kinds[6]} {
		for _, batch := range []int{0, batchSize} {
			t.Run(fmt.Sprintf("%s/batch%d", k.name, batch), func(t *testing.T) {
				x, y := k.problem(rng, m)
				p := Params(t, rng, k.sizes)
				seed := rng.Uint64()
				shuffle := rand.New(rand.NewPCG(seed, 0))
				cfg := engine.Config{Iters: n, LR: k.lr, Batch: batch, LogEvery: 1, Shuffle: func(m int) []int { return shuffle.Perm(m) }}
				first := train(t, openModel(t, impl, k.model(), x, y, p), m, cfg)
				if first.Params.Opt.Steps != n || len(first.Params.Opt.Slots) != k.optimizer.Slots() {
					t.Fatalf("after %d steps: Params says step %d with %d optimizer tensors, want %d and %d", n, first.Params.Opt.Steps, len(first.Params.Opt.Slots), n, k.optimizer.Slots())
				}
				second := train(t, openModel(t, impl, k.model(), x, y, first.Params), m, cfg)

				shuffle = rand.New(rand.NewPCG(seed, 0))
				cfg.Iters = 2 * n
				whole := train(t, openModel(t, impl, k.model(), x, y, p), m, cfg)
				for i := range n {
					got, want := second.Records[i], whole.Records[n+i]
					if !withinRel(got.Cost, want.Cost, impl.Tol) {
						t.Fatalf("resumed step %d: cost %.9g, one run %.9g (tolerance %g)", n+i, got.Cost, want.Cost, impl.Tol)
					}
				}
				closeParams(t, "resumed", second.Params, whole.Params, 10*impl.Tol)
			})
		}
	}
}

// withinRel reports whether a and b agree within the relative tolerance tol.
func withinRel(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(math.Abs(a), math.Abs(b))
}

// stateLoadParams checks that Load takes a non-fresh optimizer state and
// Params gives it back (to float32 precision on float32 backends), with its
// step count, and that a fresh state reads back as zeros at step 0.
func stateLoadParams(t *testing.T, impl Impl, rng *rand.Rand) {
	k := kinds[6] // Adam: two tensors per parameter
	x, y := k.problem(rng, 23)
	p := Params(t, rng, k.sizes)
	fresh, err := openModel(t, impl, k.model(), x, y, p).Params()
	if err != nil {
		t.Fatal(err)
	}
	zero := p.Clone()
	for l := range zero.W {
		zero.W[l].Zero()
		zero.B[l].Zero()
	}
	want := p.Clone()
	want.Opt.Slots = []engine.Params{zero, zero}
	closeParams(t, "fresh", fresh, want, 1e-7)

	want.Opt.Steps = 7
	want.Opt.Slots = []engine.Params{Params(t, rng, k.sizes), Params(t, rng, k.sizes)}
	for _, s := range want.Opt.Slots[1:] { // second moments are not negative
		for l := range s.W {
			s.W[l].MulElem(s.W[l], s.W[l])
			s.B[l].Apply(func(_, _ int, v float64) float64 { return v*v + 0.25 }, s.B[l])
		}
	}
	got, err := openModel(t, impl, k.model(), x, y, want).Params()
	if err != nil {
		t.Fatal(err)
	}
	closeParams(t, "loaded", got, want, 1e-7)
}
