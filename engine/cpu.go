package engine

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/cpuref"
)

// CPU is the float64 reference backend: every op is package cpuref's.
type CPU struct {
	x, y  *mat.Dense
	p     Params
	order []int
}

var _ Backend = (*CPU)(nil)

// NewCPU returns an empty CPU backend; Load gives it data and parameters.
func NewCPU() *CPU { return &CPU{} }

// Name describes the backend.
func (c *CPU) Name() string { return "cpu float64 (gonum)" }

// Load keeps copies of the data and parameters.
func (c *CPU) Load(x, y *mat.Dense, p Params) error {
	if err := checkLoad(x, y, p); err != nil {
		return err
	}
	c.x, c.y, c.p, c.order = mat.DenseCopyOf(x), mat.DenseCopyOf(y), p.Clone(), nil
	return nil
}

// Shuffle sets the example order.
func (c *CPU) Shuffle(perm []int) error {
	_, m := c.x.Dims()
	if err := checkPerm(perm, m); err != nil {
		return err
	}
	c.order = append(c.order[:0], perm...)
	return nil
}

// Step runs one iteration of gradient descent on batch b.
func (c *CPU) Step(b Batch, lr float64, eval bool) (Eval, error) {
	x, y, err := c.batch(b)
	if err != nil {
		return Eval{}, err
	}
	f := forward(c.p, x)
	var e Eval
	if eval {
		e = f.eval(y)
	}
	g := backward(c.p, f, y)
	for l := range c.p.W {
		cpuref.SGD(c.p.W[l].RawMatrix(), g.W[l].RawMatrix(), lr)
		cpuref.SGDVec(c.p.B[l].RawMatrix().Data, g.B[l].RawMatrix().Data, lr)
	}
	return e, nil
}

// Evaluate returns the cost and accuracy on the whole training set.
func (c *CPU) Evaluate() (Eval, error) {
	return forward(c.p, c.x).eval(c.y), nil
}

// Params returns a copy of the current parameters.
func (c *CPU) Params() (Params, error) { return c.p.Clone(), nil }

// Close does nothing: the CPU backend holds only Go memory.
func (c *CPU) Close() error { return nil }

// batch returns the examples of b as matrices.
func (c *CPU) batch(b Batch) (x, y *mat.Dense, err error) {
	nx, m := c.x.Dims()
	if b.Size <= 0 || b.Offset < 0 || b.Offset+b.Size > m {
		return nil, nil, fmt.Errorf("batch %+v out of range for %d examples", b, m)
	}
	if c.order == nil {
		if b.Offset == 0 && b.Size == m {
			return c.x, c.y, nil
		}
		return c.x.Slice(0, nx, b.Offset, b.Offset+b.Size).(*mat.Dense), c.y.Slice(0, 1, b.Offset, b.Offset+b.Size).(*mat.Dense), nil
	}
	x, y = mat.NewDense(nx, b.Size, nil), mat.NewDense(1, b.Size, nil)
	for j := 0; j < b.Size; j++ {
		src := c.order[b.Offset+j]
		for i := 0; i < nx; i++ {
			x.Set(i, j, c.x.At(i, src))
		}
		y.Set(0, j, c.y.At(0, src))
	}
	return x, y, nil
}

// pass holds a forward pass: a[0] is the input, a[l] the activation of
// layer l, and logits the output layer's pre-activation (bias included).
type pass struct {
	a      []blas64.General
	logits blas64.General
}

// forward runs the network on x with the cpuref ops.
func forward(p Params, x *mat.Dense) pass {
	_, m := x.Dims()
	f := pass{a: []blas64.General{x.RawMatrix()}}
	last := len(p.W) - 1
	for l, w := range p.W {
		rows, _ := w.Dims()
		z := general(rows, m)
		cpuref.Gemm(blas.NoTrans, blas.NoTrans, 1, w.RawMatrix(), f.a[l], 0, z)
		a := general(rows, m)
		bias := p.B[l].RawMatrix().Data
		if l < last {
			cpuref.BiasTanh(z, bias, a)
		} else {
			cpuref.BiasSigmoid(z, bias, a)
			for j := 0; j < m; j++ {
				z.Data[j] += bias[0]
			}
			f.logits = z
		}
		f.a = append(f.a, a)
	}
	return f
}

// eval returns the cost (from the logits) and the accuracy against y.
func (f pass) eval(y *mat.Dense) Eval {
	yr := y.RawMatrix()
	right := 0
	for j := 0; j < f.logits.Cols; j++ {
		if (f.logits.Data[j] > 0) == (yr.Data[j] > 0.5) {
			right++
		}
	}
	return Eval{Cost: cpuref.CostFromLogits(f.logits, yr), Accuracy: float64(right) / float64(f.logits.Cols)}
}

// backward returns the gradients of the cost with respect to every
// parameter, as Params of the same shapes.
func backward(p Params, f pass, y *mat.Dense) Params {
	L := len(p.W)
	m := f.a[0].Cols
	g := Params{W: make([]*mat.Dense, L), B: make([]*mat.Dense, L)}
	dz := general(1, m)
	cpuref.Sub(f.a[L], y.RawMatrix(), dz)
	for l := L - 1; l >= 0; l-- {
		rows, cols := p.W[l].Dims()
		dw := general(rows, cols)
		cpuref.Gemm(blas.NoTrans, blas.Trans, 1/float64(m), dz, f.a[l], 0, dw)
		db := make([]float64, rows)
		cpuref.RowSums(dz, 1/float64(m), db)
		g.W[l] = mat.NewDense(rows, cols, dw.Data)
		g.B[l] = mat.NewDense(rows, 1, db)
		if l == 0 {
			break
		}
		da := general(cols, m)
		cpuref.Gemm(blas.Trans, blas.NoTrans, 1, p.W[l].RawMatrix(), dz, 0, da)
		cpuref.TanhBackward(da, f.a[l], da)
		dz = da
	}
	return g
}

func general(rows, cols int) blas64.General {
	return blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: make([]float64, rows*cols)}
}

// checkLoad validates what Load is given.
func checkLoad(x, y *mat.Dense, p Params) error {
	nx, m := x.Dims()
	if yr, ym := y.Dims(); yr != 1 || ym != m {
		return fmt.Errorf("labels are %d×%d, want 1×%d", yr, ym, m)
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if _, c := p.W[0].Dims(); c != nx {
		return fmt.Errorf("parameters expect %d features, the data has %d", c, nx)
	}
	return nil
}

func checkPerm(perm []int, m int) error {
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

// Predict returns the output probabilities A2 (one per column of x) of the
// network p, computed in float64 by the reference ops.
func Predict(p Params, x *mat.Dense) ([]float64, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	nx, _ := x.Dims()
	if _, c := p.W[0].Dims(); c != nx {
		return nil, fmt.Errorf("the model expects %d features, the data has %d", c, nx)
	}
	f := forward(p, x)
	return append([]float64(nil), f.a[len(f.a)-1].Data...), nil
}
