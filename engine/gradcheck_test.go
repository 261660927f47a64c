package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/mat"
)

// TestGradientCheck compares the CPU backend's gradients with central
// finite differences of the cost, for every parameter of a two-hidden-layer
// network of each hidden activation and output, with and without the L2
// penalty, in float64. A tanh derivative of (1 − A)² instead of 1 − A², a
// ReLU gradient that leaks through z < 0, a softmax gradient other than
// A − Y or an L2 gradient without the 1/m fails it.
func TestGradientCheck(t *testing.T) {
	for _, tc := range []struct {
		hidden Activation
		output Output
		l2     float64
	}{
		{Tanh, Sigmoid, 0},
		{Tanh, Sigmoid, 0.7},
		{ReLU, Sigmoid, 0},
		{Tanh, Softmax, 0},
		{ReLU, Softmax, 0.3},
	} {
		t.Run(fmt.Sprintf("%v-%v-l2=%g", tc.hidden, tc.output, tc.l2), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(12, 12))
			x, y := problem(rng, 3, 23)
			out := 1
			if tc.output == Softmax {
				out = 4
				y = randomOneHot(rng, out, 23)
			}
			model := Model{Sizes: []int{3, 5, 4, out}, Hidden: tc.hidden, Output: tc.output, L2: tc.l2}
			p := testParams(t, model.Sizes, 13)
			// Biases away from zero keep every pre-activation off ReLU's kink:
			// a column whose inputs to a layer are all zero would otherwise
			// sit at z = 0 exactly, where the finite difference straddles it.
			for l := range p.B {
				for i, raw := 0, p.B[l].RawMatrix().Data; i < len(raw); i++ {
					raw[i] = 0.1 + 0.2*rng.Float64()
				}
			}
			g := backward(p, forward(model, p, x), y)
			cost := func() float64 { return forward(model, p, x).eval(y).Cost }
			const h = 1e-6
			for l := range p.W {
				for _, pair := range []struct {
					name       string
					param, grd *mat.Dense
				}{{"W", p.W[l], g.W[l]}, {"b", p.B[l], g.B[l]}} {
					raw := pair.param.RawMatrix().Data
					for i := range raw {
						orig := raw[i]
						raw[i] = orig + h
						plus := cost()
						raw[i] = orig - h
						minus := cost()
						raw[i] = orig
						num := (plus - minus) / (2 * h)
						got := pair.grd.RawMatrix().Data[i]
						if !scalar.EqualWithinAbsOrRel(got, num, 1e-9, 1e-6) {
							t.Errorf("d%s%d[%d] = %.10g, finite difference %.10g", pair.name, l+1, i, got, num)
						}
					}
				}
			}
		})
	}
}

// randomOneHot returns k×m one-hot columns of random classes, each class
// present.
func randomOneHot(rng *rand.Rand, k, m int) *mat.Dense {
	y := mat.NewDense(k, m, nil)
	for j := range m {
		c := j % k
		if j >= k {
			c = rng.IntN(k)
		}
		y.Set(c, j, 1)
	}
	return y
}

// TestOptimizerUpdates checks three updates of each optimizer on the CPU
// backend against the update rules written out here, from the reference
// gradients of the parameters before each update: SGD W −= lr·g; momentum
// v = μv + g, W −= lr·v; Adam with bias correction at t = 1, 2, 3.
func TestOptimizerUpdates(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x, y := problem(rng, 3, 17)
	const lr = 0.05
	for _, opt := range []Optimizer{SGD, Momentum, Adam} {
		t.Run(opt.String(), func(t *testing.T) {
			model := NewModel(3, 5)
			model.Optimizer, model.Hyper, model.L2 = opt, Hyper{Momentum: 0.8, Beta1: 0.85, Beta2: 0.99, Eps: 1e-7}, 0.2
			p := testParams(t, model.Sizes, 5)
			b := NewCPU()
			if err := b.Load(model, x, y, p); err != nil {
				t.Fatal(err)
			}
			want := p.Clone()
			var m1, m2 []float64 // flattened state of every parameter
			for step := 1; step <= 3; step++ {
				g := backward(want, forward(model, want, x), y)
				flat, grad := flatten(want), flatten(g)
				if m1 == nil {
					m1, m2 = make([]float64, len(flat)), make([]float64, len(flat))
				}
				for i := range flat {
					switch opt {
					case SGD:
						flat[i] -= lr * grad[i]
					case Momentum:
						m1[i] = 0.8*m1[i] + grad[i]
						flat[i] -= lr * m1[i]
					case Adam:
						m1[i] = 0.85*m1[i] + 0.15*grad[i]
						m2[i] = 0.99*m2[i] + 0.01*grad[i]*grad[i]
						mh := m1[i] / (1 - math.Pow(0.85, float64(step)))
						vh := m2[i] / (1 - math.Pow(0.99, float64(step)))
						flat[i] -= lr * mh / (math.Sqrt(vh) + 1e-7)
					}
				}
				unflatten(want, flat)
				if _, err := b.Step(Batch{Size: 17}, lr, false); err != nil {
					t.Fatal(err)
				}
				got, _ := b.Params()
				if got.Opt.Steps != step {
					t.Errorf("step %d: state counts %d steps", step, got.Opt.Steps)
				}
				if len(got.Opt.Slots) != opt.Slots() {
					t.Fatalf("step %d: %d state tensors, want %d", step, len(got.Opt.Slots), opt.Slots())
				}
				for i, v := range flatten(got) {
					if !scalar.EqualWithinAbsOrRel(v, flat[i], 1e-14, 1e-12) {
						t.Fatalf("step %d: parameter %d = %.15g, the rule gives %.15g", step, i, v, flat[i])
					}
				}
			}
		})
	}
}

// flatten returns every weight and bias of p in one slice, layer by layer.
func flatten(p Params) []float64 {
	var out []float64
	for l := range p.W {
		out = append(out, p.W[l].RawMatrix().Data...)
		out = append(out, p.B[l].RawMatrix().Data...)
	}
	return out
}

// unflatten copies flat, as flatten lays it out, into p.
func unflatten(p Params, flat []float64) {
	for l := range p.W {
		flat = flat[copy(p.W[l].RawMatrix().Data, flat):]
		flat = flat[copy(p.B[l].RawMatrix().Data, flat):]
	}
}
