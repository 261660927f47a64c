package bench

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/cltrain/cltrain/cpuref"
	"github.com/cltrain/cltrain/engine/opencl"
)

// The elementwise ops and reductions, named as their kernels.
const (
	opBiasTanh     = "bias_tanh"
	opBiasSigmoid  = "bias_sigmoid"
	opSub          = "sub"
	opTanhBackward = "tanh_backward"
	opSGD          = "sgd"
	opRowSums      = "row_sums"
	opCost         = "bce_cost"
)

// elementOps are the ops of the elementwise group, in order.
var elementOps = []string{opBiasTanh, opBiasSigmoid, opSub, opTanhBackward, opSGD, opRowSums, opCost}

// elementCase is one op over n elements: a rows×cols matrix, or a 1×n row
// for the cost.
type elementCase struct {
	op         string
	rows, cols int
}

func newElementCase(op string, n, rows int) elementCase {
	if op == opCost {
		rows = 1
	}
	return elementCase{op: op, rows: rows, cols: n / rows}
}

func (e elementCase) spec() caseSpec {
	n := float64(e.rows * e.cols)
	// Elements read and written per run; the bias and the row sums are
	// rows more, the cost writes two values.
	var elements float64
	switch e.op {
	case opBiasTanh, opBiasSigmoid:
		elements = 2*n + float64(e.rows)
	case opSub, opTanhBackward, opSGD:
		elements = 3 * n
	case opRowSums:
		elements = n + float64(e.rows)
	case opCost:
		elements = 2*n + 2
	}
	return caseSpec{group: GroupElementwise, name: fmt.Sprintf("%s %d×%d", e.op, e.rows, e.cols), op: e.op,
		shape: []int{e.rows, e.cols}, elements: elements}
}

// hostOps are cpuref's elementwise ops and reductions in one precision.
type hostOps[T float, G any] struct {
	general     func(rows, cols int, v []T) G
	biasTanh    func(z G, bias []T, out G)
	biasSigmoid func(z G, bias []T, out G)
	sub         func(a, b, out G)
	tanhBack    func(da, a, out G)
	sgd         func(w, dw G, lr T)
	rowSums     func(a G, scale T, out []T)
	cost        func(z, y G) float64
}

var host32 = &hostOps[float32, blas32.General]{
	general: func(r, c int, v []float32) blas32.General {
		return blas32.General{Rows: r, Cols: c, Stride: c, Data: v}
	},
	biasTanh: cpuref.BiasTanh32, biasSigmoid: cpuref.BiasSigmoid32, sub: cpuref.Sub32, tanhBack: cpuref.TanhBackward32,
	sgd: cpuref.SGD32, rowSums: cpuref.RowSums32, cost: cpuref.CostFromLogits32,
}

var host64 = &hostOps[float64, blas64.General]{
	general: func(r, c int, v []float64) blas64.General {
		return blas64.General{Rows: r, Cols: c, Stride: c, Data: v}
	},
	biasTanh: cpuref.BiasTanh, biasSigmoid: cpuref.BiasSigmoid, sub: cpuref.Sub, tanhBack: cpuref.TanhBackward,
	sgd: cpuref.SGD, rowSums: cpuref.RowSums, cost: cpuref.CostFromLogits,
}

// hostElementwise returns a run of e on the CPU in h's precision.
func hostElementwise[T float, G any](h *hostOps[T, G], e elementCase, rng *rand.Rand) func() {
	n := e.rows * e.cols
	a, bias, out := h.general(e.rows, e.cols, uniform[T](rng, n)), uniform[T](rng, e.rows), h.general(e.rows, e.cols, make([]T, n))
	b := h.general(e.rows, e.cols, uniform[T](rng, n))
	switch e.op {
	case opBiasTanh:
		return func() { h.biasTanh(a, bias, out) }
	case opBiasSigmoid:
		return func() { h.biasSigmoid(a, bias, out) }
	case opSub:
		return func() { h.sub(a, b, out) }
	case opTanhBackward:
		return func() { h.tanhBack(a, b, out) }
	case opSGD:
		return func() { h.sgd(a, b, 1e-3) }
	case opRowSums:
		sums := make([]T, e.rows)
		return func() { h.rowSums(a, 1/T(e.cols), sums) }
	default:
		y := h.general(1, n, labels[T](rng, n))
		return func() { h.cost(a, y) }
	}
}

// deviceElementwise returns a run of e with cltrain's kernels.
func deviceElementwise(env *clEnv, e elementCase, rng *rand.Rand, c *caseRun) (func() error, error) {
	n := e.rows * e.cols
	second := uniform[float32](rng, n)
	if e.op == opCost {
		second = labels[float32](rng, n)
	}
	var mats []opencl.Mat
	for _, v := range [][]float32{uniform[float32](rng, n), second, make([]float32, n)} {
		m, err := upload(env.ctx, e.rows, e.cols, v)
		if err != nil {
			return nil, err
		}
		c.cleanup = append(c.cleanup, func() { m.Release() })
		mats = append(mats, m)
	}
	a, b, out := mats[0], mats[1], mats[2]
	bias, err := env.ctx.NewBuffer(max(e.rows, 2))
	if err != nil {
		return nil, err
	}
	c.cleanup = append(c.cleanup, func() { bias.Release() })
	if err := bias.Write(uniform[float32](rng, bias.Len())); err != nil {
		return nil, err
	}
	ops := env.ops
	switch e.op {
	case opBiasTanh:
		return func() error { return ops.BiasTanh(a, bias, out) }, nil
	case opBiasSigmoid:
		return func() error { return ops.BiasSigmoid(a, bias, out) }, nil
	case opSub:
		return func() error { return ops.Sub(a, b, out) }, nil
	case opTanhBackward:
		return func() error { return ops.TanhBackward(a, b, out) }, nil
	case opSGD:
		return func() error { return ops.SGD(a.Buf, b.Buf, n, 1e-3) }, nil
	case opRowSums:
		return func() error { return ops.RowSums(a, 1/float32(e.cols), out.Buf) }, nil
	default:
		return func() error { return ops.Cost(a, bias, b, out.Buf) }, nil
	}
}

// elementRun sets up e on the CPU in both precisions and on the device.
func elementRun(e elementCase, env *clEnv, rng *rand.Rand) *caseRun {
	c := &caseRun{spec: e.spec()}
	for _, h := range []struct {
		id  string
		run func()
	}{{CPU32Gonum, hostElementwise(host32, e, rng)}, {CPU64Gonum, hostElementwise(host64, e, rng)}} {
		c.add(h.id, func() (Sample, error) { return wallTime(h.run), nil }, nil)
	}
	run, err := deviceElementwise(env, e, rng, c)
	c.add(OpenCL, func() (Sample, error) { return env.timed(run) }, err)
	return c
}
