package figures

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// niceTicks places about n labelled ticks at multiples of 1, 2 or 5 times a
// power of ten, with unlabelled minor ticks between them, and labels them
// with no more decimals than the step needs (2500, not 2500.00). With integer
// set, no step is below 1, as fits an iteration count.
type niceTicks struct {
	n       int
	integer bool
}

// maxTicks bounds the number of ticks, major and minor, on one axis.
const maxTicks = 200

// Ticks implements plot.Ticker.
func (t niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return nil
	}
	step, minors := niceStep((hi - lo) / float64(t.n))
	if t.integer && step < 1 {
		step = 1
	}
	minor := step / float64(minors)
	if t.integer {
		minor = math.Max(minor, 1)
	}
	// slack absorbs rounding in k*minor, so that ticks on the ends of the
	// range are kept; their values are then clamped into it.
	const slack = 1e-9
	first, last := math.Ceil(lo/minor-slack), math.Floor(hi/minor+slack)
	if !(last-first < maxTicks) {
		// The range is too narrow for its magnitude to be split in
		// float64 steps of minor.
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	var ticks []plot.Tick
	for i := 0; i <= int(last-first); i++ {
		k := first + float64(i)
		tick := plot.Tick{Value: math.Max(lo, math.Min(hi, k*minor))}
		if major := math.Round(k * minor / step); math.Abs(k*minor-major*step) < minor/2 {
			v := major * step
			if v == 0 {
				v = 0 // no "-0"
			}
			tick.Label = label(v, step)
		}
		ticks = append(ticks, tick)
	}
	return ticks
}

// label formats the tick value v on an axis with labelled ticks every step:
// with as many decimals as step needs ("2500", "0.25"), or in exponent form
// when step is very large or very small ("2e+07", "5e-05").
func label(v, step float64) string {
	if step >= 1e7 || step < 1e-4 {
		return strconv.FormatFloat(v, 'g', 6, 64)
	}
	decimals := max(0, -int(math.Floor(math.Log10(step))))
	return strconv.FormatFloat(v, 'f', decimals, 64)
}

// niceStep returns the smallest of 1, 2 and 5 times a power of ten that is at
// least raw (give or take rounding), and how many minor intervals split it.
func niceStep(raw float64) (step float64, minors int) {
	const slack = 1e-9
	mag := math.Pow(10, math.Floor(math.Log10(raw)+slack))
	switch f := raw / mag; {
	case f <= 1+slack:
		return mag, 5
	case f <= 2+slack:
		return 2 * mag, 4
	case f <= 5+slack:
		return 5 * mag, 5
	default:
		return 10 * mag, 5
	}
}
