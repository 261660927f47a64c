package engine_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/checkpoint"
	"github.com/cltrain/cltrain/dataset"
	"github.com/cltrain/cltrain/engine"
)

// The course's flower run on the float64 CPU reference: 400 points of two
// features, one hidden layer of 4 tanh units, 10 000 full-batch updates at
// a learning rate of 1.2.
func ExampleFit() {
	set := dataset.Flower(1)
	model := engine.NewModel(set.Features(), 4)
	p, err := model.Init(engine.Course, engine.Seed(1).Weights())
	if err != nil {
		log.Fatal(err)
	}
	b := engine.NewCPU()
	defer b.Close()
	cfg := engine.Config{Iters: 10000, LR: 1.2, LogEvery: 1000}
	res, err := engine.Fit(context.Background(), b, model, set.X, set.Y, p, cfg, engine.Hooks{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%v: loss %.4f, accuracy %.2f%%\n", model, res.Final.Cost, 100*res.Final.Accuracy)
	// Output: 2-4-1 tanh/sigmoid/sgd: loss 0.2179, accuracy 90.50%
}

// A run saved half way and resumed from its checkpoint ends where a run
// straight through ends.
func ExampleModelOf() {
	dir, err := os.MkdirTemp("", "cltrain-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	set := dataset.Flower(1)
	model := engine.NewModel(set.Features(), 4)
	p, _ := model.Init(engine.Course, engine.Seed(1).Weights())
	run := func(model engine.Model, p engine.Params, iters int) engine.Params {
		cfg := engine.Config{Iters: iters, LR: 1.2, LogEvery: 1000}
		res, err := engine.Fit(context.Background(), engine.NewCPU(), model, set.X, set.Y, p, cfg, engine.Hooks{})
		if err != nil {
			log.Fatal(err)
		}
		return res.Params
	}
	straight := run(model, p, 1000)

	path := filepath.Join(dir, "half.npz")
	half := run(model, p, 500)
	if err := checkpoint.Save(path, model, half); err != nil {
		log.Fatal(err)
	}
	resumedModel, saved, err := checkpoint.Load(path)
	if err != nil {
		log.Fatal(err)
	}
	// The checkpoint holds the model's kinds and the optimizer's state;
	// ModelOf checks it against the data it resumes on.
	resumedModel, err = engine.ModelOf(saved, set.Features(), nil, resumedModel)
	if err != nil {
		log.Fatal(err)
	}
	resumed := run(resumedModel, saved, 500)
	fmt.Println("layers", resumedModel.Sizes)
	fmt.Println("resumed", resumedModel, "at step", saved.Opt.Steps)
	fmt.Println("same W2 as the straight run:", mat.Equal(resumed.W[1], straight.W[1]))
	// Output:
	// layers [2 4 1]
	// resumed 2-4-1 tanh/sigmoid/sgd at step 500
	// same W2 as the straight run: true
}

// Classify predicts the class of every example and scores the predictions
// against the labels.
func ExampleClassify() {
	set := dataset.Flower(1)
	model := engine.NewModel(set.Features(), 4)
	p, _ := model.Init(engine.Course, engine.Seed(1).Weights())
	res, err := engine.Fit(context.Background(), engine.NewCPU(), model, set.X, set.Y, p,
		engine.Config{Iters: 2000, LR: 1.2, LogEvery: 1000}, engine.Hooks{})
	if err != nil {
		log.Fatal(err)
	}
	pred, err := engine.Classify(model, res.Params, set.X, set.Y)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("first five: %v, accuracy %.2f%%\n", pred.Classes[:5], 100*pred.Accuracy)
	// Output: first five: [0 1 1 1 0], accuracy 89.75%
}

// A multi-class network: scikit-learn's iris (3 classes), a ReLU hidden
// layer, a softmax output trained by Adam with an L2 penalty, a seeded
// 70/30 split scored at every logged step, stopping when the held-out
// loss stops improving.
func ExampleFit_softmax() {
	set, err := dataset.Load("../testdata/sklearn/iris.npz")
	if err != nil {
		log.Fatal(err)
	}
	classes := set.Classes()
	train, held, err := set.Split(0.3, 4)
	if err != nil {
		log.Fatal(err)
	}
	model := engine.NewModel(set.Features(), 16)
	model.Hidden, model.Output, model.Optimizer, model.L2 = engine.ReLU, engine.Softmax, engine.Adam, 0.01
	model.Sizes[2] = classes
	y, err := engine.OneHot(train.Y, classes)
	if err != nil {
		log.Fatal(err)
	}
	heldY, err := engine.OneHot(held.Y, classes)
	if err != nil {
		log.Fatal(err)
	}
	val, err := engine.Holdout(model, held.X, heldY)
	if err != nil {
		log.Fatal(err)
	}
	p, err := model.Init(engine.He, engine.Seed(1).Weights())
	if err != nil {
		log.Fatal(err)
	}
	cfg := engine.Config{Iters: 5000, LR: 0.02, LogEvery: 50, Val: val, EarlyStop: 4}
	res, err := engine.Fit(context.Background(), engine.NewCPU(), model, train.X, y, p, cfg, engine.Hooks{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(model)
	fmt.Printf("stopped early: %v, best step %d, held-out accuracy %.1f%%\n",
		res.StoppedEarly, res.Best.Step, 100**res.Best.ValAccuracy)
	pred, err := engine.Classify(model, res.Params, held.X, held.Y)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("classes of the first five held-out flowers: %v\n", pred.Classes[:5])
	// Output:
	// 4-16-3 relu/softmax/adam l2=0.01
	// stopped early: true, best step 100, held-out accuracy 95.6%
	// classes of the first five held-out flowers: [2 0 2 2 2]
}
