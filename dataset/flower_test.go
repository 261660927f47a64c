package dataset

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/mat"
)

// flowerGolden mirrors testdata/flower_golden.json (see gen_testdata.py).
type flowerGolden struct {
	Sets []struct {
		Seed int64       `json:"seed"`
		X    [][]float64 `json:"X"`
		Y    [][]float64 `json:"Y"`
	} `json:"sets"`
}

func TestFlowerMatchesNumpy(t *testing.T) {
	raw, err := os.ReadFile("testdata/flower_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g flowerGolden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Sets) != 2 {
		t.Fatalf("golden file has %d sets, want 2", len(g.Sets))
	}
	for _, want := range g.Sets {
		s := Flower(want.Seed)
		if s.Features() != 2 || s.Examples() != 400 || len(want.X) != 2 || len(want.X[0]) != 400 {
			t.Fatalf("seed %d: got %dx%d", want.Seed, s.Features(), s.Examples())
		}
		var exact int
		var worstAbs, worstRel float64
		for i := range 2 {
			for j := range 400 {
				got, w := s.X.At(i, j), want.X[i][j]
				if got == w {
					exact++
				}
				// The uniform draws are numpy's bit for bit; the normal draws
				// (numpy's log is the C library's) and sin and cos (numpy's
				// are vectorised) round differently in the last bit or two.
				if !scalar.EqualWithinRel(got, w, 1e-13) {
					t.Errorf("seed %d: X[%d,%d] = %v, numpy %v", want.Seed, i, j, got, w)
				}
				d := math.Abs(got - w)
				worstAbs = max(worstAbs, d)
				worstRel = max(worstRel, d/math.Abs(w))
			}
		}
		for j := range 400 {
			if s.Y.At(0, j) != want.Y[0][j] {
				t.Fatalf("seed %d: Y[%d] = %v, numpy %v", want.Seed, j, s.Y.At(0, j), want.Y[0][j])
			}
		}
		t.Logf("seed %d: %d of 800 coordinates bit-identical to numpy; largest difference %.3g absolute, %.3g relative",
			want.Seed, exact, worstAbs, worstRel)
	}
}

func TestFlowerSeedIsDeterministic(t *testing.T) {
	a, b, c := Flower(FlowerSeed), Flower(FlowerSeed), Flower(FlowerSeed+1)
	if !mat.Equal(a.X, b.X) || !mat.Equal(a.Y, b.Y) {
		t.Error("two Flower(FlowerSeed) calls differ")
	}
	if mat.Equal(a.X, c.X) {
		t.Error("different seeds give the same set")
	}
}

func TestLinspace(t *testing.T) {
	// Values printed by numpy 1.24's np.linspace.
	tests := []struct {
		start, stop float64
		num         int
		idx         []int
		want        []float64
	}{
		{0, 3.12, 5, nil, []float64{0, 0.78, 1.56, 2.34, 3.12}},
		{3.12, 6.24, 3, nil, []float64{3.12, 4.68, 6.24}},
		{0, 3.12, 200, []int{1, 37, 101, 198}, []float64{0.015678391959798997, 0.5801005025125628, 1.5835175879396988, 3.1043216080402014}},
		{3.12, 6.24, 200, []int{1, 37, 101, 198}, []float64{3.1356783919597992, 3.700100502512563, 4.703517587939698, 6.224321608040201}},
		{2, 2, 3, nil, []float64{2, 2, 2}},
		{1, 5, 1, nil, []float64{1}},
	}
	for _, tc := range tests {
		got := linspace(tc.start, tc.stop, tc.num)
		if len(got) != tc.num {
			t.Fatalf("linspace(%v, %v, %d) has %d values", tc.start, tc.stop, tc.num, len(got))
		}
		for k, w := range tc.want {
			i := k
			if tc.idx != nil {
				i = tc.idx[k]
			}
			if got[i] != w {
				t.Errorf("linspace(%v, %v, %d)[%d] = %v, numpy %v", tc.start, tc.stop, tc.num, i, got[i], w)
			}
		}
	}
}
