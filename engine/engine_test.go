package engine

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
)

// problem returns a random classification problem with a learnable rule:
// the label is 1 where the first two features have the same sign.
func problem(rng *rand.Rand, nx, m int) (x, y *mat.Dense) {
	x, y = mat.NewDense(nx, m, nil), mat.NewDense(1, m, nil)
	for j := 0; j < m; j++ {
		for i := 0; i < nx; i++ {
			x.Set(i, j, rng.NormFloat64())
		}
		if x.At(0, j)*x.At(min(1, nx-1), j) > 0 {
			y.Set(0, j, 1)
		}
	}
	return x, y
}

func testParams(t *testing.T, sizes []int, seed uint64) Params {
	t.Helper()
	p, err := initParams(sizes, Course, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		t.Fatal(err)
	}
	// Scale up from the course's 0.01 so that every layer matters from the start.
	for l := range p.W {
		p.W[l].Scale(50, p.W[l])
	}
	return p
}

// slow wraps a backend so that every update queues stepTime of work,
// which Sync, Evaluate and Params wait for, as a device queue does.
type slow struct {
	Backend
	stepTime time.Duration
	queued   time.Duration
}

func (s *slow) wait() { time.Sleep(s.queued); s.queued = 0 }

func (s *slow) Step(b Batch, lr float64, eval bool) (Eval, error) {
	s.queued += s.stepTime
	if eval {
		s.wait()
	}
	return s.Backend.Step(b, lr, eval)
}

func (s *slow) Steps(first, n int, lr float64, logEvery int) ([]Eval, error) {
	s.queued += time.Duration(n) * s.stepTime
	return s.Backend.Steps(first, n, lr, logEvery)
}

func (s *slow) Sync() error { s.wait(); return s.Backend.Sync() }

func (s *slow) Evaluate() (Eval, error) { s.wait(); return s.Backend.Evaluate() }

func (s *slow) Params() (Params, error) { s.wait(); return s.Backend.Params() }

// TestInterruptWaitsOneChunk checks that the work queued when a run is
// interrupted is bounded by time, not by the steps to the next logged one:
// with 5 ms steps and a log every 10 000 steps, an interruption must end
// the run within a fraction of a second, not after the queue of 50 s.
func TestInterruptWaitsOneChunk(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 12))
	x, y := problem(rng, 2, 40)
	p := testParams(t, []int{2, 4, 1}, 13)
	for _, batch := range []int{0, 7} {
		t.Run(fmt.Sprintf("batch%d", batch), func(t *testing.T) {
			b := &slow{Backend: NewCPU(), stepTime: 5 * time.Millisecond}
			if err := b.Load(Model{Sizes: p.Sizes()}, x, y, p); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var cancelled time.Time
			go func() {
				time.Sleep(300 * time.Millisecond)
				cancelled = time.Now()
				cancel()
			}()
			shuffle := rand.New(rand.NewPCG(1, 1))
			cfg := Config{Iters: 1 << 20, LR: 1, LogEvery: 10000, Batch: batch, Shuffle: func(m int) []int { return shuffle.Perm(m) }}
			res, err := Train(ctx, b, 40, cfg, Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			// The chunks take about 50 ms; allow for a slow machine.
			if wait := time.Since(cancelled); !res.Interrupted || wait > time.Second {
				t.Errorf("interrupted=%v; the run ended %v after the interruption, want well under a second", res.Interrupted, wait)
			}
		})
	}
}

// TestAbsurdLossDiverges checks that a cost that stays finite but grows a
// thousandfold over the first one stops the run as divergence, with the
// last good parameters.
func TestAbsurdLossDiverges(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	x, y := problem(rng, 2, 40)
	p := testParams(t, []int{2, 4, 1}, 9)
	b := NewCPU()
	if err := b.Load(Model{Sizes: p.Sizes()}, x, y, p); err != nil {
		t.Fatal(err)
	}
	res, err := Train(context.Background(), &inflated{Backend: b, from: 30, by: 1e6}, 40, Config{Iters: 100, LR: 0.1, LogEvery: 10}, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Diverged || res.DivergedAt != 30 || !(res.DivergedCost > 1000*res.Records[0].Cost) {
		t.Fatalf("diverged=%v at %d with cost %g; want divergence at step 30", res.Diverged, res.DivergedAt, res.DivergedCost)
	}
	if err := res.Params.Validate(); err != nil {
		t.Errorf("parameters after divergence: %v", err)
	}
}

// inflated multiplies the evaluated costs from step from on by by.
type inflated struct {
	Backend
	from int
	by   float64
}

func (f *inflated) Steps(first, n int, lr float64, logEvery int) ([]Eval, error) {
	evals, err := f.Backend.Steps(first, n, lr, logEvery)
	if first >= f.from {
		for i := range evals {
			evals[i].Cost *= f.by
		}
	}
	return evals, err
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{
		{Iters: -1, LR: 1, LogEvery: 1},
		{Iters: 1, LR: 0, LogEvery: 1},
		{Iters: 1, LR: math.Inf(1), LogEvery: 1},
		{Iters: 1, LR: math.NaN(), LogEvery: 1},
		{Iters: 1, LR: 1, LogEvery: 0},
		{Iters: 1, LR: 1, LogEvery: 1, Batch: 11},
		{Iters: 1, LR: 1, LogEvery: 1, Batch: -1},
	} {
		if err := c.Validate(10); err == nil {
			t.Errorf("Config %+v accepted", c)
		}
	}
}

// TestModelValidate checks the one place a network description is judged:
// today's network passes, and each wrong part is named.
func TestModelValidate(t *testing.T) {
	if err := NewModel(2, 4, 3).Validate(); err != nil {
		t.Errorf("NewModel(2, 4, 3): %v", err)
	}
	for _, tc := range []struct {
		m    Model
		want string
	}{
		{Model{Sizes: []int{2, 1}}, "at least one hidden layer"},
		{NewModel(2, 0), "layer 1 has 0 units"},
		{Model{Sizes: []int{2, 4, 3}}, "1 unit, not 3"},
		{Model{Sizes: []int{2, 4, 1}, Hidden: 7}, "Activation(7)"},
		{Model{Sizes: []int{2, 4, 1}, Output: 7}, "Output(7)"},
		{Model{Sizes: []int{2, 4, 1}, Optimizer: 7}, "Optimizer(7)"},
	} {
		if err := tc.m.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one naming %q", tc.m, err, tc.want)
		}
	}
	// A backend refuses a kind it lacks, naming it.
	x, y := problem(rand.New(rand.NewPCG(1, 1)), 2, 10)
	p := testParams(t, []int{2, 4, 1}, 1)
	err := CheckLoad("test backend", NewModel(2, 4), x, y, p, []Activation{Tanh}, []Output{Sigmoid}, nil)
	if err == nil || !strings.Contains(err.Error(), "test backend: the sgd optimizer is not supported") {
		t.Errorf("CheckLoad without SGD: %v", err)
	}
	if err := NewModel(3, 4).Check(p); err == nil {
		t.Error("parameters of 2 features passed as those of a 3-feature model")
	}
	if _, err := ModelOf(p, 2, []int{5}, NewModel(2, 4)); err == nil || !strings.Contains(err.Error(), "[5] asked for, the parameters have [4]") {
		t.Errorf("ModelOf with other hidden sizes: %v", err)
	}
}
