package cpuref

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// float is the element type of the two flavours.
type float interface{ ~float32 | ~float64 }

// view is a row-major matrix shared by the blas64 and blas32 flavours.
type view[T float] struct {
	rows, cols, stride int
	data               []T
}

// v64 returns the view of g after checking that g is well formed.
func v64(op, name string, g blas64.General) view[float64] {
	return checked(op, name, view[float64]{g.Rows, g.Cols, g.Stride, g.Data})
}

// v32 returns the view of g after checking that g is well formed.
func v32(op, name string, g blas32.General) view[float32] {
	return checked(op, name, view[float32]{g.Rows, g.Cols, g.Stride, g.Data})
}

// checked panics unless v has non-negative dimensions, a stride of at least
// its column count and enough data for all of its elements.
func checked[T float](op, name string, v view[T]) view[T] {
	switch {
	case v.rows < 0 || v.cols < 0:
		panic(fmt.Sprintf("cpuref: %s: %s has negative dimensions %d×%d", op, name, v.rows, v.cols))
	case v.empty():
	case v.stride < v.cols:
		panic(fmt.Sprintf("cpuref: %s: %s has stride %d < %d columns", op, name, v.stride, v.cols))
	case len(v.data) < (v.rows-1)*v.stride+v.cols:
		panic(fmt.Sprintf("cpuref: %s: %s has %d elements, a %d×%d matrix with stride %d needs %d",
			op, name, len(v.data), v.rows, v.cols, v.stride, (v.rows-1)*v.stride+v.cols))
	}
	return v
}

// empty reports whether v has no elements.
func (v view[T]) empty() bool { return v.rows == 0 || v.cols == 0 }

// row returns row i of a non-empty view.
func (v view[T]) row(i int) []T { return v.data[i*v.stride : i*v.stride+v.cols] }

// sameShape panics unless got has the dimensions of want.
func sameShape[T float](op, gotName string, got view[T], wantName string, want view[T]) {
	if got.rows != want.rows || got.cols != want.cols {
		panic(fmt.Sprintf("cpuref: %s: %s is %d×%d, %s is %d×%d",
			op, gotName, got.rows, got.cols, wantName, want.rows, want.cols))
	}
}

// biasMap sets out[i,j] = f(z[i,j] + bias[i]), evaluated in float64.
func biasMap[T float](op string, z view[T], bias []T, out view[T], f func(float64) float64) {
	sameShape(op, "out", out, "z", z)
	if len(bias) != z.rows {
		panic(fmt.Sprintf("cpuref: %s: bias has length %d, z has %d rows", op, len(bias), z.rows))
	}
	if z.empty() {
		return
	}
	for i := range z.rows {
		b := float64(bias[i])
		zr, or := z.row(i), out.row(i)
		for j, v := range zr {
			or[j] = T(f(float64(v) + b))
		}
	}
}

// zipMap sets out[i,j] = f(a[i,j], b[i,j]), evaluated in float64.
func zipMap[T float](op, aName, bName string, a, b, out view[T], f func(x, y float64) float64) {
	sameShape(op, bName, b, aName, a)
	sameShape(op, "out", out, aName, a)
	if a.empty() {
		return
	}
	for i := range a.rows {
		ar, br, or := a.row(i), b.row(i), out.row(i)
		for j := range ar {
			or[j] = T(f(float64(ar[j]), float64(br[j])))
		}
	}
}

// rowSums sets out[i] = scale·Σ_j a[i,j], accumulated in float64.
func rowSums[T float](op string, a view[T], scale T, out []T) {
	if len(out) != a.rows {
		panic(fmt.Sprintf("cpuref: %s: out has length %d, a has %d rows", op, len(out), a.rows))
	}
	for i := range a.rows {
		var sum float64
		if a.cols > 0 {
			for _, v := range a.row(i) {
				sum += float64(v)
			}
		}
		out[i] = T(float64(scale) * sum)
	}
}

// meanOverColumns returns (1/cols)·Σ_ij f(p[i,j], y[i,j]) accumulated in
// float64, or NaN when there are no columns.
func meanOverColumns[T float](op, pName string, p, y view[T], f func(p, y float64) float64) float64 {
	sameShape(op, "y", y, pName, p)
	if p.cols == 0 {
		return math.NaN()
	}
	var sum float64
	for i := range p.rows {
		pr, yr := p.row(i), y.row(i)
		for j := range pr {
			sum += f(float64(pr[j]), float64(yr[j]))
		}
	}
	return sum / float64(p.cols)
}

// sgd sets w -= lr·dw, evaluated in float64.
func sgd[T float](op string, w, dw view[T], lr T) {
	sameShape(op, "dw", dw, "w", w)
	if w.empty() {
		return
	}
	for i := range w.rows {
		sgdVec(op, w.row(i), dw.row(i), lr)
	}
}

// sgdVec sets w -= lr·dw for vectors, evaluated in float64.
func sgdVec[T float](op string, w, dw []T, lr T) {
	if len(w) != len(dw) {
		panic(fmt.Sprintf("cpuref: %s: w has length %d, dw has %d", op, len(w), len(dw)))
	}
	for j := range w {
		w[j] = T(float64(w[j]) - float64(lr)*float64(dw[j]))
	}
}

// gemmShape panics unless op(a)·op(b) is defined and has the shape of c.
func gemmShape[T float](op string, aTrans, bTrans bool, a, b, c view[T]) {
	m, k := a.rows, a.cols
	if aTrans {
		m, k = k, m
	}
	kb, n := b.rows, b.cols
	if bTrans {
		kb, n = n, kb
	}
	if k != kb || c.rows != m || c.cols != n {
		panic(fmt.Sprintf("cpuref: %s: op(a) is %d×%d, op(b) is %d×%d, c is %d×%d",
			op, m, k, kb, n, c.rows, c.cols))
	}
}

// sigmoid is the logistic function, evaluated without overflow: for x < 0 it
// uses e^x/(1+e^x) so that exp never sees a large positive argument.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// softplus is log(1+e^x), evaluated as max(x,0) + log1p(e^−|x|) so that it
// is finite for every finite x.
func softplus(x float64) float64 {
	return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}

// bceLogits is the cross-entropy term −[y log σ(z) + (1−y) log(1−σ(z))]
// written with log σ(z) = −softplus(−z) and log(1−σ(z)) = −softplus(z).
func bceLogits(z, y float64) float64 {
	return y*softplus(-z) + (1-y)*softplus(z)
}

// bceTextbook is the cross-entropy term −[y log a + (1−y) log(1−a)] as
// written in textbooks: it is +Inf or NaN once a rounds to 0 or 1.
func bceTextbook(a, y float64) float64 {
	return -(y*math.Log(a) + (1-y)*math.Log(1-a))
}

// tanhBackward is da·(1−a²).
func tanhBackward(da, a float64) float64 { return da * (1 - a*a) }

// sub is x−y.
func sub(x, y float64) float64 { return x - y }

// General returns the blas64.General backing m; writes through it change m.
func General(m *mat.Dense) blas64.General { return m.RawMatrix() }

// NewGeneral32 returns a zeroed r×c blas32.General with a stride of c.
func NewGeneral32(r, c int) blas32.General {
	if r < 0 || c < 0 {
		panic(fmt.Sprintf("cpuref: NewGeneral32: negative dimensions %d×%d", r, c))
	}
	return blas32.General{Rows: r, Cols: c, Stride: c, Data: make([]float32, r*c)}
}

// ToGeneral32 returns a float32 copy of m, rounding each element to nearest,
// as a blas32.General with a stride equal to its column count.
func ToGeneral32(m *mat.Dense) blas32.General {
	src := v64("ToGeneral32", "m", m.RawMatrix())
	dst := NewGeneral32(src.rows, src.cols)
	for i := range src.rows {
		for j, v := range src.row(i) {
			dst.Data[i*dst.Stride+j] = float32(v)
		}
	}
	return dst
}

// ToDense returns a float64 copy of g as a new *mat.Dense. g must have at
// least one row and one column, as mat.Dense does.
func ToDense(g blas32.General) *mat.Dense {
	src := v32("ToDense", "g", g)
	if src.empty() {
		panic(fmt.Sprintf("cpuref: ToDense: %d×%d matrix, mat.Dense needs at least 1×1", src.rows, src.cols))
	}
	dst := mat.NewDense(src.rows, src.cols, nil)
	for i := range src.rows {
		row := dst.RawRowView(i)
		for j, v := range src.row(i) {
			row[j] = float64(v)
		}
	}
	return dst
}
