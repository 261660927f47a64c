package engine

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestResumeIsExact runs 2N updates straight and N, Params, a fresh
// backend loaded with them (optimizer state included), N more: for every
// optimizer the two runs end with the same parameters and state bit for bit
// on the CPU backend. Without the state, momentum and Adam would differ.
func TestResumeIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	x, y := problem(rng, 3, 31)
	for _, opt := range []Optimizer{SGD, Momentum, Adam} {
		t.Run(opt.String(), func(t *testing.T) {
			model := NewModel(3, 6, 4)
			model.Optimizer, model.Hidden, model.L2 = opt, ReLU, 0.1
			p := testParams(t, model.Sizes, 2)
			run := func(p Params, n int) Params {
				res, err := Fit(context.Background(), NewCPU(), model, x, y, p, Config{Iters: n, LR: 0.03, LogEvery: 5}, Hooks{})
				if err != nil {
					t.Fatal(err)
				}
				return res.Params
			}
			straight := run(p, 14)
			half := run(p, 7)
			if half.Opt.Steps != 7 || len(half.Opt.Slots) != opt.Slots() {
				t.Fatalf("state after 7 steps: %d steps, %d tensors", half.Opt.Steps, len(half.Opt.Slots))
			}
			resumed := run(half, 7)
			if !sameParams(resumed, straight) {
				t.Error("resumed run differs from the straight one")
			}
			for k := range straight.Opt.Slots {
				if !sameParams(resumed.Opt.Slots[k], straight.Opt.Slots[k]) {
					t.Errorf("optimizer state %d differs", k+1)
				}
			}
			if opt != SGD {
				fresh := half.Clone()
				fresh.Opt = OptState{}
				if sameParams(run(fresh, 7), straight) {
					t.Error("a resume without the optimizer state matched too: the test cannot tell")
				}
			}
		})
	}
}

func sameParams(a, b Params) bool {
	if len(a.W) != len(b.W) {
		return false
	}
	for l := range a.W {
		if !mat.Equal(a.W[l], b.W[l]) || !mat.Equal(a.B[l], b.B[l]) {
			return false
		}
	}
	return true
}

// TestHoldoutAndEarlyStop trains with a held-out scorer whose costs are
// scripted: the records carry the held-out columns, the run stops after
// EarlyStop evaluations without a lower held-out cost, and its parameters
// are those of the best evaluation.
func TestHoldoutAndEarlyStop(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	x, y := problem(rng, 2, 40)
	model := NewModel(2, 3)
	p := testParams(t, model.Sizes, 3)
	costs := []float64{0.9, 0.7, 0.5, 0.6, 0.55, 0.8, 0.1}
	var seen []Params
	val := func(q Params) (Eval, error) {
		seen = append(seen, q.Clone())
		return Eval{Cost: costs[len(seen)-1], Accuracy: 0.5}, nil
	}
	cfg := Config{Iters: 60, LR: 0.5, LogEvery: 10, Val: val, EarlyStop: 3}
	res, err := Fit(context.Background(), NewCPU(), model, x, y, p, cfg, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.StoppedEarly || res.Steps != 50 || len(res.Records) != 6 {
		t.Fatalf("stopped early %v at step %d with %d records, want true, 50, 6", res.StoppedEarly, res.Steps, len(res.Records))
	}
	if res.Best == nil || res.Best.Step != 20 || *res.Best.ValCost != 0.5 {
		t.Fatalf("best record %+v, want step 20 at 0.5", res.Best)
	}
	if !sameParams(res.Params, seen[2]) {
		t.Error("the run's parameters are not those of the best evaluation")
	}
	if res.Final != res.Best.Eval {
		t.Errorf("final %+v, want the best record's %+v", res.Final, res.Best.Eval)
	}
	line, err := json.Marshal(res.Records[2])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(line), `"val_loss":0.5,"val_accuracy":0.5`) {
		t.Errorf("record as JSON: %s", line)
	}
	if err := (Config{Iters: 1, LR: 1, LogEvery: 1, EarlyStop: 2}).Validate(10); err == nil {
		t.Error("EarlyStop without Val accepted")
	}
}

// TestHoldoutScoresHeldOutData checks Holdout against Evaluate on the
// held-out set and that it refuses data of the wrong form.
func TestHoldoutScoresHeldOutData(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := problem(rng, 2, 30)
	model := NewModel(2, 3)
	model.L2 = 5 // the held-out score leaves the penalty out
	p := testParams(t, model.Sizes, 4)
	val, err := Holdout(model, x, y)
	if err != nil {
		t.Fatal(err)
	}
	got, err := val(p)
	if err != nil {
		t.Fatal(err)
	}
	plain := model
	plain.L2 = 0
	if want := forward(plain, p, x).eval(y); got != want {
		t.Errorf("held-out score %+v, want %+v", got, want)
	}
	if _, err := Holdout(model, x, mat.NewDense(2, 30, nil)); err == nil {
		t.Error("held-out labels of 2 rows accepted for a sigmoid output")
	}
}
