package figures

import (
	"math"
	"strings"
	"testing"
)

func TestNiceTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		ticks  niceTicks
		labels string
		minors int
	}{
		{0, 2900, niceTicks{n: 6, integer: true}, "0 500 1000 1500 2000 2500", 24},
		{-1, 1, niceTicks{n: 6, integer: true}, "-1 0 1", 0},
		{0, 9, niceTicks{n: 6, integer: true}, "0 2 4 6 8", 5},
		{0.21, 0.7, niceTicks{n: 5}, "0.3 0.4 0.5 0.6 0.7", 20},
		{0, 1, niceTicks{n: 5}, "0.0 0.2 0.4 0.6 0.8 1.0", 15},
		{0, 1e6, niceTicks{n: 6}, "0 200000 400000 600000 800000 1000000", 15},
		{-5.3, 5.3, niceTicks{n: 6}, "-4 -2 0 2 4", 16},
		{0.3, 0.9, niceTicks{n: 6}, "0.3 0.4 0.5 0.6 0.7 0.8 0.9", 24},
		{0, 1e8, niceTicks{n: 5}, "0 2e+07 4e+07 6e+07 8e+07 1e+08", 15},
		{0, 1e-4, niceTicks{n: 5}, "0 2e-05 4e-05 6e-05 8e-05 0.0001", 15},
		{0.9e17, 1.1e17, niceTicks{n: 5}, "9e+16 9.5e+16 1e+17 1.05e+17 1.1e+17", 16},
	} {
		var labels []string
		minors := 0
		for _, tick := range tc.ticks.Ticks(tc.lo, tc.hi) {
			if tick.Value < tc.lo || tick.Value > tc.hi {
				t.Errorf("Ticks(%g, %g): tick %g outside the range", tc.lo, tc.hi, tick.Value)
			}
			if tick.Label == "" {
				minors++
			} else {
				labels = append(labels, tick.Label)
			}
		}
		if got := strings.Join(labels, " "); got != tc.labels || minors != tc.minors {
			t.Errorf("Ticks(%g, %g) = %q with %d minor ticks, want %q with %d", tc.lo, tc.hi, got, minors, tc.labels, tc.minors)
		}
	}
}

// TestNiceTicksDegenerate checks that a range too narrow for the magnitude of
// its ends still gives a bounded set of ticks inside it, and an empty range
// none.
func TestNiceTicksDegenerate(t *testing.T) {
	for _, r := range [][2]float64{{1e17, 1e17 + 64}, {-1e300, 1e300}, {1, math.Nextafter(1, 2)}} {
		for _, nt := range []niceTicks{{n: 6}, {n: 6, integer: true}} {
			ticks := nt.Ticks(r[0], r[1])
			if len(ticks) > maxTicks {
				t.Errorf("%+v.Ticks(%g, %g): %d ticks, want at most %d", nt, r[0], r[1], len(ticks), maxTicks)
			}
			for _, tick := range ticks {
				if tick.Value < r[0] || tick.Value > r[1] {
					t.Errorf("%+v.Ticks(%g, %g): tick %g outside the range", nt, r[0], r[1], tick.Value)
				}
			}
		}
	}
	if ticks := (niceTicks{n: 6}).Ticks(1, 1); ticks != nil {
		t.Errorf("Ticks(1, 1) = %v, want none", ticks)
	}
}
