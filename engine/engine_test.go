package engine

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/internal/cltest"
)

// backends are the implementations every conformance test runs against.
var backends = []struct {
	name string
	open func(t *testing.T) Backend
}{
	{"cpu", func(t *testing.T) Backend { return NewCPU() }},
	{"opencl", func(t *testing.T) Backend {
		b, err := NewOpenCL(cltest.Device(t), OpenCLOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}},
	{"opencl-unfused", func(t *testing.T) Backend {
		b, err := NewOpenCL(cltest.Device(t), OpenCLOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b.NoFusion = true
		return b
	}},
	{"cpu32", func(t *testing.T) Backend { return NewCPU32() }},
}

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

func initParams(t *testing.T, sizes []int, seed uint64) Params {
	t.Helper()
	p, err := Init(sizes, Course, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		t.Fatal(err)
	}
	// Scale up from the course's 0.01 so that every layer matters from the start.
	for l := range p.W {
		p.W[l].Scale(50, p.W[l])
	}
	return p
}

func closeBackend(t *testing.T, b Backend) {
	if err := b.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
}

// TestBackendsAgree runs the same problem on every backend and compares the
// cost of every iteration with the CPU reference, full-batch and mini-batch,
// one and two hidden layers.
func TestBackendsAgree(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sizes  []int
		m      int
		batch  int
		iters  int
		lr     float64
		relTol float64
	}{
		{"full/5-7-1", []int{5, 7, 1}, 397, 0, 1000, 1.2, 1e-4},
		{"full/3-9-6-1", []int{3, 9, 6, 1}, 203, 0, 100, 0.5, 1e-4},
		{"batch/5-7-1", []int{5, 7, 1}, 397, 64, 300, 0.3, 1e-4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			x, y := problem(rng, tc.sizes[0], tc.m)
			p := initParams(t, tc.sizes, 3)
			var ref []Record
			for _, bk := range backends {
				b := bk.open(t)
				defer closeBackend(t, b)
				if err := b.Load(x, y, p); err != nil {
					t.Fatal(err)
				}
				shuffle := rand.New(rand.NewPCG(9, 9))
				cfg := Config{Iters: tc.iters, LR: tc.lr, Batch: tc.batch, LogEvery: 1, Shuffle: func(m int) []int { return shuffle.Perm(m) }}
				res, err := Train(context.Background(), b, tc.m, cfg, Hooks{})
				if err != nil {
					t.Fatalf("%s: %v", bk.name, err)
				}
				if len(res.Records) != tc.iters+1 {
					t.Fatalf("%s: %d records, want %d", bk.name, len(res.Records), tc.iters+1)
				}
				if ref == nil {
					ref = res.Records
					if last := ref[len(ref)-1]; last.Cost > 0.9*ref[0].Cost {
						t.Fatalf("reference did not learn: cost %v → %v", ref[0].Cost, last.Cost)
					}
					continue
				}
				for i, r := range res.Records {
					if !scalar.EqualWithinRel(r.Cost, ref[i].Cost, tc.relTol) {
						t.Fatalf("%s: step %d cost %.9g, cpu %.9g", bk.name, r.Step, r.Cost, ref[i].Cost)
					}
				}
			}
		})
	}
}

// TestParamsRoundTrip checks that Load then Params returns the parameters
// (to float32 precision on the device).
func TestParamsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	x, y := problem(rng, 3, 17)
	p := initParams(t, []int{3, 5, 1}, 5)
	for _, bk := range backends {
		b := bk.open(t)
		defer closeBackend(t, b)
		if err := b.Load(x, y, p); err != nil {
			t.Fatal(err)
		}
		q, err := b.Params()
		if err != nil {
			t.Fatal(err)
		}
		for l := range p.W {
			if !mat.EqualApprox(p.W[l], q.W[l], 1e-7) || !mat.EqualApprox(p.B[l], q.B[l], 1e-7) {
				t.Errorf("%s: layer %d parameters changed in the round trip", bk.name, l+1)
			}
		}
	}
}

// TestEvaluateMatchesStep checks that Evaluate and an evaluated Step report
// the same forward pass, and that Step then changes the parameters.
func TestEvaluateMatchesStep(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	x, y := problem(rng, 2, 50)
	p := initParams(t, []int{2, 4, 1}, 7)
	for _, bk := range backends {
		b := bk.open(t)
		defer closeBackend(t, b)
		if err := b.Load(x, y, p); err != nil {
			t.Fatal(err)
		}
		e1, err := b.Evaluate()
		if err != nil {
			t.Fatal(err)
		}
		e2, err := b.Step(Batch{0, 50}, 1, true)
		if err != nil {
			t.Fatal(err)
		}
		e3, _ := b.Evaluate()
		if !scalar.EqualWithinRel(e1.Cost, e2.Cost, 1e-6) || e1.Accuracy != e2.Accuracy {
			t.Errorf("%s: Evaluate %+v, Step %+v", bk.name, e1, e2)
		}
		if e3.Cost >= e2.Cost {
			t.Errorf("%s: a step did not lower the cost: %v → %v", bk.name, e2.Cost, e3.Cost)
		}
	}
}

// poisoned reports a NaN cost for every evaluated step from nanAt on, as a
// diverging full-batch run would.
type poisoned struct {
	Backend
	nanAt int
}

func (p *poisoned) Steps(first, n int, lr float64, logEvery int) ([]Eval, error) {
	evals, err := p.Backend.Steps(first, n, lr, logEvery)
	i := 0
	for s := first; s < first+n; s++ {
		if s%logEvery == 0 {
			if s >= p.nanAt {
				evals[i].Cost = math.NaN()
			}
			i++
		}
	}
	return evals, err
}

// TestDivergenceKeepsLastGoodParams checks that a non-finite cost stops the
// run at once with the parameters of the last finite evaluation.
func TestDivergenceKeepsLastGoodParams(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	x, y := problem(rng, 2, 40)
	p := initParams(t, []int{2, 4, 1}, 9)
	for _, bk := range backends {
		b := bk.open(t)
		defer closeBackend(t, b)
		if err := b.Load(x, y, p); err != nil {
			t.Fatal(err)
		}
		// Snapshot the parameters before step 20, the last evaluated step before the NaN at 27.
		if _, err := b.Steps(0, 20, 1, 10); err != nil {
			t.Fatal(err)
		}
		want, _ := b.Params()
		if err := b.Load(x, y, p); err != nil {
			t.Fatal(err)
		}
		res, err := Train(context.Background(), &poisoned{Backend: b, nanAt: 27}, 40, Config{Iters: 100, LR: 1, LogEvery: 10}, Hooks{})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Diverged || res.DivergedAt != 30 || res.Steps != 30 {
			t.Fatalf("%s: diverged=%v at %d after %d steps, want a stop at the evaluation of step 30", bk.name, res.Diverged, res.DivergedAt, res.Steps)
		}
		for l := range want.W {
			if !mat.Equal(want.W[l], res.Params.W[l]) || !mat.Equal(want.B[l], res.Params.B[l]) {
				t.Errorf("%s: layer %d parameters are not those of step 20", bk.name, l+1)
			}
		}
	}
}

// TestHugeLearningRateDiverges checks that a real float32 overflow is caught.
func TestHugeLearningRateDiverges(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	x, y := problem(rng, 2, 40)
	p := initParams(t, []int{2, 4, 1}, 9)
	b := backends[2].open(t)
	defer closeBackend(t, b)
	if err := b.Load(x, y, p); err != nil {
		t.Fatal(err)
	}
	res, err := Train(context.Background(), b, 40, Config{Iters: 50, LR: 1e38, LogEvery: 1}, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Diverged {
		t.Fatalf("a learning rate of 1e38 did not diverge in float32")
	}
	if err := res.Params.Validate(); err != nil {
		t.Errorf("parameters after divergence at step %d: %v", res.DivergedAt, err)
	}
}

// TestInterruptStops cancels runs from the progress hook: both mini-batch
// and full-batch runs stop at the end of the current chunk, with a record
// of the final parameters at the step reached.
func TestInterruptStops(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	x, y := problem(rng, 2, 40)
	p := initParams(t, []int{2, 4, 1}, 11)
	for _, batch := range []int{0, 7} {
		for _, bk := range backends {
			t.Run(fmt.Sprintf("%s/batch%d", bk.name, batch), func(t *testing.T) {
				b := bk.open(t)
				defer closeBackend(t, b)
				if err := b.Load(x, y, p); err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				shuffle := rand.New(rand.NewPCG(1, 1))
				cfg := Config{Iters: 1 << 30, LR: 1, LogEvery: 1 << 29, Batch: batch, Shuffle: func(m int) []int { return shuffle.Perm(m) }}
				calls, cancelledAt := 0, 0
				res, err := Train(ctx, b, 40, cfg, Hooks{Progress: func(done int, _ float64) {
					if calls++; calls == 20 {
						cancelledAt = done
						cancel()
					}
				}})
				if err != nil {
					t.Fatal(err)
				}
				last := res.Records[len(res.Records)-1]
				if !res.Interrupted || res.Steps != cancelledAt || last.Step != cancelledAt {
					t.Errorf("interrupted=%v after %d steps, last record %+v; want a stop at step %d, where the chunk ended", res.Interrupted, res.Steps, last, cancelledAt)
				}
			})
		}
	}
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
	p := initParams(t, []int{2, 4, 1}, 13)
	for _, batch := range []int{0, 7} {
		t.Run(fmt.Sprintf("batch%d", batch), func(t *testing.T) {
			b := &slow{Backend: backends[0].open(t), stepTime: 5 * time.Millisecond}
			defer closeBackend(t, b)
			if err := b.Load(x, y, p); err != nil {
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
	p := initParams(t, []int{2, 4, 1}, 9)
	b := backends[0].open(t)
	defer closeBackend(t, b)
	if err := b.Load(x, y, p); err != nil {
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

// TestPrepareKeepsParams checks that Prepare, which runs a step with a
// learning rate of 0 to get the kernels compiled, leaves every bit of the
// parameters as it was, full-batch and mini-batch.
func TestPrepareKeepsParams(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 14))
	x, y := problem(rng, 3, 37)
	p := initParams(t, []int{3, 5, 4, 1}, 15)
	p1 := initParams(t, []int{3, 5, 1}, 16)
	for _, bk := range backends[1:] {
		for _, params := range []Params{p, p1} {
			for _, batch := range []int{0, 7} {
				t.Run(fmt.Sprintf("%s/%v/batch%d", bk.name, params.Sizes(), batch), func(t *testing.T) {
					b := bk.open(t)
					defer closeBackend(t, b)
					if err := b.Load(x, y, params); err != nil {
						t.Fatal(err)
					}
					pr, ok := b.(Preparer)
					if !ok {
						t.Skipf("%s has no Prepare", bk.name)
					}
					if err := pr.Prepare(batch); err != nil {
						t.Fatal(err)
					}
					got, err := b.Params()
					if err != nil {
						t.Fatal(err)
					}
					for l := range params.W {
						for _, pair := range [][2]*mat.Dense{{got.W[l], params.W[l]}, {got.B[l], params.B[l]}} {
							g, w := pair[0].RawMatrix().Data, pair[1].RawMatrix().Data
							for i := range w {
								if float32(g[i]) != float32(w[i]) {
									t.Fatalf("layer %d element %d: %v after Prepare, %v before", l+1, i, g[i], w[i])
								}
							}
						}
					}
				})
			}
		}
	}
}
