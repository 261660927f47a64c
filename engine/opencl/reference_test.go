package opencl_test

import (
	"context"
	"math"
	"testing"

	"github.com/cltrain/cltrain/engine"
	"github.com/cltrain/cltrain/engine/opencl"
	"github.com/cltrain/cltrain/internal/cltest"
	"github.com/cltrain/cltrain/internal/reftraj"
)

// TestReferenceTrajectories replays each PyTorch reference run (softmax,
// ReLU, momentum, Adam, L2) on the OpenCL backend in float32, fused and
// unfused, from the same initial parameters: every cost of the 100 updates
// and after them within 2 % of PyTorch's float64 cost.
func TestReferenceTrajectories(t *testing.T) {
	dev := cltest.Device(t)
	for _, name := range reftraj.Names {
		for _, fused := range []bool{true, false} {
			label := name
			if !fused {
				label += "/unfused"
			}
			t.Run(label, func(t *testing.T) {
				c, err := reftraj.Load("../..", name)
				if err != nil {
					t.Fatal(err)
				}
				b, err := opencl.New(dev, opencl.Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer b.Close()
				b.NoFusion = !fused
				res, err := engine.Fit(context.Background(), b, c.Model, c.X, c.Y, c.Init,
					engine.Config{Iters: c.Steps, LR: c.LR, LogEvery: 1}, engine.Hooks{})
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Records) != c.Steps+1 {
					t.Fatalf("%d records, want %d", len(res.Records), c.Steps+1)
				}
				worst := 0.0
				for s, r := range res.Records {
					rel := math.Abs(r.Cost-c.Loss[s]) / c.Loss[s]
					worst = max(worst, rel)
					if !(rel <= 0.02) {
						t.Errorf("step %d: cost %.7g, PyTorch %.7g (%.2g relative)", s, r.Cost, c.Loss[s], rel)
					}
				}
				t.Logf("largest relative difference %.2g", worst)
			})
		}
	}
}
