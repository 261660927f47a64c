package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/dataset"
	"github.com/cltrain/cltrain/engine"
	"github.com/cltrain/cltrain/engine/opencl"
)

// Learning rates: a small one for the step case, whose parameters keep
// changing from run to run, and the course's for the flower run.
const (
	stepLR   = 0.01
	flowerLR = 1.2
	// flowerLogEvery is how often the flower run evaluates the cost, as
	// cltrain train does by default.
	flowerLogEvery = 1000
)

// trainer is a training backend of the step and flower cases, opened on
// first use and reloaded by every case.
type trainer struct {
	id   string
	cpu  *cpuBackend // nil for OpenCL
	open func() (engine.Backend, error)
	b    engine.Backend
	err  error
}

// trainers returns the CPU backends' engine.CPU and the OpenCL backend;
// closeTrainers frees them.
func trainers(o *Options, cpus []cpuBackend) []*trainer {
	var ts []*trainer
	for _, c := range cpus {
		ts = append(ts, &trainer{id: c.id, cpu: &c, open: func() (engine.Backend, error) { return c.engine(), nil }})
	}
	ts = append(ts, &trainer{id: OpenCL, open: func() (engine.Backend, error) {
		b, err := opencl.New(o.Device, opencl.Options{Gemm: o.Gemm, Profile: true})
		if err != nil {
			return nil, err
		}
		return b, b.Profile(true)
	}})
	if len(o.Parallel) >= 2 {
		ts = append(ts, &trainer{id: OpenCLParallel, open: func() (engine.Backend, error) {
			return opencl.NewParallel(o.Parallel, opencl.Options{Gemm: o.Gemm})
		}})
	}
	return ts
}

// backend returns the opened backend.
func (t *trainer) backend() (engine.Backend, error) {
	if t.b == nil && t.err == nil {
		t.b, t.err = t.open()
	}
	return t.b, t.err
}

func closeTrainers(ts []*trainer) error {
	var errs []error
	for _, t := range ts {
		if t.b != nil {
			errs = append(errs, t.b.Close())
		}
	}
	return errors.Join(errs...)
}

// sample runs prepare untimed, then f, and returns f's wall time (through
// the device's queue draining on OpenCL) and kernel time (OpenCL).
func (t *trainer) sample(b engine.Backend, prepare, f func() error) (Sample, error) {
	if err := prepare(); err != nil {
		return Sample{}, err
	}
	if t.cpu != nil {
		var s Sample
		err := t.cpu.with(func() error {
			start := time.Now()
			err := f()
			s.Wall = time.Since(start)
			return err
		})
		return s, err
	}
	if par, ok := b.(interface{ CommTime() time.Duration }); ok {
		comm := par.CommTime()
		start := time.Now()
		if err := f(); err != nil {
			return Sample{}, err
		}
		if err := b.Sync(); err != nil {
			return Sample{}, err
		}
		return Sample{Wall: time.Since(start), Comm: par.CommTime() - comm}, nil
	}
	prof, ok := b.(engine.Profiler)
	if !ok {
		return Sample{}, fmt.Errorf("backend %s cannot time its kernels", b.Name())
	}
	if _, err := prof.KernelTime(); err != nil { // forget prepare's kernels
		return Sample{}, err
	}
	start := time.Now()
	if err := f(); err != nil {
		return Sample{}, err
	}
	if err := b.Sync(); err != nil {
		return Sample{}, err
	}
	wall := time.Since(start)
	k, err := prof.KernelTime()
	return Sample{Wall: wall, Kernel: k}, err
}

// trainRun sets up a training case on every backend: each loads model
// with x, y and p, then runs prepare and the timed f on every run.
func trainRun(spec caseSpec, ts []*trainer, model engine.Model, x, y *mat.Dense, p engine.Params, prepare, f func(engine.Backend) error) *caseRun {
	c := &caseRun{spec: spec}
	for _, t := range ts {
		if t.id == OpenCLParallel && spec.group != GroupStep {
			continue // the flower run is too small to split
		}
		b, err := t.backend()
		if err == nil {
			err = b.Load(model, x, y, p)
		}
		if pr, ok := b.(engine.Preparer); ok && err == nil && t.id == OpenCLParallel {
			err = pr.Prepare(0) // the split by the devices' measured speed
		}
		c.add(t.id, func() (Sample, error) {
			return t.sample(b, func() error { return prepare(b) }, func() error { return f(b) })
		}, err)
	}
	return c
}

// stepRun sets up one full-batch training step of s: engine Backend.Step
// with eval set, that is forward pass, cost, backward pass and update, on
// random data.
func stepRun(s StepConfig, ts []*trainer, rng *rand.Rand) (*caseRun, error) {
	x := mat.NewDense(s.NX, s.M, uniform[float64](rng, s.NX*s.M))
	y := mat.NewDense(1, s.M, labels[float64](rng, s.M))
	model := s.Model()
	if s.Classes >= 2 {
		classes := mat.NewDense(1, s.M, nil)
		for j := range s.M {
			classes.Set(0, j, float64(rng.IntN(s.Classes)))
		}
		var err error
		if y, err = engine.OneHot(classes, s.Classes); err != nil {
			return nil, err
		}
	}
	p, err := model.Init(engine.Course, rng)
	if err != nil {
		return nil, err
	}
	spec := caseSpec{group: GroupStep, name: s.String(), op: "step", shape: []int{s.NX, s.NH, s.M}, flops: s.Flops()}
	step := func(b engine.Backend) error {
		_, err := b.Step(engine.Batch{Offset: 0, Size: s.M}, stepLR, true)
		return err
	}
	return trainRun(spec, ts, model, x, y, p, func(engine.Backend) error { return nil }, step), nil
}

// flowerRun sets up the flower run: the 2-4-1 network trained for iters
// full-batch iterations on the 400 flower points with engine.Train, as
// cltrain train runs it, starting afresh from the same parameters every
// run (the reload is not timed).
func flowerRun(iters int, ts []*trainer, rng *rand.Rand) (*caseRun, error) {
	set := dataset.Flower(dataset.FlowerSeed)
	nx, m := set.X.Dims()
	const nh = 4
	p, err := engine.NewModel(nx, nh).Init(engine.Course, rng)
	if err != nil {
		return nil, err
	}
	s := StepConfig{NX: nx, NH: nh, M: m}
	spec := caseSpec{group: GroupFlower, name: fmt.Sprintf("%d-%d-1 m=%d, %d iterations", nx, nh, m, iters), op: "flower",
		shape: []int{nx, nh, m, iters}, flops: float64(iters) * s.Flops()}
	cfg := engine.Config{Iters: iters, LR: flowerLR, LogEvery: flowerLogEvery}
	reload := func(b engine.Backend) error { return b.Load(engine.Model{Sizes: p.Sizes()}, set.X, set.Y, p) }
	train := func(b engine.Backend) error {
		_, err := engine.Train(context.Background(), b, m, cfg, engine.Hooks{})
		return err
	}
	return trainRun(spec, ts, engine.NewModel(nx, nh), set.X, set.Y, p, reload, train), nil
}
