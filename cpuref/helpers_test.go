package cpuref

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats/scalar"
)

// randGeneral returns an r×c matrix with entries uniform in [-1, 1) and a
// stride of c+pad whose padding holds NaN, so that reading or writing it is
// caught.
func randGeneral(rnd *rand.Rand, r, c, pad int) blas64.General {
	g := blas64.General{Rows: r, Cols: c, Stride: c + pad, Data: make([]float64, r*(c+pad))}
	for i := range g.Data {
		if i%g.Stride < c {
			g.Data[i] = 2*rnd.Float64() - 1
		} else {
			g.Data[i] = math.NaN()
		}
	}
	return g
}

// fromRows returns the blas64.General holding rows, with a stride of its
// column count.
func fromRows(rows ...[]float64) blas64.General {
	g := blas64.General{Rows: len(rows), Cols: len(rows[0]), Stride: len(rows[0])}
	for _, r := range rows {
		g.Data = append(g.Data, r...)
	}
	return g
}

// clone64 returns a deep copy of g.
func clone64(g blas64.General) blas64.General {
	g.Data = append([]float64(nil), g.Data...)
	return g
}

// to32 returns g rounded to float32, padding included.
func to32(g blas64.General) blas32.General {
	d := make([]float32, len(g.Data))
	for i, v := range g.Data {
		d[i] = float32(v)
	}
	return blas32.General{Rows: g.Rows, Cols: g.Cols, Stride: g.Stride, Data: d}
}

// to64 returns g widened to float64, padding included.
func to64(g blas32.General) blas64.General {
	d := make([]float64, len(g.Data))
	for i, v := range g.Data {
		d[i] = float64(v)
	}
	return blas64.General{Rows: g.Rows, Cols: g.Cols, Stride: g.Stride, Data: d}
}

// at returns element {i,j} of g.
func at(g blas64.General, i, j int) float64 { return g.Data[i*g.Stride+j] }

// checkSame fails t unless got and want hold the same values, NaN matching
// NaN.
func checkSame(t *testing.T, name string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: length %d, want %d", name, len(got), len(want))
	}
	for i := range got {
		if !scalar.Same(got[i], want[i]) {
			t.Fatalf("%s: element %d is %v, want %v", name, i, got[i], want[i])
		}
	}
}

// checkSame32 is checkSame for float32 data.
func checkSame32(t *testing.T, name string, got, want []float32) {
	t.Helper()
	checkSame(t, name, to64(blas32.General{Data: got}).Data, to64(blas32.General{Data: want}).Data)
}

// checkClose fails t unless got and want agree within tol, absolute or
// relative, element by element; NaN must match NaN.
func checkClose(t *testing.T, name string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: length %d, want %d", name, len(got), len(want))
	}
	for i := range got {
		if math.IsNaN(want[i]) != math.IsNaN(got[i]) ||
			!math.IsNaN(want[i]) && !scalar.EqualWithinAbsOrRel(got[i], want[i], tol, tol) {
			t.Fatalf("%s: element %d is %v, want %v (tol %g)", name, i, got[i], want[i], tol)
		}
	}
}

// mustPanic fails t unless f panics.
func mustPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: did not panic", name)
		}
	}()
	f()
}
