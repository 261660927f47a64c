package engine

import (
	"fmt"
	"math"
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
	// ReLU is max(0, z), whose derivative is 1 where z > 0 and 0 elsewhere,
	// z = 0 included, as in PyTorch.
	ReLU
)

var activationNames = []string{"tanh", "relu"}

// String names the activation.
func (a Activation) String() string { return kindName("Activation", int(a), activationNames...) }

// ParseActivation returns the Activation named tanh or relu.
func ParseActivation(name string) (Activation, error) {
	v, err := parseKind("hidden activation", name, activationNames)
	return Activation(v), err
}

// parseKind returns the index of name in names, or an error listing them.
func parseKind(what, name string, names []string) (int, error) {
	for i, n := range names {
		if n == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%s %q: want %s", what, name, strings.Join(names, ", "))
}

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
	// Softmax is K ≥ 2 units softmax(z) trained on the categorical
	// cross-entropy, computed from the logits with the log-sum-exp; the
	// labels are one-hot columns (OneHot), dZ = A − Y, and the predicted
	// class is the most probable one.
	Softmax
)

var outputNames = []string{"sigmoid", "softmax"}

// String names the output.
func (o Output) String() string { return kindName("Output", int(o), outputNames...) }

// ParseOutput returns the Output named sigmoid or softmax.
func ParseOutput(name string) (Output, error) {
	v, err := parseKind("output", name, outputNames)
	return Output(v), err
}

// Optimizer is the update rule.
type Optimizer int

// The optimizers.
const (
	// SGD is plain gradient descent: W −= lr·dW, b −= lr·db.
	SGD Optimizer = iota
	// Momentum is SGD with momentum μ as PyTorch writes it: v = μ·v + dW,
	// W −= lr·v, v starting at 0.
	Momentum
	// Adam is Adam with bias correction as PyTorch writes it: m = β1·m +
	// (1−β1)·dW, v = β2·v + (1−β2)·dW², W −= lr·m̂/(√v̂ + ε) with
	// m̂ = m/(1−β1^t), v̂ = v/(1−β2^t) at step t = 1, 2, ….
	Adam
)

var optimizerNames = []string{"sgd", "momentum", "adam"}

// String names the optimizer.
func (o Optimizer) String() string { return kindName("Optimizer", int(o), optimizerNames...) }

// ParseOptimizer returns the Optimizer named sgd, momentum or adam.
func ParseOptimizer(name string) (Optimizer, error) {
	v, err := parseKind("optimizer", name, optimizerNames)
	return Optimizer(v), err
}

// Slots returns how many tensors of state the optimizer keeps per
// parameter: none for SGD, the velocity for Momentum, the first and second
// moments for Adam.
func (o Optimizer) Slots() int {
	switch o {
	case Momentum:
		return 1
	case Adam:
		return 2
	}
	return 0
}

// Hyper are the optimizers' parameters besides the learning rate; each
// optimizer reads its own.
type Hyper struct {
	Momentum float64 // μ of Momentum, in [0, 1)
	Beta1    float64 // β1 of Adam, in [0, 1)
	Beta2    float64 // β2 of Adam, in [0, 1)
	Eps      float64 // ε of Adam, positive
}

// DefaultHyper are PyTorch's defaults: μ = 0.9, β1 = 0.9, β2 = 0.999,
// ε = 1e-8.
var DefaultHyper = Hyper{Momentum: 0.9, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}

// HyperError is the error of a hyperparameter out of range: the field at
// fault (as named in Hyper, or L2), its value and the range, so that a
// command can name its own flag.
type HyperError struct {
	Field  string
	Value  float64
	Reason string
}

func (e *HyperError) Error() string {
	return fmt.Sprintf("%s %v: %s", e.Field, e.Value, e.Reason)
}

// check returns a HyperError for the first parameter of optimizer o that is
// out of range.
func (h Hyper) check(o Optimizer) error {
	unit := func(field string, v float64) error {
		if !(v >= 0 && v < 1) {
			return &HyperError{field, v, "must be in [0, 1)"}
		}
		return nil
	}
	switch o {
	case Momentum:
		return unit("Momentum", h.Momentum)
	case Adam:
		if err := unit("Beta1", h.Beta1); err != nil {
			return err
		}
		if err := unit("Beta2", h.Beta2); err != nil {
			return err
		}
		if !(h.Eps > 0) || math.IsInf(h.Eps, 0) {
			return &HyperError{"Eps", h.Eps, "must be positive and finite"}
		}
	}
	return nil
}

// Model describes a network as data: its layer sizes, the activation of
// its hidden layers, its output with the loss, the optimizer with its
// parameters, and the L2 penalty. The zero values of the kinds are the
// course's network, so NewModel needs only sizes. Backends train what a
// Model asks or refuse it in Load, naming what they lack (CheckLoad).
type Model struct {
	// Sizes are the layer sizes [n_x, n_1, …, n_L]: the features, the
	// hidden layers, and the output units (1 for Sigmoid, K ≥ 2 classes
	// for Softmax).
	Sizes     []int
	Hidden    Activation
	Output    Output
	Optimizer Optimizer
	// Hyper are the optimizer's parameters (NewModel: DefaultHyper).
	Hyper Hyper
	// L2 is λ ≥ 0: the cost gains λ/(2m)·Σ‖W_l‖² over the weights of every
	// layer (biases are not penalised) and dW_l gains (λ/m)·W_l, m being
	// the examples of the batch.
	L2 float64
}

// NewModel returns the classifier of nx features with the given hidden
// layer sizes: tanh hidden layers, one sigmoid output unit trained on the
// binary cross-entropy, plain gradient descent, no L2; the Hyper are
// DefaultHyper for a caller that picks another optimizer.
func NewModel(nx int, hidden ...int) Model {
	return Model{Sizes: append(append([]int{nx}, hidden...), 1), Hyper: DefaultHyper}
}

// Classes returns the number of classes the model tells apart: 2 for the
// sigmoid output, K for the softmax.
func (m Model) Classes() int {
	if m.Output == Softmax && len(m.Sizes) > 0 {
		return m.Sizes[len(m.Sizes)-1]
	}
	return 2
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
	if m.Hidden != Tanh && m.Hidden != ReLU {
		return fmt.Errorf("model %s: unknown hidden activation %v", m, m.Hidden)
	}
	out := m.Sizes[len(m.Sizes)-1]
	switch {
	case m.Output == Sigmoid && out != 1:
		return fmt.Errorf("model %s: the sigmoid output has 1 unit, not %d", m, out)
	case m.Output == Softmax && out < 2:
		return fmt.Errorf("model %s: the softmax output needs at least 2 classes, not %d", m, out)
	case m.Output != Sigmoid && m.Output != Softmax:
		return fmt.Errorf("model %s: unknown output %v", m, m.Output)
	}
	if m.Optimizer < SGD || m.Optimizer > Adam {
		return fmt.Errorf("model %s: unknown optimizer %v", m, m.Optimizer)
	}
	if err := m.Hyper.check(m.Optimizer); err != nil {
		return fmt.Errorf("model %s: %w", m, err)
	}
	if !(m.L2 >= 0) || math.IsInf(m.L2, 0) {
		return fmt.Errorf("model %s: %w", m, &HyperError{"L2", m.L2, "must be zero or positive, and finite"})
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
	l2 := ""
	if m.L2 != 0 {
		l2 = fmt.Sprintf(" l2=%g", m.L2)
	}
	return fmt.Sprintf("%s %v/%v/%v%s", strings.Join(s, "-"), m.Hidden, m.Output, m.Optimizer, l2)
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
// sizes, valid (shapes that chain, finite values), and optimizer state,
// when p carries any, of the model's optimizer and of the parameters'
// shapes.
func (m Model) Check(p Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if got := p.Sizes(); !slices.Equal(got, m.Sizes) {
		return fmt.Errorf("parameters of layers %v, the model has %v", got, m.Sizes)
	}
	return p.Opt.check(m.Optimizer, p)
}

// CheckData reports whether x (n_x×m) and y are data the model trains on:
// for the sigmoid output y is 1×m of labels 0 or 1, for the softmax output
// K×m of one-hot columns (OneHot makes them from class labels).
func (m Model) CheckData(x, y *mat.Dense) error {
	nx, cols := x.Dims()
	if nx != m.Sizes[0] {
		return fmt.Errorf("the model takes %d features, the data has %d", m.Sizes[0], nx)
	}
	rows := 1
	if m.Output == Softmax {
		rows = m.Classes()
	}
	if yr, yc := y.Dims(); yr != rows || yc != cols {
		return fmt.Errorf("labels are %d×%d, want %d×%d", yr, yc, rows, cols)
	}
	if m.Output == Softmax {
		return CheckOneHot(y)
	}
	for j, v := range y.RawMatrix().Data {
		if v != 0 && v != 1 {
			return fmt.Errorf("label %v of example %d: the sigmoid output needs 0 or 1", v, j)
		}
	}
	return nil
}

// ModelOf returns the model that parameters p describe, with the kinds
// and L2 of like, for a run that starts from a checkpoint: p must be
// valid, take nx features, and have an output layer of like's output kind
// (1 unit for sigmoid, K ≥ 2 for softmax); hidden, when not nil, must be
// p's hidden layer sizes. Its errors name both sides.
func ModelOf(p Params, nx int, hidden []int, like Model) (Model, error) {
	if err := p.Validate(); err != nil {
		return Model{}, err
	}
	sizes := p.Sizes()
	if sizes[0] != nx {
		return Model{}, fmt.Errorf("W1 expects %d features, the data has %d", sizes[0], nx)
	}
	m := like
	m.Sizes = sizes
	if hidden != nil && !slices.Equal(hidden, m.HiddenSizes()) {
		return Model{}, &HiddenMismatch{Asked: hidden, Have: m.HiddenSizes()}
	}
	if err := m.Validate(); err != nil {
		return Model{}, err
	}
	return m, m.Check(p)
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
