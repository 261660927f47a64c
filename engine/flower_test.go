package engine

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/dataset"
)

// courseRun is the course's numpy run of the flower network
// (testdata/gen_flower_course.py).
type courseRun struct {
	X     [][]float64            `json:"X"`
	Y     [][]float64            `json:"Y"`
	Init  map[string][][]float64 `json:"init"`
	Costs []struct {
		Step int     `json:"step"`
		Cost float64 `json:"cost"`
	} `json:"costs"`
	Accuracy float64 `json:"accuracy"`
}

func loadCourse(t *testing.T) courseRun {
	t.Helper()
	b, err := os.ReadFile("testdata/flower_course.json")
	if err != nil {
		t.Fatal(err)
	}
	var c courseRun
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// flowerStart returns the course's data and initial parameters as cltrain
// builds them.
func flowerStart(t *testing.T) (*dataset.Set, Params) {
	t.Helper()
	set := dataset.Flower(dataset.FlowerSeed)
	p, err := NewModel(2, 4).Init(Course, Seed(dataset.FlowerSeed).Weights())
	if err != nil {
		t.Fatal(err)
	}
	return set, p
}

func dense(rows [][]float64) *mat.Dense {
	m := mat.NewDense(len(rows), len(rows[0]), nil)
	for i, r := range rows {
		m.SetRow(i, r)
	}
	return m
}

// TestFlowerMatchesCourse checks cltrain's start of the flower run (the data
// set and the initial parameters) and its float64 training against numpy's:
// the logged costs agree to 1e-9 on numpy's own data and to 1e-6 on
// cltrain's (equal to it to 1e-13) until step 7000; after it the run
// oscillates and amplifies differences in the last bits (the summation order
// of the BLAS alone), so the costs agree to 1e-3 and the accuracy is at
// least 90 %.
func TestFlowerMatchesCourse(t *testing.T) {
	course := loadCourse(t)
	set, p := flowerStart(t)
	for name, m := range map[string]*mat.Dense{"W1": p.W[0], "b1": p.B[0], "W2": p.W[1], "b2": p.B[1]} {
		if want := dense(course.Init[name]); !mat.EqualApprox(m, want, 1e-18) {
			t.Errorf("%s = %v, numpy %v", name, mat.Formatted(m), mat.Formatted(want))
		}
	}
	if !mat.EqualApprox(set.X, dense(course.X), 1e-13) || !mat.Equal(set.Y, dense(course.Y)) {
		t.Fatal("the flower data set differs from numpy's")
	}
	for _, tc := range []struct {
		name string
		x, y *mat.Dense
		tol  float64
	}{
		{"numpy data", dense(course.X), dense(course.Y), 1e-9},
		{"cltrain data", set.X, set.Y, 1e-6},
	} {
		b := NewCPU()
		if err := b.Load(Model{Sizes: p.Sizes()}, tc.x, tc.y, p); err != nil {
			t.Fatal(err)
		}
		res, err := Train(context.Background(), b, 400, Config{Iters: 10000, LR: 1.2, LogEvery: 1000}, Hooks{})
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range course.Costs {
			got := res.Records[i]
			tol := tc.tol
			if got.Step > 7000 {
				tol = 1e-3
			}
			if got.Step != want.Step || !scalar.EqualWithinRel(got.Cost, want.Cost, tol) {
				t.Errorf("%s: step %d: cost %.9f, numpy step %d %.9f", tc.name, got.Step, got.Cost, want.Step, want.Cost)
			}
		}
		if res.Final.Accuracy < 0.90 {
			t.Errorf("%s: final accuracy %v, numpy %v", tc.name, res.Final.Accuracy, course.Accuracy)
		}
	}
}
