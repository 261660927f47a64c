// Package engine trains neural-network classifiers in Go, on a GPU or any
// OpenCL device (package engine/opencl) or on the CPU (NewCPU, the float64
// reference), behind one Backend interface.
//
// # Quick start
//
// Describe the network as a Model, draw its initial parameters, open a
// backend and Fit:
//
//	set := dataset.Flower(1)                     // 400 points, 2 features
//	model := engine.NewModel(set.Features(), 4)  // 2-4-1: tanh hidden layer, sigmoid output, SGD
//	p, _ := model.Init(engine.Course, engine.Seed(1).Weights())
//	b, _ := opencl.New(dev, opencl.Options{})    // or engine.NewCPU()
//	defer b.Close()
//	res, _ := engine.Fit(ctx, b, model, set.X, set.Y, p,
//		engine.Config{Iters: 10000, LR: 1.2, LogEvery: 1000}, engine.Hooks{})
//	fmt.Println(res.Final.Cost, res.Final.Accuracy)    // 0.21775547 0.9075 on PoCL
//
// res.Params holds the trained parameters: save them with package
// checkpoint, resume from them with ModelOf, predict with Classify.
//
// # Pieces
//
// A Model is data: layer sizes, the hidden activation (Tanh, ReLU), the
// output with its loss (Sigmoid on the binary cross-entropy, Softmax over K
// classes on the categorical one), the optimizer (SGD, Momentum, Adam, with
// PyTorch's conventions and their Hyper parameters) and an L2 penalty,
// validated in one place (Model.Validate). Backends train what it asks or
// refuse it in Load (CheckLoad); a new layer kind, loss or optimizer
// extends the Model, the kernels and the backends. Params carry the
// optimizer's state (OptState), so a run saved and resumed continues
// exactly. Softmax labels are one-hot columns (OneHot). Config.Val scores
// each logged step on held-out data (Holdout) and Config.EarlyStop stops
// when that score stops improving, keeping the best parameters.
//
// A Backend runs whole passes: Load, Step (one update, optionally
// evaluated), Steps (a run of full-batch updates, which the OpenCL backend
// fuses for small networks), Evaluate, Params. Train drives a loaded
// backend through a Config in chunks of about 50 ms, waiting for each
// (Backend.Sync), so that an interruption (ctx) or a report waits for no
// more; it stops on a cost that is no longer finite or has grown a
// thousandfold (Result.Diverged) with the last good parameters. Fit is
// Load, Prepare and Train together. Optional interfaces give what only some
// backends have: Preparer (compile before the clock starts), Profiler
// (kernel times).
//
// The OpenCL backend keeps the data, parameters, activations and gradients
// on the device for the whole run and reads back only the costs asked for
// and the final parameters. Package engine/backendtest is the conformance
// suite every backend passes.
//
// Layout: examples are columns. X is n_x×m, Y is 1×m; layer l has W_l of
// shape n_l×n_{l−1} and b_l of shape n_l×1, row-major (gonum's mat.Dense).
package engine
