package nprand

import (
	"gonum.org/v1/gonum/floats/scalar"

	"encoding/json"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"
)

// golden mirrors testdata/golden.json, written by testdata/gen_golden.py.
type golden struct {
	Numpy string       `json:"numpy"`
	Cases []goldenCase `json:"cases"`
}

type goldenCase struct {
	Seed              uint32    `json:"seed"`
	State             []uint32  `json:"state"`
	Uint32            []uint32  `json:"uint32"`
	RandomSample      []float64 `json:"random_sample"`
	Randn5            []float64 `json:"randn_5"`
	Randn4            []float64 `json:"randn_4"`
	Between           float64   `json:"between"`
	Randn1001         []float64 `json:"randn_1001"`
	Permutation10     []int     `json:"permutation_10"`
	Permutation1000   []int     `json:"permutation_1000"`
	Permutation1      []int     `json:"permutation_1"`
	AfterPermutations float64   `json:"after_permutations"`
	RandnEvery1000th  []float64 `json:"randn_100000_every_1000th"`
}

func loadGolden(t *testing.T) *golden {
	t.Helper()
	raw, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) == 0 {
		t.Fatal("golden file has no cases")
	}
	return &g
}

// sameBits reports the first index where got and want differ as float64 bit
// patterns, or -1.
func sameBits(got, want []float64) int {
	if len(got) != len(want) {
		return min(len(got), len(want))
	}
	for i := range got {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			return i
		}
	}
	return -1
}

func checkBits(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if i := sameBits(got, want); i >= 0 {
		if i < len(got) && i < len(want) {
			t.Errorf("%s: first difference at %d: got %v, numpy %v", what, i, got[i], want[i])
		} else {
			t.Errorf("%s: got %d values, numpy %d", what, len(got), len(want))
		}
	}
}

// checkNear compares normal draws with numpy's to within 4 ulp: the draws
// take the same uniform values, but numpy's log is the C library's, which
// differs from math.Log in the last bit for some inputs.
func checkNear(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d values, numpy %d", what, len(got), len(want))
		return
	}
	for i := range got {
		if !scalar.EqualWithinULP(got[i], want[i], 4) {
			t.Errorf("%s: first difference at %d: got %v, numpy %v", what, i, got[i], want[i])
			return
		}
	}
}

func TestGoldenNumpy(t *testing.T) {
	g := loadGolden(t)
	for _, c := range g.Cases {
		t.Run("seed"+strconv.FormatUint(uint64(c.Seed), 10), func(t *testing.T) {
			r := New(c.Seed)
			if !slices.Equal(r.key[:], c.State) {
				t.Errorf("state after seeding differs from numpy's get_state()")
			}
			var raw []uint32
			for range c.Uint32 {
				raw = append(raw, r.Uint32())
			}
			if !slices.Equal(raw, c.Uint32) {
				t.Errorf("Uint32: got %v, numpy %v", raw, c.Uint32)
			}

			r = New(c.Seed)
			var u []float64
			for range c.RandomSample {
				u = append(u, r.Float64())
			}
			checkBits(t, "Float64", u, c.RandomSample)

			r = New(c.Seed)
			checkNear(t, "randn(5)", r.Randn(5), c.Randn5)
			checkNear(t, "randn(4) after an odd count", r.Randn(4), c.Randn4)
			checkBits(t, "random_sample between", []float64{r.Float64()}, []float64{c.Between})
			checkNear(t, "randn(1001) with a cached value", r.Randn(1001), c.Randn1001)

			r = New(c.Seed)
			for _, p := range []struct {
				n    int
				want []int
			}{{10, c.Permutation10}, {1000, c.Permutation1000}, {1, c.Permutation1}} {
				if got := r.Permutation(p.n); !slices.Equal(got, p.want) {
					t.Errorf("Permutation(%d) differs from numpy: got %v", p.n, head(got))
				}
			}
			checkBits(t, "random_sample after permutations", []float64{r.Float64()}, []float64{c.AfterPermutations})

			r = New(c.Seed)
			long := r.Randn(100000)
			var every []float64
			for i := 0; i < len(long); i += 1000 {
				every = append(every, long[i])
			}
			checkNear(t, "randn(100000)[::1000]", every, c.RandnEvery1000th)
		})
	}
}

func TestSeedResetsCache(t *testing.T) {
	r := New(3)
	first := r.Randn(3)
	r.Seed(3)
	if again := r.Randn(3); sameBits(again, first) >= 0 {
		t.Errorf("after Seed: %v, want %v", again, first)
	}
}

func TestEmptyAndNegativeSizes(t *testing.T) {
	r := New(1)
	for _, n := range []int{0, -3} {
		if got := r.Randn(n); len(got) != 0 {
			t.Errorf("Randn(%d) has %d values", n, len(got))
		}
		if got := r.Permutation(n); len(got) != 0 {
			t.Errorf("Permutation(%d) has %d values", n, len(got))
		}
	}
	// Neither call may have consumed randomness.
	if got, want := r.Float64(), New(1).Float64(); got != want {
		t.Errorf("empty calls advanced the stream: %v != %v", got, want)
	}
}

func TestIntervalWide(t *testing.T) {
	// Ranges above 32 bits draw 64-bit words; results must stay in range and
	// reach the upper half.
	r := New(5)
	const hi = 1<<40 + 12345
	var upper bool
	for range 1000 {
		v := r.interval(hi)
		if v > hi {
			t.Fatalf("interval(%d) = %d", uint64(hi), v)
		}
		upper = upper || v > hi/2
	}
	if !upper {
		t.Error("interval never reached the upper half of a 40-bit range")
	}
}

func TestPermutationIsPermutation(t *testing.T) {
	p := New(9).Permutation(5000)
	s := slices.Clone(p)
	slices.Sort(s)
	for i, v := range s {
		if v != i {
			t.Fatalf("Permutation(5000) is not a permutation: sorted[%d] = %d", i, v)
		}
	}
}

func BenchmarkNormFloat64(b *testing.B) {
	r := New(1)
	for b.Loop() {
		r.NormFloat64()
	}
}

func head(p []int) []int { return p[:min(len(p), 12)] }
