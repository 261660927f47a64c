// Package backendtest is the conformance suite of engine.Backend: every
// behaviour a training backend must have, written once and run against each
// implementation, as gonum's testblas is for BLAS implementations.
//
// Run takes the implementations to check and runs each test as a subtest
// per implementation (TestName/impl), so an implementation that is absent
// here (no OpenCL device) skips its own rows only. The tests draw random
// problems from a seed, 1 unless CLTRAIN_TEST_SEED gives another, which is
// printed when a test fails. The seed is fixed by default because float32
// trajectories drift from float64 ones by how well a problem is
// conditioned: over hundreds of steps some random problems amplify
// rounding past any tolerance that would still catch a wrong kernel.
package backendtest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/dataset"
	"github.com/cltrain/cltrain/engine"
)

// EnvSeed names the variable that fixes the suite's random seed.
const EnvSeed = "CLTRAIN_TEST_SEED"

// Impl is one implementation under test.
type Impl struct {
	// Name labels the implementation's subtests.
	Name string
	// Open returns a new, empty backend. It skips t (t.Skip) when the
	// implementation cannot run here, and fails t when it should but does not.
	Open func(t testing.TB) engine.Backend
	// Tol is the relative tolerance of its costs against the float64
	// reference over the first 100 steps of a run (1e-4 suits float32
	// backends); later steps get ten times as much, as rounding differences
	// grow along a trajectory, while a wrong kernel is far off at once.
	Tol float64
}

// Run runs every conformance test against every implementation.
func Run(t *testing.T, impls ...Impl) {
	for _, test := range []struct {
		name string
		run  func(t *testing.T, impl Impl, rng *rand.Rand)
	}{
		{"AgreesWithReference", agreesWithReference},
		{"FlowerAgreesWithReference", flowerAgrees},
		{"ParamsRoundTrip", paramsRoundTrip},
		{"EvaluateMatchesStep", evaluateMatchesStep},
		{"InputsUnmodified", inputsUnmodified},
		{"DivergenceKeepsLastGood", divergenceKeepsLastGood},
		{"HugeLearningRateDiverges", hugeLearningRate},
		{"InterruptStops", interruptStops},
		{"KindsAgreeWithReference", kindsAgree},
		{"GradientsAgreeWithReference", gradientsAgree},
		{"OptimizerStateRoundTrip", stateRoundTrip},
		{"OptimizerStateLoadParams", stateLoadParams},
	} {
		t.Run(test.name, func(t *testing.T) {
			for _, impl := range impls {
				t.Run(impl.Name, func(t *testing.T) {
					seed := suiteSeed(t)
					defer func() {
						if t.Failed() {
							t.Logf("seed %d (%s=%d replays it)", seed, EnvSeed, seed)
						}
					}()
					test.run(t, impl, rand.New(rand.NewPCG(seed, 0)))
				})
			}
		})
	}
}

// suiteSeed returns $CLTRAIN_TEST_SEED, else 1.
func suiteSeed(t *testing.T) uint64 {
	if s := os.Getenv(EnvSeed); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", EnvSeed, s, err)
		}
		return v
	}
	return 1
}

// Problem returns a random classification problem with a learnable rule:
// the label is 1 where the first two features have the same sign.
func Problem(rng *rand.Rand, nx, m int) (x, y *mat.Dense) {
	x, y = mat.NewDense(nx, m, nil), mat.NewDense(1, m, nil)
	for j := range m {
		for i := range nx {
			x.Set(i, j, rng.NormFloat64())
		}
		if x.At(0, j)*x.At(min(1, nx-1), j) > 0 {
			y.Set(0, j, 1)
		}
	}
	return x, y
}

// Params returns random parameters for the layer sizes, N(0, 1)·0.5, large
// enough that every layer matters from the first step; an output layer of
// more than one unit is a softmax's.
func Params(t testing.TB, rng *rand.Rand, sizes []int) engine.Params {
	t.Helper()
	model := engine.Model{Sizes: sizes}
	if len(sizes) > 0 && sizes[len(sizes)-1] > 1 {
		model.Output = engine.Softmax
	}
	p, err := model.Init(engine.Course, rng)
	if err != nil {
		t.Fatal(err)
	}
	for l := range p.W {
		p.W[l].Scale(50, p.W[l])
	}
	return p
}

// open opens a backend of impl, loads x, y and p into it, and closes it
// when the test ends.
func open(t *testing.T, impl Impl, x, y *mat.Dense, p engine.Params) engine.Backend {
	t.Helper()
	b := impl.Open(t)
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	if err := b.Load(engine.Model{Sizes: p.Sizes()}, x, y, p); err != nil {
		t.Fatalf("load: %v", err)
	}
	return b
}

// train runs cfg on b over m examples.
func train(t *testing.T, b engine.Backend, m int, cfg engine.Config) engine.Result {
	t.Helper()
	res, err := engine.Train(context.Background(), b, m, cfg, engine.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// agreesWithReference runs the same problem on impl and on the float64 CPU
// reference and compares the cost of every iteration, full-batch and
// mini-batch, one and two hidden layers.
func agreesWithReference(t *testing.T, impl Impl, rng *rand.Rand) {
	for _, tc := range []struct {
		name         string
		sizes        []int
		m            int
		batch, iters int
		lr           float64
	}{
		{"full/5-7-1", []int{5, 7, 1}, 397, 0, 1000, 1.2},
		{"full/3-9-6-1", []int{3, 9, 6, 1}, 203, 0, 100, 0.5},
		{"batch/5-7-1", []int{5, 7, 1}, 397, 64, 300, 0.3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, y := Problem(rng, tc.sizes[0], tc.m)
			p := Params(t, rng, tc.sizes)
			shuffleSeed := rng.Uint64()
			run := func(b engine.Backend) []engine.Record {
				shuffle := rand.New(rand.NewPCG(shuffleSeed, 0))
				cfg := engine.Config{Iters: tc.iters, LR: tc.lr, Batch: tc.batch, LogEvery: 1, Shuffle: func(m int) []int { return shuffle.Perm(m) }}
				res := train(t, b, tc.m, cfg)
				if len(res.Records) != tc.iters+1 {
					t.Fatalf("%d records, want %d", len(res.Records), tc.iters+1)
				}
				return res.Records
			}
			ref := run(open(t, reference, x, y, p))
			if last := ref[len(ref)-1]; last.Cost > 0.97*ref[0].Cost {
				t.Fatalf("the reference did not learn: cost %v → %v", ref[0].Cost, last.Cost)
			}
			compare(t, impl, run(open(t, impl, x, y, p)), ref)
		})
	}
}

// compare fails t at the first record whose cost is not within impl's
// tolerance of the reference's.
func compare(t *testing.T, impl Impl, got, ref []engine.Record) {
	t.Helper()
	for i, r := range got {
		tol := impl.Tol
		if r.Step > 100 {
			tol *= 10
		}
		if r.Step != ref[i].Step || !scalar.EqualWithinRel(r.Cost, ref[i].Cost, tol) {
			t.Fatalf("step %d: cost %.9g, float64 reference step %d %.9g (tolerance %g)", r.Step, r.Cost, ref[i].Step, ref[i].Cost, tol)
		}
	}
}

// reference is the float64 CPU backend the others are checked against.
var reference = Impl{Name: "cpu", Open: func(testing.TB) engine.Backend { return engine.NewCPU() }}

// flowerAgrees checks impl against the float64 reference on the flower
// run: the cost of each of the first 1000 iterations within the tolerance,
// and at least 88 % training accuracy after 10 000.
func flowerAgrees(t *testing.T, impl Impl, _ *rand.Rand) {
	set := dataset.Flower(dataset.FlowerSeed)
	p, err := engine.NewModel(2, 4).Init(engine.Course, engine.Seed(dataset.FlowerSeed).Weights())
	if err != nil {
		t.Fatal(err)
	}
	cfg := engine.Config{Iters: 1000, LR: 1.2, LogEvery: 1}
	ref := train(t, open(t, reference, set.X, set.Y, p), 400, cfg)
	b := open(t, impl, set.X, set.Y, p)
	compare(t, impl, train(t, b, 400, cfg).Records, ref.Records)
	if err := b.Load(engine.Model{Sizes: p.Sizes()}, set.X, set.Y, p); err != nil {
		t.Fatal(err)
	}
	res := train(t, b, 400, engine.Config{Iters: 10000, LR: 1.2, LogEvery: 1000})
	if res.Final.Accuracy < 0.88 {
		t.Errorf("accuracy %.4f after 10 000 iterations, want ≥ 0.88", res.Final.Accuracy)
	}
}

// paramsRoundTrip checks that Load then Params returns the parameters (to
// float32 precision on float32 backends).
func paramsRoundTrip(t *testing.T, impl Impl, rng *rand.Rand) {
	x, y := Problem(rng, 3, 17)
	p := Params(t, rng, []int{3, 5, 4, 1})
	q, err := open(t, impl, x, y, p).Params()
	if err != nil {
		t.Fatal(err)
	}
	for l := range p.W {
		if !mat.EqualApprox(p.W[l], q.W[l], 1e-6) || !mat.EqualApprox(p.B[l], q.B[l], 1e-6) {
			t.Errorf("layer %d parameters changed in the round trip", l+1)
		}
	}
}

// evaluateMatchesStep checks that Evaluate and an evaluated Step report the
// same forward pass, and that the Step then lowers the cost.
func evaluateMatchesStep(t *testing.T, impl Impl, rng *rand.Rand) {
	x, y := Problem(rng, 2, 50)
	b := open(t, impl, x, y, Params(t, rng, []int{2, 4, 1}))
	e1, err := b.Evaluate()
	if err != nil {
		t.Fatal(err)
	}
	e2, err := b.Step(engine.Batch{Offset: 0, Size: 50}, 0.1, true)
	if err != nil {
		t.Fatal(err)
	}
	e3, err := b.Evaluate()
	if err != nil {
		t.Fatal(err)
	}
	if !scalar.EqualWithinRel(e1.Cost, e2.Cost, 1e-6) || e1.Accuracy != e2.Accuracy {
		t.Errorf("Evaluate %+v, Step %+v", e1, e2)
	}
	if e3.Cost >= e2.Cost {
		t.Errorf("a step did not lower the cost: %v → %v", e2.Cost, e3.Cost)
	}
}

// inputsUnmodified checks that loading and training leave the caller's
// data and parameters as they were, bit for bit.
func inputsUnmodified(t *testing.T, impl Impl, rng *rand.Rand) {
	x, y := Problem(rng, 3, 41)
	p := Params(t, rng, []int{3, 6, 1})
	x0, y0, p0 := mat.DenseCopyOf(x), mat.DenseCopyOf(y), p.Clone()
	b := open(t, impl, x, y, p)
	shuffle := rand.New(rand.NewPCG(rng.Uint64(), 0))
	train(t, b, 41, engine.Config{Iters: 20, LR: 0.5, LogEvery: 5})
	train(t, b, 41, engine.Config{Iters: 20, LR: 0.5, LogEvery: 5, Batch: 8, Shuffle: func(m int) []int { return shuffle.Perm(m) }})
	same := func(a, b *mat.Dense) bool {
		ra, rb := a.RawMatrix().Data, b.RawMatrix().Data
		for i := range ra {
			if math.Float64bits(ra[i]) != math.Float64bits(rb[i]) {
				return false
			}
		}
		return len(ra) == len(rb)
	}
	if !same(x, x0) || !same(y, y0) {
		t.Error("training modified the data")
	}
	for l := range p.W {
		if !same(p.W[l], p0.W[l]) || !same(p.B[l], p0.B[l]) {
			t.Errorf("training modified the caller's layer %d parameters", l+1)
		}
	}
}

// poisoned reports a NaN cost for every evaluated step from nanAt on, as a
// diverging full-batch run would.
type poisoned struct {
	engine.Backend
	nanAt int
}

func (p *poisoned) Steps(first, n int, lr float64, logEvery int) ([]engine.Eval, error) {
	evals, err := p.Backend.Steps(first, n, lr, logEvery)
	i := 0
	for s := first; s < first+n && i < len(evals); s++ {
		if s%logEvery == 0 {
			if s >= p.nanAt {
				evals[i].Cost = math.NaN()
			}
			i++
		}
	}
	return evals, err
}

// divergenceKeepsLastGood checks that a non-finite cost stops the run at
// once with the parameters of the last finite evaluation.
func divergenceKeepsLastGood(t *testing.T, impl Impl, rng *rand.Rand) {
	x, y := Problem(rng, 2, 40)
	p := Params(t, rng, []int{2, 4, 1})
	b := open(t, impl, x, y, p)
	// The parameters before step 20, the last evaluated step before the NaN at 27.
	if _, err := b.Steps(0, 20, 1, 10); err != nil {
		t.Fatal(err)
	}
	want, err := b.Params()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Load(engine.Model{Sizes: p.Sizes()}, x, y, p); err != nil {
		t.Fatal(err)
	}
	res := train(t, &poisoned{Backend: b, nanAt: 27}, 40, engine.Config{Iters: 100, LR: 1, LogEvery: 10})
	if !res.Diverged || res.DivergedAt != 30 || res.Steps != 30 {
		t.Fatalf("diverged=%v at %d after %d steps, want a stop at the evaluation of step 30", res.Diverged, res.DivergedAt, res.Steps)
	}
	for l := range want.W {
		if !mat.Equal(want.W[l], res.Params.W[l]) || !mat.Equal(want.B[l], res.Params.B[l]) {
			t.Errorf("layer %d parameters are not those of step 20", l+1)
		}
	}
}

// hugeLearningRate checks that a real blow-up (a learning rate of 1e38,
// which overflows float32) is caught as divergence with sound parameters.
func hugeLearningRate(t *testing.T, impl Impl, rng *rand.Rand) {
	x, y := Problem(rng, 2, 40)
	res := train(t, open(t, impl, x, y, Params(t, rng, []int{2, 4, 1})), 40, engine.Config{Iters: 50, LR: 1e38, LogEvery: 1})
	if !res.Diverged {
		t.Fatal("a learning rate of 1e38 did not diverge")
	}
	if err := res.Params.Validate(); err != nil {
		t.Errorf("parameters after divergence at step %d: %v", res.DivergedAt, err)
	}
}

// interruptStops cancels runs from the progress hook: both mini-batch and
// full-batch runs stop at the end of the current chunk, with a record of
// the final parameters at the step reached.
func interruptStops(t *testing.T, impl Impl, rng *rand.Rand) {
	x, y := Problem(rng, 2, 40)
	p := Params(t, rng, []int{2, 4, 1})
	for _, batch := range []int{0, 7} {
		t.Run(fmt.Sprintf("batch%d", batch), func(t *testing.T) {
			b := open(t, impl, x, y, p)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			shuffle := rand.New(rand.NewPCG(rng.Uint64(), 0))
			cfg := engine.Config{Iters: 1 << 30, LR: 0.1, LogEvery: 1 << 29, Batch: batch, Shuffle: func(m int) []int { return shuffle.Perm(m) }}
			calls, cancelledAt := 0, 0
			res, err := engine.Train(ctx, b, 40, cfg, engine.Hooks{Progress: func(done int, _ float64) {
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
