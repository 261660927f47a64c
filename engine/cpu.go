package engine

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/cpuref"
)

// CPU is the host backend: every op is package cpuref's, in float64
// (NewCPU, the reference) or float32 (NewCPU32), and the GEMMs run on
// gonum's current BLAS of that precision (gonum's own Go code unless
// blas64.Use or blas32.Use installed another, such as OpenBLAS).
type CPU struct {
	x, y  *mat.Dense // the training set as loaded
	order []int
	net   network
}

var _ Backend = (*CPU)(nil)

// network is the part of the CPU backend that depends on the precision: the
// training set and parameters in that precision and the passes over them.
type network interface {
	name() string
	load(m Model, x, y *mat.Dense, p Params)
	step(b Batch, order []int, lr float64, eval bool) Eval
	evaluate() Eval
	params() Params
}

// NewCPU returns an empty float64 CPU backend, the reference; Load gives it
// data and parameters.
func NewCPU() *CPU { return &CPU{net: &hostNet[float64, blas64.General]{ops: float64Ops}} }

// NewCPU32 returns an empty float32 CPU backend: the ops of NewCPU on float32
// data and parameters, with gonum's blas32 for the GEMMs.
func NewCPU32() *CPU { return &CPU{net: &hostNet[float32, blas32.General]{ops: float32Ops}} }

// Name describes the backend: its precision and the BLAS installed now, for
// example "cpu float32 (gonum)".
func (c *CPU) Name() string { return c.net.name() }

// Sync returns at once: the CPU backend finishes each step before it returns.
func (c *CPU) Sync() error { return nil }

// Load keeps copies of the data and parameters.
func (c *CPU) Load(m Model, x, y *mat.Dense, p Params) error {
	if err := CheckLoad("cpu backend", m, x, y, p, []Activation{Tanh, ReLU}, []Output{Sigmoid, Softmax}, []Optimizer{SGD, Momentum, Adam}); err != nil {
		return err
	}
	c.x, c.y, c.order = mat.DenseCopyOf(x), mat.DenseCopyOf(y), nil
	c.net.load(m, c.x, c.y, p)
	return nil
}

// Shuffle sets the example order.
func (c *CPU) Shuffle(perm []int) error {
	_, m := c.x.Dims()
	if err := CheckOrder(perm, m); err != nil {
		return err
	}
	c.order = append(c.order[:0], perm...)
	return nil
}

// Step runs one iteration of gradient descent on batch b.
func (c *CPU) Step(b Batch, lr float64, eval bool) (Eval, error) {
	if c.x == nil {
		return Eval{}, fmt.Errorf("step: no data loaded")
	}
	if _, m := c.x.Dims(); b.Size <= 0 || b.Offset < 0 || b.Offset+b.Size > m {
		return Eval{}, fmt.Errorf("batch %+v out of range for %d examples", b, m)
	}
	return c.net.step(b, c.order, lr, eval), nil
}

// Evaluate returns the cost and accuracy on the whole training set.
func (c *CPU) Evaluate() (Eval, error) {
	if c.x == nil {
		return Eval{}, fmt.Errorf("evaluate: no data loaded")
	}
	return c.net.evaluate(), nil
}

// Params returns a copy of the current parameters.
func (c *CPU) Params() (Params, error) { return c.net.params(), nil }

// Close does nothing: the CPU backend holds only Go memory.
func (c *CPU) Close() error { return nil }

// cpuFloat is the element type of a CPU backend.
type cpuFloat interface{ float32 | float64 }

// precision is what the CPU backend needs in one precision: cpuref's ops on
// that precision's gonum matrix type G, and the conversions between G and
// mat.Dense.
type precision[T cpuFloat, G any] struct {
	name         string
	gemm         func(tA, tB blas.Transpose, alpha T, a, b G, beta T, c G)
	biasTanh     func(z G, bias []T, out G)
	biasSigmoid  func(z G, bias []T, out G)
	biasReLU     func(z G, bias []T, out G)
	biasSoftmax  func(z G, bias []T, out G)
	sub          func(a, b, out G)
	tanhBackward func(da, a, out G)
	reluBackward func(da, a, out G)
	rowSums      func(a G, scale T, out []T)
	cost         func(z, y G) float64
	softmaxCost  func(z, y G) float64
	sgdVec       func(w, dw []T, lr T)
	// view returns the rows×cols matrix of data with the given stride.
	view func(rows, cols, stride int, data []T) G
	dims func(g G) (rows, cols int)
	data func(g G) []T
	// fromDense returns m as a G; it may share m's memory.
	fromDense func(m *mat.Dense) G
	// toDense returns a copy of a dense G.
	toDense func(g G) *mat.Dense
	// blas returns the BLAS implementation gonum uses now in this precision.
	blas func() any
}

var float64Ops = &precision[float64, blas64.General]{
	name: "float64", gemm: cpuref.Gemm, biasTanh: cpuref.BiasTanh, biasSigmoid: cpuref.BiasSigmoid,
	biasReLU: cpuref.BiasReLU, biasSoftmax: cpuref.BiasSoftmax,
	sub: cpuref.Sub, tanhBackward: cpuref.TanhBackward, reluBackward: cpuref.ReLUBackward,
	rowSums: cpuref.RowSums, cost: cpuref.CostFromLogits, softmaxCost: cpuref.SoftmaxCost,
	sgdVec: cpuref.SGDVec,
	view: func(r, c, s int, d []float64) blas64.General {
		return blas64.General{Rows: r, Cols: c, Stride: s, Data: d}
	},
	dims:      func(g blas64.General) (int, int) { return g.Rows, g.Cols },
	data:      func(g blas64.General) []float64 { return g.Data },
	fromDense: (*mat.Dense).RawMatrix,
	toDense: func(g blas64.General) *mat.Dense {
		return mat.NewDense(g.Rows, g.Cols, append([]float64(nil), g.Data[:g.Rows*g.Cols]...))
	},
	blas: func() any { return blas64.Implementation() },
}

var float32Ops = &precision[float32, blas32.General]{
	name: "float32", gemm: cpuref.Gemm32, biasTanh: cpuref.BiasTanh32, biasSigmoid: cpuref.BiasSigmoid32,
	biasReLU: cpuref.BiasReLU32, biasSoftmax: cpuref.BiasSoftmax32,
	sub: cpuref.Sub32, tanhBackward: cpuref.TanhBackward32, reluBackward: cpuref.ReLUBackward32,
	rowSums: cpuref.RowSums32, cost: cpuref.CostFromLogits32, softmaxCost: cpuref.SoftmaxCost32,
	sgdVec: cpuref.SGDVec32,
	view: func(r, c, s int, d []float32) blas32.General {
		return blas32.General{Rows: r, Cols: c, Stride: s, Data: d}
	},
	dims:      func(g blas32.General) (int, int) { return g.Rows, g.Cols },
	data:      func(g blas32.General) []float32 { return g.Data },
	fromDense: cpuref.ToGeneral32,
	toDense:   cpuref.ToDense,
	blas:      func() any { return blas32.Implementation() },
}

// blasName names a gonum BLAS implementation: its Name method's answer when
// it has one (OpenBLAS says its version and build), else "gonum".
func blasName(impl any) string {
	if n, ok := impl.(interface{ Name() string }); ok {
		return n.Name()
	}
	return "gonum"
}

// zeros returns a zeroed rows×cols matrix.
func (o *precision[T, G]) zeros(rows, cols int) G {
	return o.view(rows, cols, cols, make([]T, rows*cols))
}

// layers returns the weights and biases of p in this precision; the float64
// ones share p's memory.
func (o *precision[T, G]) layers(p Params) (w []G, b [][]T) {
	for l := range p.W {
		w = append(w, o.fromDense(p.W[l]))
		b = append(b, o.data(o.fromDense(p.B[l])))
	}
	return w, b
}

// params returns a float64 copy of the weights and biases.
func (o *precision[T, G]) params(w []G, b [][]T) Params {
	var p Params
	for l := range w {
		p.W = append(p.W, o.toDense(w[l]))
		p.B = append(p.B, o.toDense(o.view(len(b[l]), 1, 1, b[l])))
	}
	return p
}

// pass holds a forward pass: a[0] is the input, a[l] the activation of
// layer l, and logits the output layer's pre-activation (bias included).
type pass[T cpuFloat, G any] struct {
	ops    *precision[T, G]
	model  Model
	w      []G // the weights, for the L2 penalty
	a      []G
	logits G
}

// forward runs the network model with weights w and biases b on x.
func (o *precision[T, G]) forward(model Model, w []G, b [][]T, x G) pass[T, G] {
	_, m := o.dims(x)
	f := pass[T, G]{ops: o, model: model, w: w, a: []G{x}}
	last := len(w) - 1
	for l := range w {
		rows := len(b[l])
		z := o.zeros(rows, m)
		o.gemm(blas.NoTrans, blas.NoTrans, 1, w[l], f.a[l], 0, z)
		a := o.zeros(rows, m)
		switch {
		case l < last && model.Hidden == ReLU:
			o.biasReLU(z, b[l], a)
		case l < last:
			o.biasTanh(z, b[l], a)
		default:
			if model.Output == Softmax {
				o.biasSoftmax(z, b[l], a)
			} else {
				o.biasSigmoid(z, b[l], a)
			}
			zd := o.data(z)
			for i := range rows {
				for j := range m {
					zd[i*m+j] += b[l][i]
				}
			}
			f.logits = z
		}
		f.a = append(f.a, a)
	}
	return f
}

// eval returns the cost (from the logits) and the accuracy against y.
func (f pass[T, G]) eval(y *mat.Dense) Eval { return f.evalOn(f.ops.fromDense(y)) }

// evalOn is eval with the labels in the pass's precision. The cost includes
// the L2 penalty λ/(2m)·Σ‖W‖² of the weights the pass ran with.
func (f pass[T, G]) evalOn(y G) Eval {
	o := f.ops
	k, m := o.dims(f.logits)
	z, yd := o.data(f.logits), o.data(y)
	right := 0
	var cost float64
	if f.model.Output == Softmax {
		for j := range m {
			best, label := 0, 0
			for i := 1; i < k; i++ {
				if z[i*m+j] > z[best*m+j] {
					best = i
				}
				if yd[i*m+j] > yd[label*m+j] {
					label = i
				}
			}
			if best == label {
				right++
			}
		}
		cost = o.softmaxCost(f.logits, y)
	} else {
		for j := range m {
			if (z[j] > 0) == (yd[j] > 0.5) {
				right++
			}
		}
		cost = o.cost(f.logits, y)
	}
	if f.model.L2 != 0 {
		var sq float64
		for _, w := range f.w {
			sq += cpuref.SumSquares(o.data(w))
		}
		cost += f.model.L2 / (2 * float64(m)) * sq
	}
	return Eval{Cost: cost, Accuracy: float64(right) / float64(m)}
}

// backward returns the gradients of the cost with respect to the weights w
// (the L2 term included) and the biases.
func (o *precision[T, G]) backward(w []G, f pass[T, G], y G) (dw []G, db [][]T) {
	L := len(w)
	_, m := o.dims(f.a[0])
	scale := 1 / T(m)
	dw, db = make([]G, L), make([][]T, L)
	k, _ := o.dims(f.a[L])
	dz := o.zeros(k, m)
	o.sub(f.a[L], y, dz)
	for l := L - 1; l >= 0; l-- {
		rows, cols := o.dims(w[l])
		dw[l] = o.zeros(rows, cols)
		o.gemm(blas.NoTrans, blas.Trans, scale, dz, f.a[l], 0, dw[l])
		if f.model.L2 != 0 {
			cpuref.AddScaled(o.data(dw[l]), o.data(w[l]), f.model.L2/float64(m))
		}
		db[l] = make([]T, rows)
		o.rowSums(dz, scale, db[l])
		if l == 0 {
			break
		}
		da := o.zeros(cols, m)
		o.gemm(blas.Trans, blas.NoTrans, 1, w[l], dz, 0, da)
		if f.model.Hidden == ReLU {
			o.reluBackward(da, f.a[l], da)
		} else {
			o.tanhBackward(da, f.a[l], da)
		}
		dz = da
	}
	return dw, db
}

// hostNet is the network of a CPU backend in one precision.
type hostNet[T cpuFloat, G any] struct {
	ops   *precision[T, G]
	model Model
	x, y  G
	w     []G
	b     [][]T
	// slotW[k][l] and slotB[k][l] are the optimizer's k-th tensor of layer
	// l's weights and biases; steps counts the updates applied.
	slotW [][]G
	slotB [][][]T
	steps int
}

func (h *hostNet[T, G]) name() string {
	return fmt.Sprintf("cpu %s (%s)", h.ops.name, blasName(h.ops.blas()))
}

// load takes x, y and a copy of p with its optimizer state (zeros when
// fresh); the float64 network shares x and y.
func (h *hostNet[T, G]) load(m Model, x, y *mat.Dense, p Params) {
	h.model = m
	h.x, h.y = h.ops.fromDense(x), h.ops.fromDense(y)
	h.w, h.b = h.ops.layers(p.Clone())
	slots := p.Opt.Slots
	if len(slots) == 0 {
		slots = zeroSlots(p, m.Optimizer.Slots())
	}
	h.slotW, h.slotB, h.steps = nil, nil, p.Opt.Steps
	for _, s := range slots {
		w, b := h.ops.layers(s.Clone())
		h.slotW, h.slotB = append(h.slotW, w), append(h.slotB, b)
	}
}

// batch returns the examples of b, in the given order when there is one.
func (h *hostNet[T, G]) batch(b Batch, order []int) (x, y G) {
	o := h.ops
	nx, m := o.dims(h.x)
	k, _ := o.dims(h.y)
	xd, yd := o.data(h.x), o.data(h.y)
	if order == nil {
		if b.Offset == 0 && b.Size == m {
			return h.x, h.y
		}
		return o.view(nx, b.Size, m, xd[b.Offset:]), o.view(k, b.Size, m, yd[b.Offset:])
	}
	x, y = o.zeros(nx, b.Size), o.zeros(k, b.Size)
	bx, by := o.data(x), o.data(y)
	for j := range b.Size {
		src := order[b.Offset+j]
		for i := range nx {
			bx[i*b.Size+j] = xd[i*m+src]
		}
		for i := range k {
			by[i*b.Size+j] = yd[i*m+src]
		}
	}
	return x, y
}

func (h *hostNet[T, G]) step(b Batch, order []int, lr float64, eval bool) Eval {
	x, y := h.batch(b, order)
	f := h.ops.forward(h.model, h.w, h.b, x)
	var e Eval
	if eval {
		e = f.evalOn(y)
	}
	dw, db := h.ops.backward(h.w, f, y)
	h.steps++
	for l := range h.w {
		h.update(h.ops.data(h.w[l]), h.ops.data(dw[l]), lr, func(k int) []T { return h.ops.data(h.slotW[k][l]) })
		h.update(h.b[l], db[l], lr, func(k int) []T { return h.slotB[k][l] })
	}
	return e
}

// update applies the model's optimizer to the parameter p with gradient g;
// slot returns the optimizer's k-th tensor of that parameter.
func (h *hostNet[T, G]) update(p, g []T, lr float64, slot func(k int) []T) {
	hy := h.model.Hyper
	switch h.model.Optimizer {
	case Momentum:
		cpuref.Momentum(p, g, slot(0), lr, hy.Momentum)
	case Adam:
		cpuref.Adam(p, g, slot(0), slot(1), lr, hy.Beta1, hy.Beta2, hy.Eps, h.steps)
	default:
		h.ops.sgdVec(p, g, T(lr))
	}
}

func (h *hostNet[T, G]) evaluate() Eval {
	return h.ops.forward(h.model, h.w, h.b, h.x).evalOn(h.y)
}

func (h *hostNet[T, G]) params() Params {
	p := h.ops.params(h.w, h.b)
	p.Opt.Steps = h.steps
	for k := range h.slotW {
		p.Opt.Slots = append(p.Opt.Slots, h.ops.params(h.slotW[k], h.slotB[k]))
	}
	return p
}

// forward runs the network model with parameters p on x in float64 with the
// reference ops.
func forward(model Model, p Params, x *mat.Dense) pass[float64, blas64.General] {
	w, b := float64Ops.layers(p)
	return float64Ops.forward(model, w, b, x.RawMatrix())
}

// backward returns the float64 reference gradients of the cost of the
// forward pass f of p with respect to every parameter, as Params of the same
// shapes.
func backward(p Params, f pass[float64, blas64.General], y *mat.Dense) Params {
	w, _ := float64Ops.layers(p)
	dw, db := float64Ops.backward(w, f, y.RawMatrix())
	return float64Ops.params(dw, db)
}

// CheckOrder checks that perm, given to Backend.Shuffle, is a permutation
// of 0 … m−1.
func CheckOrder(perm []int, m int) error {
	if len(perm) != m {
		return fmt.Errorf("shuffle: permutation of %d, want %d", len(perm), m)
	}
	seen := make([]bool, m)
	for _, v := range perm {
		if v < 0 || v >= m || seen[v] {
			return fmt.Errorf("shuffle: not a permutation of 0…%d", m-1)
		}
		seen[v] = true
	}
	return nil
}

// Predict returns the output probabilities A_L of the network model with
// parameters p on every column of x, computed in float64 by the reference
// ops: 1×m for the sigmoid output, K×m for the softmax.
func Predict(model Model, p Params, x *mat.Dense) (*mat.Dense, error) {
	if err := model.Check(p); err != nil {
		return nil, err
	}
	nx, _ := x.Dims()
	if nx != model.Sizes[0] {
		return nil, fmt.Errorf("the model expects %d features, the data has %d", model.Sizes[0], nx)
	}
	f := forward(model, p, x)
	return float64Ops.toDense(f.a[len(f.a)-1]), nil
}

// Steps runs n full-batch iterations, one Step each.
func (c *CPU) Steps(first, n int, lr float64, logEvery int) ([]Eval, error) {
	if c.order != nil {
		return nil, fmt.Errorf("steps: full-batch runs need the natural example order")
	}
	_, m := c.x.Dims()
	return StepEach(c, m, first, n, lr, logEvery)
}
