package cpuref

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
)

// BiasReLU sets out[i,j] = max(0, z[i,j] + bias[i]). out may be z itself.
func BiasReLU(z blas64.General, bias []float64, out blas64.General) {
	biasMap("BiasReLU", v64("BiasReLU", "z", z), bias, v64("BiasReLU", "out", out), relu)
}

// BiasReLU32 is BiasReLU in float32.
func BiasReLU32(z blas32.General, bias []float32, out blas32.General) {
	biasMap("BiasReLU32", v32("BiasReLU32", "z", z), bias, v32("BiasReLU32", "out", out), relu)
}

// ReLUBackward sets out = da where a > 0 and 0 elsewhere: the gradient
// through A = max(0, Z) given its output a. The derivative at Z = 0 is
// taken as 0, as PyTorch does. out may be da or a.
func ReLUBackward(da, a, out blas64.General) {
	zipMap("ReLUBackward", "da", "a", v64("ReLUBackward", "da", da), v64("ReLUBackward", "a", a),
		v64("ReLUBackward", "out", out), reluBackward)
}

// ReLUBackward32 is ReLUBackward in float32.
func ReLUBackward32(da, a, out blas32.General) {
	zipMap("ReLUBackward32", "da", "a", v32("ReLUBackward32", "da", da), v32("ReLUBackward32", "a", a),
		v32("ReLUBackward32", "out", out), reluBackward)
}

// BiasSoftmax sets each column of out to the softmax of that column of
// z + bias: out[i,j] = e^(z[i,j]+b[i]−c) / Σ_k e^(z[k,j]+b[k]−c), with c the
// column's largest value so that no exponent overflows. out may be z itself.
func BiasSoftmax(z blas64.General, bias []float64, out blas64.General) {
	biasSoftmax("BiasSoftmax", v64("BiasSoftmax", "z", z), bias, v64("BiasSoftmax", "out", out))
}

// BiasSoftmax32 is BiasSoftmax in float32, evaluated in float64.
func BiasSoftmax32(z blas32.General, bias []float32, out blas32.General) {
	biasSoftmax("BiasSoftmax32", v32("BiasSoftmax32", "z", z), bias, v32("BiasSoftmax32", "out", out))
}

// SoftmaxCost returns the categorical cross-entropy
// −(1/m) Σ_j Σ_i y[i,j]·log softmax(z[:,j])_i of the logits z (K×m) against
// the one-hot labels y, computed per column as logsumexp(z[:,j]) − Σ_i
// y[i,j]·z[i,j] with the column's largest logit taken out, so that it is
// finite for every finite z. It returns NaN when there are no columns.
func SoftmaxCost(z, y blas64.General) float64 {
	return softmaxCost("SoftmaxCost", v64("SoftmaxCost", "z", z), v64("SoftmaxCost", "y", y))
}

// SoftmaxCost32 is SoftmaxCost for float32 logits and labels, evaluated and
// summed in float64.
func SoftmaxCost32(z, y blas32.General) float64 {
	return softmaxCost("SoftmaxCost32", v32("SoftmaxCost32", "z", z), v32("SoftmaxCost32", "y", y))
}

// Momentum applies one step of SGD with momentum μ as PyTorch writes it:
// v = μ·v + g, then w −= lr·v. w, g and v have the same length; the
// arithmetic is in float64, rounded once per result.
func Momentum[T float](w, g, v []T, lr, mu float64) {
	sameLen("Momentum", w, g, v)
	for i := range w {
		vi := mu*float64(v[i]) + float64(g[i])
		v[i] = T(vi)
		w[i] = T(float64(w[i]) - lr*float64(v[i]))
	}
}

// Adam applies step t (1 for the first) of Adam with bias correction as
// PyTorch writes it: m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g², then
// w −= lr·m̂/(√v̂ + ε) with m̂ = m/(1−β1^t) and v̂ = v/(1−β2^t). The
// arithmetic is in float64, rounded once per stored result.
func Adam[T float](w, g, m, v []T, lr, beta1, beta2, eps float64, t int) {
	sameLen("Adam", w, g, m, v)
	if t < 1 {
		panic(fmt.Sprintf("cpuref: Adam: step %d, want ≥ 1", t))
	}
	c1 := 1 - math.Pow(beta1, float64(t))
	c2 := 1 - math.Pow(beta2, float64(t))
	for i := range w {
		gi := float64(g[i])
		m[i] = T(beta1*float64(m[i]) + (1-beta1)*gi)
		v[i] = T(beta2*float64(v[i]) + (1-beta2)*gi*gi)
		mh := float64(m[i]) / c1
		vh := float64(v[i]) / c2
		w[i] = T(float64(w[i]) - lr*mh/(math.Sqrt(vh)+eps))
	}
}

// AddScaled sets g += s·w: the L2 term (λ/m)·W added to a weight gradient.
func AddScaled[T float](g, w []T, s float64) {
	sameLen("AddScaled", g, w)
	for i := range g {
		g[i] = T(float64(g[i]) + s*float64(w[i]))
	}
}

// SumSquares returns Σ w², accumulated in float64: the L2 penalty's sum.
func SumSquares[T float](w []T) float64 {
	var s float64
	for _, v := range w {
		s += float64(v) * float64(v)
	}
	return s
}

// sameLen panics unless every vector has the length of the first.
func sameLen[T float](op string, vs ...[]T) {
	for k, v := range vs[1:] {
		if len(v) != len(vs[0]) {
			panic(fmt.Sprintf("cpuref: %s: argument %d has length %d, the first has %d", op, k+2, len(v), len(vs[0])))
		}
	}
}

// relu is max(0, x).
func relu(x float64) float64 { return math.Max(0, x) }

// reluBackward is da where a > 0, else 0.
func reluBackward(da, a float64) float64 {
	if a > 0 {
		return da
	}
	return 0
}

// biasSoftmax sets out[:,j] = softmax(z[:,j] + bias), evaluated in float64.
func biasSoftmax[T float](op string, z view[T], bias []T, out view[T]) {
	sameShape(op, "out", out, "z", z)
	if len(bias) != z.rows {
		panic(fmt.Sprintf("cpuref: %s: bias has length %d, z has %d rows", op, len(bias), z.rows))
	}
	if z.empty() {
		return
	}
	col := make([]float64, z.rows)
	for j := range z.cols {
		c := math.Inf(-1)
		for i := range z.rows {
			col[i] = float64(z.data[i*z.stride+j]) + float64(bias[i])
			c = math.Max(c, col[i])
		}
		var sum float64
		for i := range col {
			col[i] = math.Exp(col[i] - c)
			sum += col[i]
		}
		for i := range col {
			out.data[i*out.stride+j] = T(col[i] / sum)
		}
	}
}

// softmaxCost is SoftmaxCost on views.
func softmaxCost[T float](op string, z, y view[T]) float64 {
	sameShape(op, "y", y, "z", z)
	if z.cols == 0 {
		return math.NaN()
	}
	var total float64
	for j := range z.cols {
		c := math.Inf(-1)
		for i := range z.rows {
			c = math.Max(c, float64(z.data[i*z.stride+j]))
		}
		var sum, picked float64
		for i := range z.rows {
			zi := float64(z.data[i*z.stride+j])
			sum += math.Exp(zi - c)
			picked += float64(y.data[i*y.stride+j]) * zi
		}
		total += c + math.Log(sum) - picked
	}
	return total / float64(z.cols)
}
