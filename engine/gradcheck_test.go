package engine

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/mat"
)

// TestGradientCheck compares the CPU backend's gradients with central
// finite differences of the cost, for every parameter of a two-hidden-layer
// network, in float64. A tanh derivative of (1 − A)² instead of 1 − A² fails
// it.
func TestGradientCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 12))
	x, y := problem(rng, 3, 23)
	p := testParams(t, []int{3, 5, 4, 1}, 13)
	g := backward(p, forward(p, x), y)
	cost := func() float64 { return forward(p, x).eval(y).Cost }
	const h = 1e-6
	for l := range p.W {
		for _, pair := range []struct {
			name       string
			param, grd *mat.Dense
		}{{"W", p.W[l], g.W[l]}, {"b", p.B[l], g.B[l]}} {
			raw := pair.param.RawMatrix().Data
			for i := range raw {
				orig := raw[i]
				raw[i] = orig + h
				plus := cost()
				raw[i] = orig - h
				minus := cost()
				raw[i] = orig
				num := (plus - minus) / (2 * h)
				got := pair.grd.RawMatrix().Data[i]
				if !scalar.EqualWithinAbsOrRel(got, num, 1e-9, 1e-6) {
					t.Errorf("d%s%d[%d] = %.10g, finite difference %.10g", pair.name, l+1, i, got, num)
				}
			}
		}
	}
}
