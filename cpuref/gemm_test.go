package cpuref

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

var transposes = []struct {
	name string
	t    blas.Transpose
}{{"N", blas.NoTrans}, {"T", blas.Trans}, {"C", blas.ConjTrans}}

// naiveGemm returns the data of alpha·op(a)·op(b) + beta·c computed with a
// triple loop; beta == 0 ignores c as BLAS does. Padding is copied from c.
func naiveGemm(tA, tB blas.Transpose, alpha float64, a, b blas64.General, beta float64, c blas64.General) []float64 {
	opA := func(i, l int) float64 {
		if tA == blas.NoTrans {
			return at(a, i, l)
		}
		return at(a, l, i)
	}
	opB := func(l, j int) float64 {
		if tB == blas.NoTrans {
			return at(b, l, j)
		}
		return at(b, j, l)
	}
	k := a.Cols
	if tA != blas.NoTrans {
		k = a.Rows
	}
	want := append([]float64(nil), c.Data...)
	for i := range c.Rows {
		for j := range c.Cols {
			var sum float64
			for l := range k {
				sum += opA(i, l) * opB(l, j)
			}
			v := alpha * sum
			if beta != 0 {
				v += beta * at(c, i, j)
			}
			want[i*c.Stride+j] = v
		}
	}
	return want
}

func TestGemmHandComputed(t *testing.T) {
	a := fromRows([]float64{1, 2, 3}, []float64{4, 5, 6})               // 2×3
	b := fromRows([]float64{7, 8}, []float64{9, 10}, []float64{11, 12}) // 3×2
	tests := []struct {
		name        string
		tA, tB      blas.Transpose
		a, b        blas64.General
		alpha, beta float64
		c           blas64.General
		want        []float64
	}{
		{"NN", blas.NoTrans, blas.NoTrans, a, b, 1, 0, fromRows([]float64{0, 0}, []float64{0, 0}),
			[]float64{58, 64, 139, 154}},
		{"NN alpha beta", blas.NoTrans, blas.NoTrans, a, b, 2, -1, fromRows([]float64{1, 2}, []float64{3, 4}),
			[]float64{115, 126, 275, 304}},
		// aᵀ·a is 3×3: columns of a dotted with each other.
		{"TN", blas.Trans, blas.NoTrans, a, a, 1, 0, fromRows([]float64{0, 0, 0}, []float64{0, 0, 0}, []float64{0, 0, 0}),
			[]float64{17, 22, 27, 22, 29, 36, 27, 36, 45}},
		// a·aᵀ is 2×2: rows of a dotted with each other.
		{"NT", blas.NoTrans, blas.Trans, a, a, 1, 0, fromRows([]float64{0, 0}, []float64{0, 0}),
			[]float64{14, 32, 32, 77}},
		// bᵀ·aᵀ = (a·b)ᵀ.
		{"TT", blas.Trans, blas.Trans, b, a, 1, 0, fromRows([]float64{0, 0}, []float64{0, 0}),
			[]float64{58, 139, 64, 154}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := clone64(tc.c)
			Gemm(tc.tA, tc.tB, tc.alpha, tc.a, tc.b, tc.beta, c)
			checkSame(t, "Gemm", c.Data, tc.want)

			c32 := to32(tc.c)
			Gemm32(tc.tA, tc.tB, float32(tc.alpha), to32(tc.a), to32(tc.b), float32(tc.beta), c32)
			checkSame(t, "Gemm32", to64(c32).Data, tc.want)
		})
	}
}

func TestGemmRandom(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	shapes := [][3]int{{1, 1, 1}, {7, 13, 29}, {33, 65, 17}} // m×n×k
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		for _, ta := range transposes {
			for _, tb := range transposes {
				for _, pad := range []int{0, 3} {
					for _, beta := range []float64{0, -1.25} {
						name := fmt.Sprintf("%dx%dx%d/%s%s/pad%d/beta%g", m, n, k, ta.name, tb.name, pad, beta)
						t.Run(name, func(t *testing.T) {
							ar, ac := m, k
							if ta.t != blas.NoTrans {
								ar, ac = k, m
							}
							br, bc := k, n
							if tb.t != blas.NoTrans {
								br, bc = n, k
							}
							a, b, c := randGeneral(rnd, ar, ac, pad), randGeneral(rnd, br, bc, pad), randGeneral(rnd, m, n, pad)
							if beta == 0 {
								// BLAS does not read c when beta is zero.
								for i := range c.Data {
									c.Data[i] = math.NaN()
								}
							}
							a0, b0 := clone64(a), clone64(b)
							want := naiveGemm(ta.t, tb.t, 0.75, a, b, beta, c)

							c64 := clone64(c)
							Gemm(ta.t, tb.t, 0.75, a, b, beta, c64)
							checkClose(t, "Gemm", c64.Data, want, 1e-12)
							checkSame(t, "a after Gemm", a.Data, a0.Data)
							checkSame(t, "b after Gemm", b.Data, b0.Data)

							// Gemm32 against the float64 product of the same
							// float32-rounded inputs.
							a32, b32, c32 := to32(a), to32(b), to32(c)
							want32 := naiveGemm(ta.t, tb.t, 0.75, to64(a32), to64(b32), beta, to64(c32))
							a32c, b32c := to64(a32), to64(b32)
							Gemm32(ta.t, tb.t, 0.75, a32, b32, float32(beta), c32)
							checkClose(t, "Gemm32", to64(c32).Data, want32, 1e-5)
							checkSame(t, "a after Gemm32", to64(a32).Data, a32c.Data)
							checkSame(t, "b after Gemm32", to64(b32).Data, b32c.Data)
						})
					}
				}
			}
		}
	}
}

func TestGemmShapePanics(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	a, b := randGeneral(rnd, 2, 3, 0), randGeneral(rnd, 3, 4, 0)
	tests := []struct {
		name   string
		tA, tB blas.Transpose
		c      blas64.General
	}{
		{"c too few rows", blas.NoTrans, blas.NoTrans, randGeneral(rnd, 1, 4, 0)},
		{"c too many cols", blas.NoTrans, blas.NoTrans, randGeneral(rnd, 2, 5, 0)},
		{"inner mismatch", blas.Trans, blas.NoTrans, randGeneral(rnd, 3, 4, 0)},
		{"inner mismatch b", blas.NoTrans, blas.Trans, randGeneral(rnd, 2, 3, 0)},
	}
	for _, tc := range tests {
		mustPanic(t, "Gemm "+tc.name, func() { Gemm(tc.tA, tc.tB, 1, a, b, 0, tc.c) })
		mustPanic(t, "Gemm32 "+tc.name, func() { Gemm32(tc.tA, tc.tB, 1, to32(a), to32(b), 0, to32(tc.c)) })
	}
	short := a
	short.Data = short.Data[:5]
	mustPanic(t, "Gemm short a", func() { Gemm(blas.NoTrans, blas.NoTrans, 1, short, b, 0, randGeneral(rnd, 2, 4, 0)) })
}
