package cpuref

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/mat"
)

func TestHandComputed(t *testing.T) {
	z := fromRows([]float64{0, 1}, []float64{-1, 2})
	tests := []struct {
		name string
		run  func(out blas64.General)
		out  blas64.General
		want []float64
		tol  float64 // absolute or relative
	}{
		{"BiasTanh", func(out blas64.General) { BiasTanh(z, []float64{0.5, -1}, out) }, fromRows([]float64{0, 0}, []float64{0, 0}),
			[]float64{0.46211715726000974, 0.9051482536448664, -0.9640275800758169, 0.7615941559557649}, 1e-15},
		{"BiasSigmoid", func(out blas64.General) { BiasSigmoid(z, []float64{1, -1}, out) }, fromRows([]float64{0, 0}, []float64{0, 0}),
			[]float64{0.7310585786300049, 0.8807970779778823, 0.11920292202211755, 0.7310585786300049}, 1e-15},
		{"BiasSigmoid far tails", func(out blas64.General) {
			BiasSigmoid(fromRows([]float64{-1000, -720, 1000}), []float64{0}, out)
		}, fromRows([]float64{9, 9, 9}), []float64{0, 2.0322308024e-313, 1}, 0}, // 1/(1+e^720) would be 0
		{"Sub", func(out blas64.General) { Sub(z, fromRows([]float64{1, 1}, []float64{0, 0.5}), out) }, fromRows([]float64{0, 0}, []float64{0, 0}),
			[]float64{-1, 0, -1, 1.5}, 0},
		// da·(1−a²): the swapped da·(1−a)² would give 0.25, 0, 3.375, 0.
		{"TanhBackward", func(out blas64.General) {
			TanhBackward(fromRows([]float64{1, 2}, []float64{-3, 4}), fromRows([]float64{0.5, 0}, []float64{-0.5, 1}), out)
		}, fromRows([]float64{0, 0}, []float64{0, 0}), []float64{0.75, 2, -2.25, 0}, 0},
		{"SGD", func(out blas64.General) { SGD(out, fromRows([]float64{1, -2}, []float64{4, 0}), 0.5) },
			fromRows([]float64{1, 1}, []float64{1, 1}), []float64{0.5, 2, -1, 1}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := clone64(tc.out)
			tc.run(out)
			checkClose(t, tc.name, out.Data, tc.want, tc.tol)
		})
	}
}

func TestTanhBackwardIsNotOneMinusASquared(t *testing.T) {
	da, a := fromRows([]float64{1}), fromRows([]float64{0.5})
	out := fromRows([]float64{0})
	TanhBackward(da, a, out)
	swapped := 1 * (1 - 0.5) * (1 - 0.5)
	if out.Data[0] != 0.75 || out.Data[0] == swapped {
		t.Errorf("TanhBackward(1, 0.5) = %v, want 0.75 (da⊙(1−a)² gives %v)", out.Data[0], swapped)
	}
}

func TestRowSumsHandComputed(t *testing.T) {
	a := fromRows([]float64{1, 2, 3}, []float64{4, 5, 6})
	out := make([]float64, 2)
	RowSums(a, 0.5, out)
	checkSame(t, "RowSums", out, []float64{3, 7.5})
	out32 := make([]float32, 2)
	RowSums32(to32(a), 0.5, out32)
	checkSame32(t, "RowSums32", out32, []float32{3, 7.5})
}

// TestOpsRandom checks every elementwise op and reduction against its
// formula applied element by element, at odd shapes with padded strides, and
// checks that the inputs are left unchanged.
func TestOpsRandom(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	for _, s := range [][2]int{{1, 1}, {7, 13}, {33, 65}} {
		r, c := s[0], s[1]
		for _, pad := range []int{0, 2} {
			t.Run(fmt.Sprintf("%dx%d/pad%d", r, c, pad), func(t *testing.T) {
				z, y, out := randGeneral(rnd, r, c, pad), randGeneral(rnd, r, c, pad), randGeneral(rnd, r, c, pad)
				for i := range z.Data {
					z.Data[i] *= 8 // reach the flat parts of tanh and σ
				}
				bias := make([]float64, r)
				for i := range bias {
					bias[i] = rnd.NormFloat64()
				}
				z0, y0, bias0 := clone64(z), clone64(y), append([]float64(nil), bias...)
				elementwise := func(f func(i, j int) float64) []float64 {
					want := append([]float64(nil), out.Data...)
					for i := range r {
						for j := range c {
							want[i*out.Stride+j] = f(i, j)
						}
					}
					return want
				}
				checkInputs := func(name string) {
					checkSame(t, name+" z", z.Data, z0.Data)
					checkSame(t, name+" y", y.Data, y0.Data)
					checkSame(t, name+" bias", bias, bias0)
				}

				got := clone64(out)
				BiasTanh(z, bias, got)
				checkClose(t, "BiasTanh", got.Data, elementwise(func(i, j int) float64 { return math.Tanh(at(z, i, j) + bias[i]) }), 1e-15)
				checkInputs("BiasTanh")

				got = clone64(out)
				BiasSigmoid(z, bias, got)
				checkClose(t, "BiasSigmoid", got.Data, elementwise(func(i, j int) float64 { return 1 / (1 + math.Exp(-(at(z, i, j) + bias[i]))) }), 1e-15)
				checkInputs("BiasSigmoid")

				got = clone64(out)
				Sub(z, y, got)
				checkSame(t, "Sub", got.Data, elementwise(func(i, j int) float64 { return at(z, i, j) - at(y, i, j) }))
				checkInputs("Sub")

				got = clone64(out)
				TanhBackward(z, y, got)
				checkClose(t, "TanhBackward", got.Data, elementwise(func(i, j int) float64 { return at(z, i, j) * (1 - at(y, i, j)*at(y, i, j)) }), 1e-15)
				checkInputs("TanhBackward")

				got = clone64(z)
				SGD(got, y, 0.1)
				checkClose(t, "SGD", got.Data, elementwise(func(i, j int) float64 { return at(z, i, j) - 0.1*at(y, i, j) }), 1e-15)
				checkInputs("SGD")

				sums := make([]float64, r)
				RowSums(z, 1/float64(c), sums)
				for i := range r {
					var want float64
					for j := range c {
						want += at(z, i, j)
					}
					if want /= float64(c); !scalar.EqualWithinAbsOrRel(sums[i], want, 1e-14, 1e-14) {
						t.Errorf("RowSums[%d] = %v, want %v", i, sums[i], want)
					}
				}
				checkInputs("RowSums")

				vec := append([]float64(nil), bias...)
				SGDVec(vec, sums, 2)
				for i := range vec {
					if want := bias[i] - 2*sums[i]; vec[i] != want {
						t.Errorf("SGDVec[%d] = %v, want %v", i, vec[i], want)
					}
				}
			})
		}
	}
}

// TestAliasing checks that out may be an input.
func TestAliasing(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 8))
	z, y := randGeneral(rnd, 7, 13, 2), randGeneral(rnd, 7, 13, 2)
	bias := make([]float64, 7)
	tests := []struct {
		name  string
		fresh func(out blas64.General)
		alias func(z blas64.General)
	}{
		{"BiasTanh", func(out blas64.General) { BiasTanh(z, bias, out) }, func(z blas64.General) { BiasTanh(z, bias, z) }},
		{"BiasSigmoid", func(out blas64.General) { BiasSigmoid(z, bias, out) }, func(z blas64.General) { BiasSigmoid(z, bias, z) }},
		{"Sub out=a", func(out blas64.General) { Sub(z, y, out) }, func(z blas64.General) { Sub(z, y, z) }},
		{"Sub out=b", func(out blas64.General) { Sub(y, z, out) }, func(z blas64.General) { Sub(y, z, z) }},
		{"TanhBackward out=da", func(out blas64.General) { TanhBackward(z, y, out) }, func(z blas64.General) { TanhBackward(z, y, z) }},
		{"TanhBackward out=a", func(out blas64.General) { TanhBackward(y, z, out) }, func(z blas64.General) { TanhBackward(y, z, z) }},
	}
	for _, tc := range tests {
		want := clone64(z)
		tc.fresh(want)
		got := clone64(z)
		tc.alias(got)
		checkSame(t, tc.name, got.Data, want.Data)
	}
}

// TestFloat32MatchesFloat64 checks that each float32 op is the float64 op on
// the same float32 values, rounded once to float32.
func TestFloat32MatchesFloat64(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 10))
	z32, y32 := to32(randGeneral(rnd, 33, 65, 3)), to32(randGeneral(rnd, 33, 65, 3))
	for i := range z32.Data {
		z32.Data[i] *= 8
	}
	z, y := to64(z32), to64(y32)
	bias32 := make([]float32, 33)
	for i := range bias32 {
		bias32[i] = float32(rnd.NormFloat64())
	}
	bias := to64(blas32.General{Data: bias32}).Data

	tests := []struct {
		name string
		f64  func(out blas64.General)
		f32  func(out blas32.General)
	}{
		{"BiasTanh", func(o blas64.General) { BiasTanh(z, bias, o) }, func(o blas32.General) { BiasTanh32(z32, bias32, o) }},
		{"BiasSigmoid", func(o blas64.General) { BiasSigmoid(z, bias, o) }, func(o blas32.General) { BiasSigmoid32(z32, bias32, o) }},
		{"Sub", func(o blas64.General) { Sub(z, y, o) }, func(o blas32.General) { Sub32(z32, y32, o) }},
		{"TanhBackward", func(o blas64.General) { TanhBackward(z, y, o) }, func(o blas32.General) { TanhBackward32(z32, y32, o) }},
		{"SGD", func(o blas64.General) { SGD(o, y, 0.125) }, func(o blas32.General) { SGD32(o, y32, 0.125) }},
	}
	for _, tc := range tests {
		want, got := clone64(z), to32(z)
		tc.f64(want)
		tc.f32(got)
		checkSame(t, tc.name, to64(got).Data, to64(to32(want)).Data)
	}

	sums, sums32 := make([]float64, 33), make([]float32, 33)
	RowSums(z, 0.25, sums)
	RowSums32(z32, 0.25, sums32)
	checkSame32(t, "RowSums32", sums32, to32(blas64.General{Data: sums}).Data)

	vec, vec32 := append([]float64(nil), bias...), append([]float32(nil), bias32...)
	SGDVec(vec, sums, 0.5)
	SGDVec32(vec32, sums32, 0.5)
	checkClose(t, "SGDVec32", to64(blas32.General{Data: vec32}).Data, vec, 1e-6)

	// Labels in [0, 1] for the costs.
	for i := range y32.Data {
		y32.Data[i] = float32(math.Abs(float64(y32.Data[i])))
	}
	y = to64(y32)
	if got, want := CostFromLogits32(z32, y32), CostFromLogits(z, y); got != want {
		t.Errorf("CostFromLogits32 = %v, want %v", got, want)
	}
	a2 := to32(z)
	BiasSigmoid32(a2, make([]float32, 33), a2)
	if got, want := Cost32(a2, y32), Cost(to64(a2), y); got != want {
		t.Errorf("Cost32 = %v, want %v", got, want)
	}
}

func TestCostAgreesWhereNotSaturated(t *testing.T) {
	rnd := rand.New(rand.NewPCG(11, 12))
	z, y := randGeneral(rnd, 3, 29, 1), randGeneral(rnd, 3, 29, 1)
	for i := range z.Data {
		z.Data[i] *= 10
		y.Data[i] = math.Abs(y.Data[i]) // soft labels in [0, 1]
		if i%3 == 0 {
			y.Data[i] = math.Round(y.Data[i])
		}
	}
	a2 := clone64(z)
	BiasSigmoid(z, make([]float64, 3), a2)
	got, want := CostFromLogits(z, y), Cost(a2, y)
	if !scalar.EqualWithinAbsOrRel(got, want, 1e-12, 1e-12) {
		t.Errorf("CostFromLogits = %v, Cost = %v", got, want)
	}
	// The direct formula, term by term.
	var sum float64
	for i := range 3 {
		for j := range 29 {
			p := 1 / (1 + math.Exp(-at(z, i, j)))
			sum += at(y, i, j)*math.Log(p) + (1-at(y, i, j))*math.Log(1-p)
		}
	}
	if direct := -sum / 29; !scalar.EqualWithinAbsOrRel(got, direct, 1e-12, 1e-12) {
		t.Errorf("CostFromLogits = %v, direct formula = %v", got, direct)
	}
}

func TestCostSaturated(t *testing.T) {
	tests := []struct {
		z, y     float64
		want     float64 // CostFromLogits
		costWant float64 // Cost on σ(z)
	}{
		{z: 40, y: 0, want: 40, costWant: math.Inf(1)},
		{z: 40, y: 1, want: 4.248354255291589e-18, costWant: math.NaN()},
		{z: -40, y: 1, want: 40, costWant: 40},
		{z: -40, y: 0, want: 4.248354255291589e-18, costWant: 0},
		{z: 1000, y: 0, want: 1000, costWant: math.Inf(1)},
		{z: 1000, y: 1, want: 0, costWant: math.NaN()},
		{z: -1000, y: 1, want: 1000, costWant: math.Inf(1)},
		{z: -1000, y: 0, want: 0, costWant: math.NaN()},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("z=%g/y=%g", tc.z, tc.y), func(t *testing.T) {
			z, y := fromRows([]float64{tc.z}), fromRows([]float64{tc.y})
			got := CostFromLogits(z, y)
			if !scalar.EqualWithinAbsOrRel(got, tc.want, 1e-15, 1e-15) {
				t.Errorf("CostFromLogits = %v, want %v", got, tc.want)
			}
			a2 := clone64(z)
			BiasSigmoid(z, []float64{0}, a2)
			if cost := Cost(a2, y); !scalar.Same(cost, tc.costWant) && !scalar.EqualWithinAbsOrRel(cost, tc.costWant, 1e-15, 1e-15) {
				t.Errorf("Cost = %v, want %v", cost, tc.costWant)
			}

			got32 := CostFromLogits32(to32(z), to32(y))
			if !scalar.EqualWithinAbsOrRel(got32, tc.want, 1e-15, 1e-15) {
				t.Errorf("CostFromLogits32 = %v, want %v", got32, tc.want)
			}
		})
	}
}

// TestCost32SaturatesSooner shows the float32 sigmoid reaching 1 at z = 20,
// where the float64 textbook cost is still finite.
func TestCost32SaturatesSooner(t *testing.T) {
	z, y := fromRows([]float64{20}), fromRows([]float64{0})
	a2 := clone64(z)
	BiasSigmoid(z, []float64{0}, a2)
	if c := Cost(a2, y); math.IsInf(c, 0) || math.IsNaN(c) {
		t.Errorf("Cost(σ(20), 0) = %v, want finite", c)
	}
	a32 := to32(z)
	BiasSigmoid32(a32, []float32{0}, a32)
	if c := Cost32(a32, to32(y)); !math.IsInf(c, 1) {
		t.Errorf("Cost32(σ(20), 0) = %v, want +Inf", c)
	}
	if c := CostFromLogits32(to32(z), to32(y)); !scalar.EqualWithinAbsOrRel(c, 20.000000002061153, 1e-15, 1e-15) {
		t.Errorf("CostFromLogits32(20, 0) = %v, want 20.000000002061153", c)
	}
}

func TestCostNoColumns(t *testing.T) {
	empty := blas64.General{Rows: 1, Cols: 0, Stride: 1}
	if c := CostFromLogits(empty, empty); !math.IsNaN(c) {
		t.Errorf("CostFromLogits of no columns = %v, want NaN", c)
	}
	if c := Cost(empty, empty); !math.IsNaN(c) {
		t.Errorf("Cost of no columns = %v, want NaN", c)
	}
}

// TestGradientCheck runs one forward and backward pass of the two-layer
// network with the ops and compares every gradient with a central
// difference of CostFromLogits, which ties dZ2 = A2 − Y and TanhBackward to
// the cost they differentiate.
func TestGradientCheck(t *testing.T) {
	const nx, nh, ny, m = 3, 4, 2, 5
	rnd := rand.New(rand.NewPCG(13, 14))
	x, y := randGeneral(rnd, nx, m, 0), randGeneral(rnd, ny, m, 0)
	for i := range y.Data {
		y.Data[i] = math.Round(math.Abs(y.Data[i]))
	}
	w1, w2 := randGeneral(rnd, nh, nx, 0), randGeneral(rnd, ny, nh, 0)
	b1, b2 := randGeneral(rnd, 1, nh, 0).Data, randGeneral(rnd, 1, ny, 0).Data

	dense := func(r, c int) blas64.General { return General(mat.NewDense(r, c, nil)) }
	forward := func() (a1, z2 blas64.General) {
		a1, z2 = dense(nh, m), dense(ny, m)
		Gemm(blas.NoTrans, blas.NoTrans, 1, w1, x, 0, a1)
		BiasTanh(a1, b1, a1)
		Gemm(blas.NoTrans, blas.NoTrans, 1, w2, a1, 0, z2)
		return a1, z2
	}
	cost := func() float64 {
		_, z2 := forward()
		return CostFromLogits(fromRowsBias(z2, b2), y)
	}

	a1, z2 := forward()
	a2 := dense(ny, m)
	BiasSigmoid(z2, b2, a2)
	dz2 := dense(ny, m)
	Sub(a2, y, dz2)
	dw2, db2 := dense(ny, nh), make([]float64, ny)
	Gemm(blas.NoTrans, blas.Trans, 1.0/m, dz2, a1, 0, dw2)
	RowSums(dz2, 1.0/m, db2)
	dz1 := dense(nh, m)
	Gemm(blas.Trans, blas.NoTrans, 1, w2, dz2, 0, dz1)
	TanhBackward(dz1, a1, dz1)
	dw1, db1 := dense(nh, nx), make([]float64, nh)
	Gemm(blas.NoTrans, blas.Trans, 1.0/m, dz1, x, 0, dw1)
	RowSums(dz1, 1.0/m, db1)

	params := []struct {
		name string
		p, g []float64
	}{{"W1", w1.Data, dw1.Data}, {"b1", b1, db1}, {"W2", w2.Data, dw2.Data}, {"b2", b2, db2}}
	const h = 1e-6
	for _, pr := range params {
		for i := range pr.p {
			orig := pr.p[i]
			pr.p[i] = orig + h
			plus := cost()
			pr.p[i] = orig - h
			minus := cost()
			pr.p[i] = orig
			if num := (plus - minus) / (2 * h); !scalar.EqualWithinAbsOrRel(pr.g[i], num, 1e-8, 1e-6) {
				t.Errorf("d%s[%d] = %v, central difference %v", pr.name, i, pr.g[i], num)
			}
		}
	}
}

// fromRowsBias returns z + bias[i] row by row as a new matrix.
func fromRowsBias(z blas64.General, bias []float64) blas64.General {
	out := clone64(z)
	for i := range z.Rows {
		for j := range z.Cols {
			out.Data[i*out.Stride+j] += bias[i]
		}
	}
	return out
}

func TestShapePanics(t *testing.T) {
	a, b := fromRows([]float64{1, 2}), fromRows([]float64{1, 2, 3})
	bad := blas64.General{Rows: 2, Cols: 3, Stride: 2, Data: make([]float64, 6)}
	short := blas64.General{Rows: 2, Cols: 3, Stride: 3, Data: make([]float64, 5)}
	tests := []struct {
		name string
		f    func()
	}{
		{"BiasTanh out", func() { BiasTanh(a, []float64{0}, b) }},
		{"BiasTanh bias", func() { BiasTanh(a, []float64{0, 0}, a) }},
		{"BiasSigmoid out", func() { BiasSigmoid(a, []float64{0}, b) }},
		{"Sub", func() { Sub(a, b, a) }},
		{"TanhBackward", func() { TanhBackward(a, a, b) }},
		{"RowSums", func() { RowSums(a, 1, make([]float64, 2)) }},
		{"Cost", func() { Cost(a, b) }},
		{"CostFromLogits", func() { CostFromLogits(a, b) }},
		{"SGD", func() { SGD(a, b, 1) }},
		{"SGDVec", func() { SGDVec(make([]float64, 2), make([]float64, 3), 1) }},
		{"stride < cols", func() { Sub(bad, bad, bad) }},
		{"short data", func() { Sub(short, short, short) }},
		{"negative dims", func() { RowSums(blas64.General{Rows: -1}, 1, nil) }},
		{"Sub32", func() { Sub32(to32(a), to32(b), to32(a)) }},
		{"RowSums32", func() { RowSums32(to32(a), 1, nil) }},
		{"SGDVec32", func() { SGDVec32(make([]float32, 1), nil, 1) }},
		{"NewGeneral32", func() { NewGeneral32(-1, 2) }},
		{"ToDense empty", func() { ToDense(NewGeneral32(0, 3)) }},
	}
	for _, tc := range tests {
		mustPanic(t, tc.name, tc.f)
	}
}

func TestEmpty(t *testing.T) {
	e := blas64.General{Rows: 0, Cols: 3, Stride: 3}
	BiasTanh(e, nil, e)
	Sub(e, e, e)
	SGD(e, e, 1)
	RowSums(e, 1, nil)
	e32 := NewGeneral32(2, 0)
	out := []float32{9, 9}
	RowSums32(e32, 1, out)
	checkSame32(t, "RowSums32 of no columns", out, []float32{0, 0})
}

func TestConversions(t *testing.T) {
	d := mat.NewDense(2, 3, []float64{1, 2.5, -3, 0.1, 5, 6})
	g := General(d)
	g.Data[0] = 7
	if d.At(0, 0) != 7 {
		t.Errorf("General does not share the data of its Dense")
	}
	view := d.Slice(0, 2, 1, 3).(*mat.Dense) // stride 3, 2 columns
	g32 := ToGeneral32(view)
	if g32.Rows != 2 || g32.Cols != 2 || g32.Stride != 2 {
		t.Fatalf("ToGeneral32 shape %d×%d stride %d, want 2×2 stride 2", g32.Rows, g32.Cols, g32.Stride)
	}
	checkSame32(t, "ToGeneral32", g32.Data, []float32{2.5, -3, 5, 6})
	back := ToDense(g32)
	if !mat.Equal(back, view) {
		t.Errorf("ToDense(ToGeneral32(m)) = %v, want %v", mat.Formatted(back), mat.Formatted(view))
	}
	if got := ToGeneral32(mat.NewDense(1, 1, []float64{0.1})).Data[0]; got != float32(0.1) {
		t.Errorf("ToGeneral32 rounds 0.1 to %v", got)
	}
}
