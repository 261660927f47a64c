package engine

import "gonum.org/v1/gonum/mat"

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
	// parameters to the backend.
	Load(x, y *mat.Dense, p Params) error
	// Shuffle sets the example order that later batches are windows of.
	Shuffle(perm []int) error
	// Step runs one iteration on b with learning rate lr. When eval is set it
	// returns the cost and accuracy of this iteration's forward pass, that is
	// of the parameters before its update.
	Step(b Batch, lr float64, eval bool) (Eval, error)
	// Evaluate returns the cost and accuracy of the current parameters on the
	// whole training set.
	Evaluate() (Eval, error)
	// Params returns a host copy of the current parameters.
	Params() (Params, error)
	// Close frees what the backend holds.
	Close() error
}
