package dataset

import (
	"math"

	"github.com/cltrain/cltrain/internal/nprand"
	"gonum.org/v1/gonum/mat"
)

// FlowerSeed is the seed the course's load_planar_dataset uses.
const FlowerSeed = 1

// Flower returns the planar "flower" data set: 400 points in two petal-shaped
// classes of 200, built as the course's planar_utils.load_planar_dataset
// builds it after np.random.seed(seed):
//
//	for j in 0, 1:
//	    t = linspace(3.12 j, 3.12 (j+1), 200) + 0.2 randn(200)
//	    r = 4 sin(4 t) + 0.2 randn(200)
//	    points 200 j ... 200 j + 199: (r sin t, r cos t), label j
//
// The random numbers are numpy's exactly; the result agrees with numpy to the
// last bit or two, as numpy's vectorised sin and cos round differently from
// Go's. numpy accepts seeds 0 to 2^32-1; seed is reduced modulo 2^32.
func Flower(seed int64) *Set {
	const (
		m     = 400
		n     = m / 2
		ray   = 4.0
		sweep = 3.12
		noise = 0.2
	)
	rs := nprand.New(uint32(seed))
	x := mat.NewDense(2, m, nil)
	y := mat.NewDense(1, m, nil)
	t := make([]float64, n)
	for j := range 2 {
		lin := linspace(float64(j)*sweep, float64(j+1)*sweep, n)
		for i, g := range rs.Randn(n) {
			t[i] = lin[i] + float64(g*noise)
		}
		for i, g := range rs.Randn(n) {
			r := float64(ray*math.Sin(float64(4*t[i]))) + float64(g*noise)
			col := j*n + i
			x.Set(0, col, float64(r*math.Sin(t[i])))
			x.Set(1, col, float64(r*math.Cos(t[i])))
			y.Set(0, col, float64(j))
		}
	}
	return &Set{X: x, Y: y}
}

// linspace returns num evenly spaced values from start to stop inclusive,
// rounded as numpy's linspace computes them: i*step + start with
// step = (stop-start)/(num-1), and the last value exactly stop.
func linspace(start, stop float64, num int) []float64 {
	out := make([]float64, num)
	if num == 1 {
		out[0] = start
		return out
	}
	step := (stop - start) / float64(num-1)
	for i := range out {
		out[i] = float64(float64(i)*step) + start
	}
	out[num-1] = stop
	return out
}
