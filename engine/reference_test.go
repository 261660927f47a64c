package engine_test

import (
	"context"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"

	"github.com/cltrain/cltrain/engine"
	"github.com/cltrain/cltrain/internal/reftraj"
)

// TestReferenceTrajectories replays each PyTorch reference run (softmax,
// ReLU, momentum, Adam, L2) on the float64 CPU backend from the same
// initial parameters: every cost within 1e-5 relative and every training
// accuracy equal, over the 100 updates and after them.
func TestReferenceTrajectories(t *testing.T) {
	for _, name := range reftraj.Names {
		t.Run(name, func(t *testing.T) {
			c, err := reftraj.Load("..", name)
			if err != nil {
				t.Fatal(err)
			}
			_, m := c.X.Dims()
			res, err := engine.Fit(context.Background(), engine.NewCPU(), c.Model, c.X, c.Y, c.Init,
				engine.Config{Iters: c.Steps, LR: c.LR, LogEvery: 1}, engine.Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Records) != c.Steps+1 {
				t.Fatalf("%d records, want %d", len(res.Records), c.Steps+1)
			}
			for s, r := range res.Records {
				if !scalar.EqualWithinRel(r.Cost, c.Loss[s], 1e-5) {
					t.Errorf("step %d: cost %.10g, PyTorch %.10g", s, r.Cost, c.Loss[s])
				}
				if r.Accuracy != c.Accuracy[s] {
					t.Errorf("step %d: accuracy %v (of %d), PyTorch %v", s, r.Accuracy, m, c.Accuracy[s])
				}
			}
		})
	}
}
