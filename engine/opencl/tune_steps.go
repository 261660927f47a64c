package opencl

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/engine"
)

// StepTimes are the median wall times of one full-batch training step of a
// network, with the default GEMM configuration and with a tuning.
type StepTimes struct {
	Step    string        `json:"step"` // as cltrain bench names it: 784-256-8192
	Default time.Duration `json:"default_ns"`
	Tuned   time.Duration `json:"tuned_ns"`
}

// stepLR is the learning rate of the timed steps: small, so that the
// parameters stay bounded however many steps run.
const stepLR = 0.01

// CompareSteps times one full-batch training step (Backend.Step with eval:
// forward, cost, backward, update) of the network with the given layer
// sizes (inputs, hidden layers, output) on m random examples on dev, as
// cltrain bench does, once with the default GEMM configuration and once
// with t: a warm-up step of each, then runs steps of each, alternating,
// each timed from its launch until the queue drained. It returns the
// medians.
func CompareSteps(dev device.Device, t Tuning, sizes []int, m, runs int) (StepTimes, error) {
	names := make([]string, 0, len(sizes))
	for _, s := range sizes[:max(len(sizes)-1, 0)] {
		names = append(names, fmt.Sprint(s))
	}
	st := StepTimes{Step: strings.Join(append(names, fmt.Sprint(m)), "-")}
	if len(sizes) < 3 || m < 1 || runs < 1 {
		return st, fmt.Errorf("compare steps %s: want inputs, hidden layers and an output, examples and runs", st.Step)
	}
	b, err := New(dev, Options{})
	if err != nil {
		return st, fmt.Errorf("compare steps %s: %w", st.Step, err)
	}
	defer b.Close()
	rng := rand.New(rand.NewPCG(1, uint64(m)))
	nx := sizes[0]
	x := mat.NewDense(nx, m, nil)
	y := mat.NewDense(1, m, nil)
	for i := 0; i < nx; i++ {
		for j := 0; j < m; j++ {
			x.Set(i, j, rng.Float64()*2-1)
		}
	}
	for j := 0; j < m; j++ {
		y.Set(0, j, float64(rng.IntN(2)))
	}
	model := engine.NewModel(nx, sizes[1:len(sizes)-1]...)
	p, err := model.Init(engine.Course, rng)
	if err != nil {
		return st, fmt.Errorf("compare steps %s: %w", st.Step, err)
	}
	if err := b.Load(model, x, y, p); err != nil {
		return st, fmt.Errorf("compare steps %s: %w", st.Step, err)
	}
	step := func(tuning Tuning) (time.Duration, error) {
		b.ops.SetTuning(tuning)
		start := time.Now()
		if _, err := b.Step(engine.Batch{Offset: 0, Size: m}, stepLR, true); err != nil {
			return 0, err
		}
		if err := b.Sync(); err != nil {
			return 0, err
		}
		return time.Since(start), nil
	}
	tunings := []Tuning{{}, t}
	times := [2][]time.Duration{}
	for i := -1; i < runs; i++ { // i = -1: the warm-up
		for k, tuning := range tunings {
			d, err := step(tuning)
			if err != nil {
				return st, fmt.Errorf("compare steps %s: %w", st.Step, err)
			}
			if i >= 0 {
				times[k] = append(times[k], d)
			}
		}
	}
	st.Default, st.Tuned = median(times[0]), median(times[1])
	return st, nil
}

// median returns the median of ts, which it sorts.
func median(ts []time.Duration) time.Duration {
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	return ts[len(ts)/2]
}
