package engine

import (
	"fmt"
	"time"

	"gonum.org/v1/gonum/mat"
)

// Batch is a window of the current example order: the examples at positions
// Offset … Offset+Size−1 of the permutation last given to Shuffle (or of the
// natural order before any Shuffle).
type Batch struct {
	Offset, Size int
}

// Eval is the cost and training accuracy of one forward pass.
type Eval struct {
	Cost     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"` // fraction of examples with (A2 > 0.5) == Y
}

// Backend runs the passes of training. An iteration is one Step: the
// forward pass, the cost when asked, the backward pass and the update.
type Backend interface {
	// Name describes the backend and its device or BLAS.
	Name() string
	// Load copies the training set (X n_x×m, Y 1×m) and the initial
	// parameters of model m to the backend, or refuses a model it cannot
	// train (CheckLoad).
	Load(m Model, x, y *mat.Dense, p Params) error
	// Shuffle sets the example order that later batches are windows of.
	Shuffle(perm []int) error
	// Step runs one iteration on b with learning rate lr. When eval is set it
	// returns the cost and accuracy of this iteration's forward pass, that is
	// of the parameters before its update.
	Step(b Batch, lr float64, eval bool) (Eval, error)
	// Steps runs n full-batch iterations counted from step first and returns
	// the Eval of each step divisible by logEvery, in order. A backend may
	// fuse them (the OpenCL backend runs small networks in one launch); it
	// need not wait for them unless it returns Evals.
	Steps(first, n int, lr float64, logEvery int) ([]Eval, error)
	// Sync waits until every operation queued so far has finished. Train
	// calls it after each chunk of steps, so that the work queued at any time
	// is one chunk and an interruption waits for no more.
	Sync() error
	// Evaluate returns the cost and accuracy of the current parameters on the
	// whole training set.
	Evaluate() (Eval, error)
	// Params returns a host copy of the current parameters.
	Params() (Params, error)
	// Close frees what the backend holds.
	Close() error
}

// Preparer is implemented by backends that do work once before a run,
// which should not be timed as training: the OpenCL backend builds its
// kernel programs, and drivers such as PoCL finish compiling a kernel at
// its first launch.
type Preparer interface {
	// Prepare gets ready for a run with the given Config.Batch (0: the
	// whole set) without changing the parameters, and waits until it is.
	Prepare(batch int) error
}

// Profiler is implemented by backends that can time their own device work
// (the OpenCL backend, opened with profiling), for benchmarks that report
// kernel time beside wall time.
type Profiler interface {
	// Profile turns the recording of kernel times on or off.
	Profile(on bool) error
	// KernelTime returns the device time of the work done since profiling
	// was turned on or KernelTime last called, and starts counting anew.
	KernelTime() (time.Duration, error)
}

// StepEach implements Backend.Steps as a loop of full-batch Steps, for
// backends that have no faster way to run several.
func StepEach(b Backend, m, first, n int, lr float64, logEvery int) ([]Eval, error) {
	var evals []Eval
	for s := first; s < first+n; s++ {
		eval := s%logEvery == 0
		e, err := b.Step(Batch{Offset: 0, Size: m}, lr, eval)
		if err != nil {
			return evals, fmt.Errorf("step %d: %w", s, err)
		}
		if eval {
			evals = append(evals, e)
		}
	}
	return evals, nil
}
