package engine

import (
	"context"
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/internal/nprand"
)

// Fit trains model on the examples x (n_x×m) with labels y (1×m) on b,
// starting from p: it loads everything into b, lets b prepare (Preparer,
// timed as Result.Setup), and runs cfg (Train). It is the whole of a run,
// for programs that do not drive the steps themselves.
func Fit(ctx context.Context, b Backend, model Model, x, y *mat.Dense, p Params, cfg Config, hooks Hooks) (Result, error) {
	_, m := x.Dims()
	if err := cfg.Validate(m); err != nil {
		return Result{}, err
	}
	if err := b.Load(model, x, y, p); err != nil {
		return Result{}, err
	}
	var setup time.Duration
	if pr, ok := b.(Preparer); ok {
		start := time.Now()
		if err := pr.Prepare(cfg.Batch); err != nil {
			return Result{}, err
		}
		setup = time.Since(start)
	}
	res, err := Train(ctx, b, m, cfg, hooks)
	res.Setup = setup
	return res, err
}

// Seed derives a run's random streams from one number as the course's
// flower run does from 1, each one numpy's legacy generator: the flower
// data from the seed itself (dataset.Flower), the initial weights from
// seed+1 and the mini-batch order from seed+2. With the course's sizes,
// Course scale and Seed(1), Model.Init gives numpy's parameters bit for bit.
type Seed int64

// Weights returns the generator of the initial weights, for Model.Init.
func (s Seed) Weights() Normal { return nprand.New(uint32(s + 1)) }

// Shuffle returns the generator of the epochs' example orders, for
// Config.Shuffle.
func (s Seed) Shuffle() func(m int) []int { return nprand.New(uint32(s + 2)).Permutation }

// Prediction is what a model says of a set of examples.
type Prediction struct {
	// Probs are the output probabilities A_L: 1×m for the sigmoid output
	// (the probability of class 1), K×m for the softmax (one per class).
	Probs *mat.Dense
	// Classes are the predicted classes: for the sigmoid output 1 where
	// the probability exceeds 0.5, else 0; for the softmax the most
	// probable class.
	Classes []int
	// Accuracy is the fraction of Classes equal to the labels; NaN when
	// there were no labels.
	Accuracy float64
}

// Classify predicts the class of every column of x with the network model
// of parameters p, in float64, and scores it against the class labels y
// (1×m: 0 or 1 for the sigmoid output, 0 … K−1 for the softmax) when y is
// not nil.
func Classify(model Model, p Params, x, y *mat.Dense) (Prediction, error) {
	probs, err := Predict(model, p, x)
	if err != nil {
		return Prediction{}, err
	}
	_, m := probs.Dims()
	pr := Prediction{Probs: probs, Classes: ClassOf(probs), Accuracy: math.NaN()}
	if y == nil {
		return pr, nil
	}
	if r, c := y.Dims(); r != 1 || c != m {
		return Prediction{}, fmt.Errorf("labels are %d×%d, want 1×%d", r, c, m)
	}
	right := 0
	for j, class := range pr.Classes {
		if float64(class) == y.At(0, j) {
			right++
		}
	}
	pr.Accuracy = float64(right) / float64(m)
	return pr, nil
}

// Evaluate returns the cost and accuracy of the network model with
// parameters p on the examples x with labels y in the form the model trains
// on (CheckData), in float64 by the reference ops, without the L2 penalty:
// the held-out score Train logs.
func Evaluate(model Model, p Params, x, y *mat.Dense) (Eval, error) {
	if err := model.Check(p); err != nil {
		return Eval{}, err
	}
	if err := model.CheckData(x, y); err != nil {
		return Eval{}, err
	}
	plain := model
	plain.L2 = 0
	return forward(plain, p, x).eval(y), nil
}
