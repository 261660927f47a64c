package bench

import (
	"fmt"
	"slices"
)

// caseSpec is one case: what it measures and the work of one run.
type caseSpec struct {
	group, name, op string
	shape           []int
	flops           float64 // per run: GEMM flops (gemm, step, flower)
	elements        float64 // per run: elements read + written (elementwise)
}

// caseRun is a case ready to measure: its contenders, the backends that
// could not be set up, and what to free afterwards.
type caseRun struct {
	spec    caseSpec
	cs      []contender
	failed  []Row
	cleanup []func()
}

// add adds backend's contender, or records err when its setup failed.
func (c *caseRun) add(backend string, run func() (Sample, error), err error) {
	if err != nil {
		c.failed = append(c.failed, c.row(backend, nil, fmt.Errorf("%s: setup: %w", backend, err)))
		return
	}
	c.cs = append(c.cs, contender{backend: backend, run: run})
}

// free runs the cleanups, last first.
func (c *caseRun) free() {
	for i := len(c.cleanup) - 1; i >= 0; i-- {
		c.cleanup[i]()
	}
	c.cleanup = nil
}

// row returns backend's row from its samples, or its error.
func (c *caseRun) row(backend string, samples []Sample, err error) Row {
	s := c.spec
	r := Row{Group: s.group, Case: s.name, Op: s.op, Shape: s.shape, Backend: backend, Runs: len(samples), Flops: s.flops}
	if s.elements > 0 {
		r.Bytes = s.elements * elementBytes(backend)
	}
	if err != nil {
		r.Error = err.Error()
	}
	if len(samples) == 0 {
		return r
	}
	wall, kernel, comm := make([]float64, len(samples)), make([]float64, len(samples)), make([]float64, len(samples))
	for i, x := range samples {
		wall[i], kernel[i], comm[i] = ms(x.Wall), ms(x.Kernel), ms(x.Comm)
	}
	r.Wall = Summarize(wall)
	if backend == OpenCLParallel {
		c := Summarize(comm)
		r.Comm = &c
	}
	if backend == OpenCL { // the one backend whose kernels are profiled
		k := Summarize(kernel)
		r.Kernel = &k
	}
	return r
}

// measureCase measures c and returns a row per backend, failed ones
// included, in the order of backendOrder.
func measureCase(c *caseRun, p plan) []Row {
	defer c.free()
	rows := c.failed
	for i, o := range measure(c.cs, p) {
		rows = append(rows, c.row(c.cs[i].backend, o.samples, o.err))
	}
	slices.SortStableFunc(rows, func(a, b Row) int {
		return slices.Index(backendOrder, a.Backend) - slices.Index(backendOrder, b.Backend)
	})
	return rows
}

// backendOrder is the order of a case's rows.
var backendOrder = []string{CPU32Gonum, CPU32OpenBLAS, CPU64Gonum, OpenCL, OpenCLParallel, CLBlast}

// elementBytes is the size of the elements backend works on.
func elementBytes(backend string) float64 {
	if backend == CPU64Gonum {
		return 8
	}
	return 4
}
