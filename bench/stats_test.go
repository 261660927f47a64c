package bench

import (
	"math"
	"slices"
	"testing"
)

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []float64
		want Summary
	}{
		{"one", []float64{3}, Summary{3, 3, 3}},
		{"odd count", []float64{5, 1, 3}, Summary{3, 1, 5}},
		{"even count averages the middle two", []float64{4, 1, 3, 10}, Summary{3.5, 1, 10}},
		{"duplicates", []float64{2, 2, 7, 2}, Summary{2, 2, 7}},
		{"outlier moves the max only", []float64{1, 1.1, 0.9, 1.05, 100}, Summary{1.05, 0.9, 100}},
		{"two", []float64{8, 2}, Summary{5, 2, 8}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Clone(tc.in)
			if got := Summarize(in); got != tc.want {
				t.Errorf("Summarize(%v) = %+v, want %+v", tc.in, got, tc.want)
			}
			if !slices.Equal(in, tc.in) {
				t.Errorf("Summarize reordered its input: %v, was %v", in, tc.in)
			}
		})
	}
	if s := Summarize(nil); !math.IsNaN(s.Median) || !math.IsNaN(s.Min) || !math.IsNaN(s.Max) {
		t.Errorf("Summarize(nil) = %+v, want NaNs", s)
	}
}
