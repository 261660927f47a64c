package cpuref

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// Gemm computes c = alpha·op(a)·op(b) + beta·c with blas64.Gemm, that is with
// gonum's implementation or whatever blas64.Use installed. It panics unless
// op(a)·op(b) is defined and has the shape of c.
func Gemm(tA, tB blas.Transpose, alpha float64, a, b blas64.General, beta float64, c blas64.General) {
	gemmShape("Gemm", tA != blas.NoTrans, tB != blas.NoTrans,
		v64("Gemm", "a", a), v64("Gemm", "b", b), v64("Gemm", "c", c))
	blas64.Gemm(tA, tB, alpha, a, b, beta, c)
}

// BiasTanh sets out[i,j] = tanh(z[i,j] + bias[i]). out may be z itself.
func BiasTanh(z blas64.General, bias []float64, out blas64.General) {
	biasMap("BiasTanh", v64("BiasTanh", "z", z), bias, v64("BiasTanh", "out", out), math.Tanh)
}

// BiasSigmoid sets out[i,j] = σ(z[i,j] + bias[i]) with σ(x) = 1/(1+e^−x),
// evaluated as e^x/(1+e^x) for x < 0 so that it never overflows. out may be
// z itself.
func BiasSigmoid(z blas64.General, bias []float64, out blas64.General) {
	biasMap("BiasSigmoid", v64("BiasSigmoid", "z", z), bias, v64("BiasSigmoid", "out", out), sigmoid)
}

// Sub sets out = a − b elementwise (dZ2 = A2 − Y). out may be a or b.
func Sub(a, b, out blas64.General) {
	zipMap("Sub", "a", "b", v64("Sub", "a", a), v64("Sub", "b", b), v64("Sub", "out", out), sub)
}

// TanhBackward sets out = da ⊙ (1 − a²), the gradient through A = tanh(Z)
// given the activation a and the upstream gradient da. out may be da or a.
func TanhBackward(da, a, out blas64.General) {
	zipMap("TanhBackward", "da", "a", v64("TanhBackward", "da", da), v64("TanhBackward", "a", a),
		v64("TanhBackward", "out", out), tanhBackward)
}

// RowSums sets out[i] = scale·Σ_j a[i,j]; with scale 1/m it is the bias
// gradient db. len(out) must equal the row count of a.
func RowSums(a blas64.General, scale float64, out []float64) {
	rowSums("RowSums", v64("RowSums", "a", a), scale, out)
}

// CostFromLogits returns the binary cross-entropy
// −(1/m) Σ [y log σ(z) + (1−y) log(1−σ(z))] of the logits z against the
// labels y, m being the column count. It uses log σ(z) = −softplus(−z) and
// log(1−σ(z)) = −softplus(z) with softplus(x) = max(x,0) + log1p(e^−|x|), so
// it is finite for every finite z, ±1000 included. It returns NaN when there
// are no columns.
func CostFromLogits(z, y blas64.General) float64 {
	return meanOverColumns("CostFromLogits", "z", v64("CostFromLogits", "z", z),
		v64("CostFromLogits", "y", y), bceLogits)
}

// Cost returns the binary cross-entropy −(1/m) Σ [y log a2 + (1−y) log(1−a2)]
// of the activations a2 against the labels y, computed as the textbook
// formula. Once an activation saturates to exactly 0 or 1 a log argument is
// zero and the result is +Inf or NaN; CostFromLogits does not have this
// problem. It returns NaN when there are no columns.
func Cost(a2, y blas64.General) float64 {
	return meanOverColumns("Cost", "a2", v64("Cost", "a2", a2), v64("Cost", "y", y), bceTextbook)
}

// SGD sets w -= lr·dw.
func SGD(w, dw blas64.General, lr float64) {
	sgd("SGD", v64("SGD", "w", w), v64("SGD", "dw", dw), lr)
}

// SGDVec sets w -= lr·dw for vectors such as biases.
func SGDVec(w, dw []float64, lr float64) {
	sgdVec("SGDVec", w, dw, lr)
}
