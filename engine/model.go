package engine

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// Activation is the nonlinearity of the hidden layers.
type Activation int

// The hidden activations.
const (
	// Tanh is tanh(z), whose derivative 1 − tanh² the backward pass uses.
	Tanh Activation = iota
)

// String names the activation.
func (a Activation) String() string { return kindName("Activation", int(a), "tanh") }

// kindName returns names[v], or Kind(v) for a value without a name.
func kindName(kind string, v int, names ...string) string {
	if v >= 0 && v < len(names) {
		return names[v]
	}
	return kind + "(" + strconv.Itoa(v) + ")"
}

// Output is the output layer's activation with the loss trained on it.
type Output int

// The outputs.
const (
	// Sigmoid is one unit σ(z) trained on the binary cross-entropy,
	// computed from the logits; the labels are 0 and 1, and dZ = A − Y.
	Sigmoid Output = iota
)

// String names the output.
func (o Output) String() string { return kindName("Output", int(o), "sigmoid") }

// Optimizer is the update rule.
type Optimizer int

// The optimizers.
const (
	// SGD is plain gradient descent: W −= lr·dW, b −= lr·db.
	SGD Optimizer = iota
)

// String names the optimizer.
func (o Optimizer) String() string { return kindName("Optimizer", int(o), "sgd") }

// Model describes a network as data: its layer sizes, the activation of
// its hidden layers, its output with the loss, and the optimizer. The zero
// values of the kinds are today's network, so NewModel needs only sizes.
// Backends train what a Model asks or refuse it in Load, naming what they
// lack (Supports).
type Model struct {
	// Sizes are the layer sizes [n_x, n_1, …, n_L]: the features, the
	// hidden layers, and the output units (1 for Sigmoid).
	Sizes     []int
	Hidden    Activation
	Output    Output
	Optimizer Optimizer
}

// NewModel returns the classifier of nx features with the given hidden
// layer sizes: tanh hidden layers, one sigmoid output unit trained on the
// binary cross-entropy, plain gradient descent.
func NewModel(nx int, hidden ...int) Model {
	return Model{Sizes: append(append([]int{nx}, hidden...), 1)}
}

// Validate checks the description in one place: positive sizes, at least
// one hidden layer, an output of the size its kind has, and kinds that
// exist.
func (m Model) Validate() error {
	if len(m.Sizes) < 3 {
		return fmt.Errorf("model %s: need the features, at least one hidden layer and the output", m)
	}
	for i, s := range m.Sizes {
		if s <= 0 {
			return fmt.Errorf("model %s: layer %d has %d units, want at least 1", m, i, s)
		}
	}
	if m.Hidden != Tanh {
		return fmt.Errorf("model %s: unknown hidden activation %v", m, m.Hidden)
	}
	if m.Output != Sigmoid {
		return fmt.Errorf("model %s: unknown output %v", m, m.Output)
	}
	if out := m.Sizes[len(m.Sizes)-1]; out != 1 {
		return fmt.Errorf("model %s: the sigmoid output has 1 unit, not %d", m, out)
	}
	if m.Optimizer != SGD {
		return fmt.Errorf("model %s: unknown optimizer %v", m, m.Optimizer)
	}
	return nil
}

// HiddenSizes returns the hidden layer sizes.
func (m Model) HiddenSizes() []int {
	if len(m.Sizes) < 2 {
		return nil
	}
	return slices.Clone(m.Sizes[1 : len(m.Sizes)-1])
}

// String writes the model as its sizes and kinds: 2-4-1 tanh/sigmoid/sgd.
func (m Model) String() string {
	s := make([]string, len(m.Sizes))
	for i, v := range m.Sizes {
		s[i] = strconv.Itoa(v)
	}
	return fmt.Sprintf("%s %v/%v/%v", strings.Join(s, "-"), m.Hidden, m.Output, m.Optimizer)
}

// Init returns the model's initial parameters: the weights of each layer
// drawn row by row as N(0, 1) times the scale's factor, biases 0. With
// Course and numpy's legacy generator (internal/nprand) seeded as the
// course seeds it, these are the course's parameters.
func (m Model) Init(scale Scale, rng Normal) (Params, error) {
	if err := m.Validate(); err != nil {
		return Params{}, err
	}
	return initParams(m.Sizes, scale, rng)
}

// Check reports whether p are parameters of the model: the same layer
// sizes, and valid (shapes that chain, finite values).
func (m Model) Check(p Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if got := p.Sizes(); !slices.Equal(got, m.Sizes) {
		return fmt.Errorf("parameters of layers %v, the model has %v", got, m.Sizes)
	}
	return nil
}

// CheckData reports whether x (n_x×m) and y (1×m, labels 0 or 1) are data
// the model trains on.
func (m Model) CheckData(x, y *mat.Dense) error {
	nx, cols := x.Dims()
	if nx != m.Sizes[0] {
		return fmt.Errorf("the model takes %d features, the data has %d", m.Sizes[0], nx)
	}
	if yr, yc := y.Dims(); yr != 1 || yc != cols {
		return fmt.Errorf("labels are %d×%d, want 1×%d", yr, yc, cols)
	}
	for j, v := range y.RawMatrix().Data {
		if v != 0 && v != 1 {
			return fmt.Errorf("label %v of example %d: the sigmoid output needs 0 or 1", v, j)
		}
	}
	return nil
}

// ModelOf returns the model that parameters p describe (today's kinds),
// for a run that starts from a checkpoint: p must be valid and take nx
// features, and hidden, when not nil, must be p's hidden layer sizes. Its
// errors name both sides.
func ModelOf(p Params, nx int, hidden []int) (Model, error) {
	if err := p.Validate(); err != nil {
		return Model{}, err
	}
	sizes := p.Sizes()
	if sizes[0] != nx {
		return Model{}, fmt.Errorf("W1 expects %d features, the data has %d", sizes[0], nx)
	}
	m := Model{Sizes: sizes}
	if hidden != nil && !slices.Equal(hidden, m.HiddenSizes()) {
		return Model{}, &HiddenMismatch{Asked: hidden, Have: m.HiddenSizes()}
	}
	return m, m.Validate()
}

// HiddenMismatch is ModelOf's error when the hidden sizes asked for are
// not those of the parameters.
type HiddenMismatch struct {
	Asked, Have []int
}

func (e *HiddenMismatch) Error() string {
	return fmt.Sprintf("hidden layers %v asked for, the parameters have %v", e.Asked, e.Have)
}

// CheckLoad checks what Backend.Load is given, for a backend called name
// that trains the listed kinds: a valid model it supports, parameters of
// that model, and data it trains on. Every backend calls it before it
// copies anything, so each refuses what it lacks in the same words.
func CheckLoad(name string, m Model, x, y *mat.Dense, p Params, hidden []Activation, outputs []Output, optimizers []Optimizer) error {
	if err := supports(name, m, hidden, outputs, optimizers); err != nil {
		return err
	}
	if err := m.Check(p); err != nil {
		return err
	}
	return m.CheckData(x, y)
}

// supports returns an error naming what of m a backend called name cannot
// train, given the kinds it implements.
func supports(name string, m Model, hidden []Activation, outputs []Output, optimizers []Optimizer) error {
	if err := m.Validate(); err != nil {
		return err
	}
	switch {
	case !slices.Contains(hidden, m.Hidden):
		return fmt.Errorf("%s: %v hidden layers are not supported", name, m.Hidden)
	case !slices.Contains(outputs, m.Output):
		return fmt.Errorf("%s: the %v output is not supported", name, m.Output)
	case !slices.Contains(optimizers, m.Optimizer):
		return fmt.Errorf("%s: the %v optimizer is not supported", name, m.Optimizer)
	}
	return nil
}
