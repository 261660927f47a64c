package engine

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Params are the weights and biases of every layer, W[l] of shape
// n_{l+1}×n_l and B[l] of shape n_{l+1}×1 (layer 0 is the first hidden
// layer), with the optimizer's state, so that a run saved and resumed
// continues as if it had not stopped.
type Params struct {
	W, B []*mat.Dense
	// Opt is the optimizer's state; the zero value is a fresh start.
	Opt OptState
}

// OptState is what a stateful optimizer carries from one update to the
// next.
type OptState struct {
	// Steps is the number of updates applied so far (Adam's t before the
	// next update).
	Steps int
	// Slots are the optimizer's tensors, each shaped like the weights and
	// biases (their Opt unused): Momentum's velocity, or Adam's first and
	// second moments, in that order. None means zeros, a fresh start.
	Slots []Params
}

// Fresh reports whether the state is that of an optimizer that has not
// run.
func (s OptState) Fresh() bool { return s.Steps == 0 && len(s.Slots) == 0 }

// check reports whether s is a state optimizer o can resume from, for the
// parameters p: fresh, or o's number of slots, each of p's shapes, finite.
func (s OptState) check(o Optimizer, p Params) error {
	if s.Steps < 0 {
		return fmt.Errorf("optimizer state: step %d, want ≥ 0", s.Steps)
	}
	if len(s.Slots) == 0 {
		return nil
	}
	if len(s.Slots) != o.Slots() {
		return fmt.Errorf("optimizer state of %d tensors per parameter, the %v optimizer keeps %d", len(s.Slots), o, o.Slots())
	}
	for k, slot := range s.Slots {
		if len(slot.W) != len(p.W) || len(slot.B) != len(p.B) {
			return fmt.Errorf("optimizer state %d: %d layers, the parameters have %d", k+1, len(slot.W), len(p.W))
		}
		for l := range p.W {
			for _, pair := range [][2]*mat.Dense{{slot.W[l], p.W[l]}, {slot.B[l], p.B[l]}} {
				if pair[0] == nil {
					return fmt.Errorf("optimizer state %d: layer %d missing", k+1, l+1)
				}
				r, c := pair[0].Dims()
				pr, pc := pair[1].Dims()
				if r != pr || c != pc {
					return fmt.Errorf("optimizer state %d: layer %d is %d×%d, its parameter %d×%d", k+1, l+1, r, c, pr, pc)
				}
				for _, v := range pair[0].RawMatrix().Data {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						return fmt.Errorf("optimizer state %d: layer %d holds a non-finite value", k+1, l+1)
					}
				}
			}
		}
	}
	return nil
}

// zeroSlots returns n slots of zeros shaped like p.
func zeroSlots(p Params, n int) []Params {
	out := make([]Params, n)
	for k := range out {
		for l := range p.W {
			r, c := p.W[l].Dims()
			out[k].W = append(out[k].W, mat.NewDense(r, c, nil))
			out[k].B = append(out[k].B, mat.NewDense(r, 1, nil))
		}
	}
	return out
}

// Normal is a source of standard normal draws.
type Normal interface {
	NormFloat64() float64
}

// Scale is how Init scales the standard normal draws of each weight.
type Scale int

// The weight scales. Course keeps the course's numbers; the others keep the
// activations' variance from shrinking layer by layer, which deeper or wider
// networks need to start learning at once: Xavier (Glorot) for tanh layers,
// He for ReLU layers.
const (
	// Course draws N(0, 1)·0.01 whatever the layer's width: right for the
	// small networks of the course, too small for deep ones (a 16-16-16 tanh
	// network sits at a cost of ln 2 for a thousand steps).
	Course Scale = iota
	// Xavier draws N(0, 1)·√(1/n_in), n_in the layer's inputs.
	Xavier
	// He draws N(0, 1)·√(2/n_in).
	He
)

// ParseScale returns the Scale named course, xavier or he.
func ParseScale(name string) (Scale, error) {
	switch name {
	case "course":
		return Course, nil
	case "xavier":
		return Xavier, nil
	case "he":
		return He, nil
	}
	return 0, fmt.Errorf("weight scale %q: want course, xavier or he", name)
}

// String returns the scale's name as ParseScale takes it.
func (s Scale) String() string {
	switch s {
	case Course:
		return "course"
	case Xavier:
		return "xavier"
	case He:
		return "he"
	}
	return fmt.Sprintf("Scale(%d)", int(s))
}

// factor returns the standard deviation of a layer's weights with fanIn
// inputs.
func (s Scale) factor(fanIn int) float64 {
	switch s {
	case Xavier:
		return math.Sqrt(1 / float64(fanIn))
	case He:
		return math.Sqrt(2 / float64(fanIn))
	}
	return 0.01
}

// initParams returns parameters for layer sizes [n_x, n_1, …, n_L]: W_l
// drawn row by row as N(0, 1) times the scale's factor, b_l = 0.
func initParams(sizes []int, scale Scale, rng Normal) (Params, error) {
	if err := checkSizes(sizes); err != nil {
		return Params{}, err
	}
	if scale < Course || scale > He {
		return Params{}, fmt.Errorf("weight scale %v: want Course, Xavier or He", scale)
	}
	var p Params
	for l := 1; l < len(sizes); l++ {
		w := mat.NewDense(sizes[l], sizes[l-1], nil)
		raw := w.RawMatrix().Data
		f := scale.factor(sizes[l-1])
		for i := range raw {
			raw[i] = rng.NormFloat64() * f
		}
		p.W = append(p.W, w)
		p.B = append(p.B, mat.NewDense(sizes[l], 1, nil))
	}
	return p, nil
}

// Sizes returns the layer sizes [n_x, n_1, …, n_L] the parameters describe.
func (p Params) Sizes() []int {
	if len(p.W) == 0 {
		return nil
	}
	_, nx := p.W[0].Dims()
	sizes := []int{nx}
	for _, w := range p.W {
		r, _ := w.Dims()
		sizes = append(sizes, r)
	}
	return sizes
}

// Validate checks that the shapes chain and every value is finite.
func (p Params) Validate() error {
	if len(p.W) == 0 || len(p.W) != len(p.B) {
		return fmt.Errorf("parameters: %d weight and %d bias matrices", len(p.W), len(p.B))
	}
	for l := range p.W {
		r, c := p.W[l].Dims()
		if l > 0 {
			if prev, _ := p.W[l-1].Dims(); c != prev {
				return fmt.Errorf("parameters: W%d is %d×%d but layer %d has %d units", l+1, r, c, l, prev)
			}
		}
		if br, bc := p.B[l].Dims(); br != r || bc != 1 {
			return fmt.Errorf("parameters: b%d is %d×%d, want %d×1", l+1, br, bc, r)
		}
		for _, m := range []*mat.Dense{p.W[l], p.B[l]} {
			for _, v := range m.RawMatrix().Data {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("parameters: layer %d holds a non-finite value", l+1)
				}
			}
		}
	}
	return nil
}

// Clone returns a deep copy, optimizer state included.
func (p Params) Clone() Params {
	var q Params
	for l := range p.W {
		q.W = append(q.W, mat.DenseCopyOf(p.W[l]))
		q.B = append(q.B, mat.DenseCopyOf(p.B[l]))
	}
	q.Opt.Steps = p.Opt.Steps
	for _, s := range p.Opt.Slots {
		q.Opt.Slots = append(q.Opt.Slots, s.Clone())
	}
	return q
}

func checkSizes(sizes []int) error {
	if len(sizes) < 2 {
		return fmt.Errorf("layer sizes %v: need inputs and an output", sizes)
	}
	for i, s := range sizes {
		if s <= 0 {
			return fmt.Errorf("layer sizes %v: size %d is %d, want > 0", sizes, i, s)
		}
	}
	return nil
}
