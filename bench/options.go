package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/engine"
	"github.com/cltrain/cltrain/engine/opencl"
)

// The case groups.
const (
	GroupGemm        = "gemm"
	GroupElementwise = "elementwise"
	GroupStep        = "step"
	GroupFlower      = "flower"
)

// Groups lists the case groups in the order Run measures them.
var Groups = []string{GroupGemm, GroupElementwise, GroupStep, GroupFlower}

// The backends, as rows name them.
const (
	CPU32Gonum    = "cpu32-gonum"    // float32 on the CPU, gonum's Go BLAS: the ratio base
	CPU32OpenBLAS = "cpu32-openblas" // float32 on the CPU, OpenBLAS's GEMM
	CPU64Gonum    = "cpu64-gonum"    // float64 on the CPU, gonum's Go BLAS: the reference
	OpenCL        = "opencl"         // cltrain's kernels on the OpenCL device
	CLBlast       = "clblast"        // CLBlast's SGEMM on the same device and queue
	// OpenCLParallel is cltrain's kernels data-parallel on Options.Parallel.
	OpenCLParallel = "opencl-parallel"
)

// StepConfig is a network of one hidden layer: NX inputs, NH hidden units,
// trained on M examples in one full-batch step. The zero values of the
// kinds are the course's network: tanh, one sigmoid unit, SGD.
type StepConfig struct {
	NX, NH, M int
	// Hidden is the hidden layer's activation.
	Hidden engine.Activation
	// Classes, when 2 or more, makes the output a softmax over that many
	// classes; otherwise it is one sigmoid unit.
	Classes int
	// Optimizer is the update rule.
	Optimizer engine.Optimizer
}

// String writes the configuration as n_x-n_h-m, for example 784-256-8192,
// followed by what differs from the course's network: "784-256-8192 relu",
// "784-256-8192 softmax10", "784-256-8192 adam".
func (s StepConfig) String() string {
	out := fmt.Sprintf("%d-%d-%d", s.NX, s.NH, s.M)
	if s.Hidden != engine.Tanh {
		out += " " + s.Hidden.String()
	}
	if s.Classes >= 2 {
		out += fmt.Sprintf(" softmax%d", s.Classes)
	}
	if s.Optimizer != engine.SGD {
		out += " " + s.Optimizer.String()
	}
	return out
}

// outputs returns the output units: 1, or Classes for a softmax.
func (s StepConfig) outputs() int {
	if s.Classes >= 2 {
		return s.Classes
	}
	return 1
}

// Model returns the network the configuration trains.
func (s StepConfig) Model() engine.Model {
	m := engine.NewModel(s.NX, s.NH)
	m.Hidden, m.Optimizer = s.Hidden, s.Optimizer
	if s.Classes >= 2 {
		m.Output, m.Sizes[2] = engine.Softmax, s.Classes
	}
	return m
}

// Flops returns the GEMM flops of one training step: the forward pass
// (W1·X, W2·A1) and the backward pass (dZ2·A1ᵀ, W2ᵀ·dZ2, dZ1·Xᵀ), 2·M·N·K
// each.
func (s StepConfig) Flops() float64 {
	hidden := 2 * float64(s.NH) * float64(s.NX) * float64(s.M)        // W1·X and dZ1·Xᵀ, each
	output := 2 * float64(s.NH) * float64(s.outputs()) * float64(s.M) // W2·A1, dZ2·A1ᵀ and W2ᵀ·dZ2, each
	return 2*hidden + 3*output
}

// Options set up a Run.
type Options struct {
	// Device is the OpenCL device of the opencl and clblast backends.
	Device device.Device
	// Gemm is the GEMM configuration of cltrain's kernels.
	Gemm opencl.GemmParams
	// Parallel, when it holds two devices or more, adds the training steps
	// run data-parallel on them (opencl.Parallel), with the time spent
	// summing gradients across them per step.
	Parallel []device.Device
	// Groups are the case groups to run (nil: all of Groups).
	Groups []string
	// Runs is the number of timed runs per backend and case, Warmup the
	// untimed ones before them.
	Runs, Warmup int
	// CaseBudget stops a case's rounds once it has run this long and done
	// at least MinRuns rounds (zero: always Runs rounds).
	CaseBudget time.Duration
	MinRuns    int
	// GemmSizes are the square GEMM sizes n (n×n·n×n) of each transpose.
	GemmSizes []int
	// Elements are the element counts of the elementwise ops: matrices of
	// ElementRows rows.
	Elements    []int
	ElementRows int
	// Steps are the training-step configurations.
	Steps []StepConfig
	// GemmSteps are the configurations whose hidden layer's products join
	// the GEMM group as its training shapes.
	GemmSteps []StepConfig
	// FlowerIters is the length of the flower run (2-4-1, m = 400).
	FlowerIters int
	// PeakTarget is the kernel time the peak measurements aim for per run.
	PeakTarget time.Duration
	// CopyElements is the size in floats of the bandwidth copy.
	CopyElements int
	// NoOpenBLAS leaves OpenBLAS out even where it is installed.
	NoOpenBLAS bool
	// CLBlastLibrary is the CLBlast library to load (default
	// clblast.DefaultLibrary); "none" leaves CLBlast out.
	CLBlastLibrary string
	// Log receives a line per case as it starts; nil for none.
	Log io.Writer
}

// TrainingSteps are the step configurations of a full run.
var TrainingSteps = []StepConfig{{NX: 2, NH: 4, M: 400}, {NX: 64, NH: 128, M: 2048}, {NX: 784, NH: 256, M: 8192}, {NX: 1024, NH: 4096, M: 4096}}

// KindSteps are the 784-256-8192 step with one kind changed each: ReLU
// instead of tanh, Adam instead of SGD, a softmax over 10 classes instead of
// one sigmoid unit, to compare with TrainingSteps' 784-256-8192.
var KindSteps = []StepConfig{
	{NX: 784, NH: 256, M: 8192, Hidden: engine.ReLU},
	{NX: 784, NH: 256, M: 8192, Optimizer: engine.Adam},
	{NX: 784, NH: 256, M: 8192, Classes: 10},
}

// DefaultOptions returns the full benchmark on d: 10 runs, square GEMMs of
// 128 to 2048, elementwise ops over 1M, 4M and 16M elements, the four
// training-step configurations with the KindSteps and the 10 000-iteration
// flower run.
func DefaultOptions(d device.Device) Options {
	return Options{
		Device: d, Gemm: opencl.DefaultGemm,
		Runs: 10, Warmup: 1, CaseBudget: 30 * time.Second, MinRuns: 3,
		GemmSizes:   []int{128, 256, 512, 1024, 2048},
		Elements:    []int{1 << 20, 4 << 20, 16 << 20},
		ElementRows: 256,
		Steps:       slices.Concat(TrainingSteps, KindSteps),
		GemmSteps:   TrainingSteps,
		FlowerIters: 10000,
		PeakTarget:  50 * time.Millisecond, CopyElements: 16 << 20,
	}
}

// QuickOptions returns a run of under a minute on d: 3 runs (2 once a
// case has taken 2 s), square GEMMs of 128 and 512 and the training shapes
// of the two smaller configurations, the elementwise ops over 1M elements,
// the three smaller step configurations (no 1024-4096-4096) with the
// KindSteps and a flower run cut to 2000 iterations.
func QuickOptions(d device.Device) Options {
	o := DefaultOptions(d)
	o.Runs, o.MinRuns, o.CaseBudget = 3, 2, 2*time.Second
	o.GemmSizes = []int{128, 512}
	o.Elements = []int{1 << 20}
	o.Steps, o.GemmSteps = slices.Concat(TrainingSteps[:3], KindSteps), TrainingSteps[:2]
	o.FlowerIters = 2000
	o.PeakTarget, o.CopyElements = 20*time.Millisecond, 4<<20
	return o
}

// check refuses options that cannot run.
func (o *Options) check() error {
	for _, g := range o.Groups {
		if !slices.Contains(Groups, g) {
			return fmt.Errorf("case group %q: want one of %s", g, strings.Join(Groups, ", "))
		}
	}
	switch {
	case o.Runs < 1:
		return fmt.Errorf("runs %d: want at least 1", o.Runs)
	case o.Warmup < 0:
		return fmt.Errorf("warm-up runs %d: must not be negative", o.Warmup)
	case o.CaseBudget < 0:
		return fmt.Errorf("case budget %v: must not be negative", o.CaseBudget)
	case o.FlowerIters < 0:
		return fmt.Errorf("flower iterations %d: must not be negative", o.FlowerIters)
	case o.ElementRows < 1 || o.CopyElements < 4 || o.PeakTarget <= 0:
		return fmt.Errorf("element rows %d, copy elements %d, peak target %v: must be positive", o.ElementRows, o.CopyElements, o.PeakTarget)
	}
	for _, n := range o.GemmSizes {
		if n < 1 {
			return fmt.Errorf("gemm size %d: must be positive", n)
		}
	}
	for _, n := range o.Elements {
		if n < o.ElementRows || n%o.ElementRows != 0 {
			return fmt.Errorf("element count %d: want a positive multiple of the %d rows", n, o.ElementRows)
		}
	}
	for _, s := range slices.Concat(o.Steps, o.GemmSteps) {
		if s.NX < 1 || s.NH < 1 || s.M < 1 {
			return fmt.Errorf("step configuration %v: sizes must be positive", s)
		}
	}
	return nil
}

// runs reports whether group g is to run.
func (o *Options) runs(g string) bool { return len(o.Groups) == 0 || slices.Contains(o.Groups, g) }

// primeUnder is the plan's prime: runs shorter than 50 ms are timed after
// 50 ms of untimed runs of their own; longer ones repeat no run, their
// wake-up a small part of them.
const primeUnder = 50 * time.Millisecond

// plan returns the plan of every case.
func (o *Options) plan() plan {
	return plan{warmup: o.Warmup, runs: o.Runs, minRuns: min(max(o.MinRuns, 1), o.Runs), budget: o.CaseBudget, prime: primeUnder}
}
