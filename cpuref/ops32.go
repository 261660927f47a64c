package cpuref

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Gemm32 computes c = alpha·op(a)·op(b) + beta·c with blas32.Gemm, that is
// with gonum's implementation or whatever blas32.Use installed. It panics
// unless op(a)·op(b) is defined and has the shape of c.
func Gemm32(tA, tB blas.Transpose, alpha float32, a, b blas32.General, beta float32, c blas32.General) {
	gemmShape("Gemm32", tA != blas.NoTrans, tB != blas.NoTrans,
		v32("Gemm32", "a", a), v32("Gemm32", "b", b), v32("Gemm32", "c", c))
	blas32.Gemm(tA, tB, alpha, a, b, beta, c)
}

// BiasTanh32 is BiasTanh in float32: tanh(z + bias) is evaluated in float64
// and rounded once. out may be z itself.
func BiasTanh32(z blas32.General, bias []float32, out blas32.General) {
	biasMap("BiasTanh32", v32("BiasTanh32", "z", z), bias, v32("BiasTanh32", "out", out), math.Tanh)
}

// BiasSigmoid32 is BiasSigmoid in float32: σ(z + bias) is evaluated in
// float64 and rounded once. out may be z itself.
func BiasSigmoid32(z blas32.General, bias []float32, out blas32.General) {
	biasMap("BiasSigmoid32", v32("BiasSigmoid32", "z", z), bias, v32("BiasSigmoid32", "out", out), sigmoid)
}

// Sub32 is Sub in float32: out = a − b. out may be a or b.
func Sub32(a, b, out blas32.General) {
	zipMap("Sub32", "a", "b", v32("Sub32", "a", a), v32("Sub32", "b", b), v32("Sub32", "out", out), sub)
}

// TanhBackward32 is TanhBackward in float32: out = da ⊙ (1 − a²), evaluated
// in float64 and rounded once. out may be da or a.
func TanhBackward32(da, a, out blas32.General) {
	zipMap("TanhBackward32", "da", "a", v32("TanhBackward32", "da", da), v32("TanhBackward32", "a", a),
		v32("TanhBackward32", "out", out), tanhBackward)
}

// RowSums32 is RowSums in float32: out[i] = scale·Σ_j a[i,j], with the sum
// accumulated in float64 and rounded once.
func RowSums32(a blas32.General, scale float32, out []float32) {
	rowSums("RowSums32", v32("RowSums32", "a", a), scale, out)
}

// CostFromLogits32 is CostFromLogits for float32 logits and labels; the
// terms are evaluated and summed in float64 and the cost is returned as a
// float64.
func CostFromLogits32(z, y blas32.General) float64 {
	return meanOverColumns("CostFromLogits32", "z", v32("CostFromLogits32", "z", z),
		v32("CostFromLogits32", "y", y), bceLogits)
}

// Cost32 is Cost for float32 activations and labels, summed in float64. A
// float32 sigmoid already rounds to 1 near z = 17, so this textbook formula
// reaches +Inf or NaN much sooner than Cost does.
func Cost32(a2, y blas32.General) float64 {
	return meanOverColumns("Cost32", "a2", v32("Cost32", "a2", a2), v32("Cost32", "y", y), bceTextbook)
}

// SGD32 is SGD in float32: w -= lr·dw, evaluated in float64 and rounded once.
func SGD32(w, dw blas32.General, lr float32) {
	sgd("SGD32", v32("SGD32", "w", w), v32("SGD32", "dw", dw), lr)
}

// SGDVec32 is SGDVec in float32, for biases.
func SGDVec32(w, dw []float32, lr float32) {
	sgdVec("SGDVec32", w, dw, lr)
}
