package opencl_test

import (
	"context"
	"fmt"
	"log"

	"github.com/cltrain/cltrain/dataset"
	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/engine"
	"github.com/cltrain/cltrain/engine/opencl"
)

// The flower run on the default OpenCL device ($CLTRAIN_DEVICE, else the
// first GPU, else the first device, such as PoCL on the CPU), falling back
// to the CPU reference where there is no OpenCL at all, as a program
// shipped to unknown machines would.
func ExampleNew() {
	var b engine.Backend
	dev, err := device.Select(device.Auto)
	switch {
	case device.IsNoOpenCL(err):
		b = engine.NewCPU()
	case err != nil:
		log.Fatal(err)
	default:
		if b, err = opencl.New(dev, opencl.Options{}); err != nil {
			log.Fatal(err)
		}
	}
	defer b.Close()

	set := dataset.Flower(1)
	model := engine.NewModel(set.Features(), 4)
	p, err := model.Init(engine.Course, engine.Seed(1).Weights())
	if err != nil {
		log.Fatal(err)
	}
	cfg := engine.Config{Iters: 10000, LR: 1.2, LogEvery: 1000}
	res, err := engine.Fit(context.Background(), b, model, set.X, set.Y, p, cfg, engine.Hooks{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("loss %.2f, accuracy ≥ 90%%: %v\n", res.Final.Cost, res.Final.Accuracy >= 0.90)
	// Output: loss 0.22, accuracy ≥ 90%: true
}
