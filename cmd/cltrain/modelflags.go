package main

import (
	"errors"
	"fmt"

	"github.com/spf13/pflag"
	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/dataset"
	"github.com/cltrain/cltrain/engine"
)

// modelFlags are train's flags that describe the network's kinds, the
// optimizer and the L2 penalty.
type modelFlags struct {
	activation, output, optimizer string
	hyper                         engine.Hyper
	l2                            float64
	// changed reports whether a flag was given; set after parsing.
	changed func(name string) bool
}

// define adds the flags to fs.
func (k *modelFlags) define(fs *pflag.FlagSet) {
	d := engine.DefaultHyper
	fs.StringVar(&k.activation, "activation", "tanh", "hidden layers' activation: tanh or relu (whose derivative at 0 is taken as 0)")
	fs.StringVar(&k.output, "output", "sigmoid", "output: sigmoid (one unit, labels 0/1) or softmax (K classes 0…K−1, K from the data; accuracy is argmax agreement)")
	fs.StringVar(&k.optimizer, "optimizer", "sgd", "update rule: sgd, momentum (v = μv + dW, W −= lr·v) or adam (with bias correction), as PyTorch writes them")
	fs.Float64Var(&k.hyper.Momentum, "momentum", d.Momentum, "μ of --optimizer momentum, in [0, 1)")
	fs.Float64Var(&k.hyper.Beta1, "beta1", d.Beta1, "β1 of --optimizer adam, in [0, 1)")
	fs.Float64Var(&k.hyper.Beta2, "beta2", d.Beta2, "β2 of --optimizer adam, in [0, 1)")
	fs.Float64Var(&k.hyper.Eps, "eps", d.Eps, "ε of --optimizer adam, positive")
	fs.Float64Var(&k.l2, "l2", 0, "L2 penalty λ: the loss gains λ/(2m)·ΣW² over every layer's weights (not the biases), dW gains (λ/m)·W")
}

// hyperFlags names the flag of each engine.Hyper field.
var hyperFlags = map[string]string{"Momentum": "--momentum", "Beta1": "--beta1", "Beta2": "--beta2", "Eps": "--eps", "L2": "--l2"}

// check refuses unknown kinds and parameters out of range, naming the flag.
func (k *modelFlags) check() error {
	if _, err := engine.ParseActivation(k.activation); err != nil {
		return fmt.Errorf("--activation: %w", err)
	}
	if _, err := engine.ParseOutput(k.output); err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	opt, err := engine.ParseOptimizer(k.optimizer)
	if err != nil {
		return fmt.Errorf("--optimizer: %w", err)
	}
	// Check every parameter given, whether or not the optimizer reads it.
	m := engine.Model{Sizes: []int{1, 1, 1}, Optimizer: opt, Hyper: k.hyper, L2: k.l2}
	for _, o := range []engine.Optimizer{engine.Momentum, engine.Adam} {
		m.Optimizer = o
		if err := hyperError(m.Validate()); err != nil {
			return err
		}
	}
	for _, pair := range []struct {
		flag string
		opt  engine.Optimizer
	}{{"momentum", engine.Momentum}, {"beta1", engine.Adam}, {"beta2", engine.Adam}, {"eps", engine.Adam}} {
		if k.changed(pair.flag) && opt != pair.opt && !k.changed("init") {
			return fmt.Errorf("--%s: only --optimizer %v uses it, not %v", pair.flag, pair.opt, opt)
		}
	}
	return nil
}

// hyperError words an engine.HyperError with its flag.
func hyperError(err error) error {
	var he *engine.HyperError
	if errors.As(err, &he) {
		return fmt.Errorf("%s %v: %s", hyperFlags[he.Field], he.Value, he.Reason)
	}
	return err
}

// model returns the model of nx features and the given hidden sizes that
// the flags describe; a softmax output gets one unit per class.
func (k *modelFlags) model(nx int, hidden []int, classes int) (engine.Model, error) {
	m := engine.NewModel(nx, hidden...)
	m.Hidden, _ = engine.ParseActivation(k.activation)
	m.Output, _ = engine.ParseOutput(k.output)
	m.Optimizer, _ = engine.ParseOptimizer(k.optimizer)
	m.Hyper, m.L2 = k.hyper, k.l2
	if m.Output == engine.Softmax {
		m.Sizes[len(m.Sizes)-1] = classes
	}
	return m, hyperError(m.Validate())
}

// resume returns the kinds of a run that starts from the checkpoint path
// holding a network of model saved with parameters p: the checkpoint's,
// except the optimizer's parameters and L2 that flags give. A flag that
// contradicts the network (its activation or output) is an error, as is
// another optimizer than the one whose state the checkpoint carries.
func (k *modelFlags) resume(path string, saved engine.Model, p engine.Params) (engine.Model, error) {
	like := saved
	if k.changed("activation") {
		if a, _ := engine.ParseActivation(k.activation); a != saved.Hidden {
			return like, fmt.Errorf("--activation %v does not match --init %s, whose hidden layers are %v", a, path, saved.Hidden)
		}
	}
	if k.changed("output") {
		if o, _ := engine.ParseOutput(k.output); o != saved.Output {
			return like, fmt.Errorf("--output %v does not match --init %s, whose output is %v", o, path, saved.Output)
		}
	}
	if k.changed("optimizer") {
		o, _ := engine.ParseOptimizer(k.optimizer)
		if o != saved.Optimizer && !p.Opt.Fresh() {
			return like, fmt.Errorf("--optimizer %v does not match --init %s, which holds the state of %v after %d steps", o, path, saved.Optimizer, p.Opt.Steps)
		}
		like.Optimizer = o
	}
	set := func(flag string, dst *float64, v float64) {
		if k.changed(flag) {
			*dst = v
		}
	}
	set("momentum", &like.Hyper.Momentum, k.hyper.Momentum)
	set("beta1", &like.Hyper.Beta1, k.hyper.Beta1)
	set("beta2", &like.Hyper.Beta2, k.hyper.Beta2)
	set("eps", &like.Hyper.Eps, k.hyper.Eps)
	set("l2", &like.L2, k.l2)
	return like, nil
}

// labelsFor returns the labels of set in the form model trains on: the 0/1
// row for a sigmoid output, one-hot columns for a softmax; errors name the
// place of the first label that does not fit, in the data called name.
func labelsFor(model engine.Model, set *dataset.Set, name string) (*mat.Dense, error) {
	if model.Output == engine.Sigmoid {
		if err := set.CheckBinary(); err != nil {
			return nil, fmt.Errorf("%w; train with --output softmax for more classes", err)
		}
		return set.Y, nil
	}
	y, err := engine.OneHot(set.Y, model.Classes())
	var le *engine.LabelError
	if errors.As(err, &le) {
		return nil, fmt.Errorf("%s: label %v: %s", set.Where(le.Example), le.Value, le.Reason)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return y, nil
}
