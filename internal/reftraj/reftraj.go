// Package reftraj reads the reference trajectories under testdata/ref:
// training runs made with PyTorch in float64 (scripts/datasets) from stored
// initial parameters, which the tests replay on every backend.
package reftraj

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/engine"
	"github.com/cltrain/cltrain/internal/npz"
)

// Names are the reference runs scripts/datasets/make_references.py writes.
var Names = []string{"digits-relu-adam", "digits-tanh-sgd-l2", "digits-relu-momentum", "iris-relu-adam-2layer"}

// Case is one reference run: the model, its data, its initial parameters,
// and the cost and training accuracy before each of its updates and after
// the last (Steps+1 values each).
type Case struct {
	Name     string
	Model    engine.Model
	LR       float64
	Steps    int
	X        *mat.Dense // n_x×m
	Labels   *mat.Dense // 1×m classes
	Y        *mat.Dense // the labels as the model trains on them (one-hot for softmax)
	Init     engine.Params
	Loss     []float64
	Accuracy []float64
}

// config is the .json file beside each reference.
type config struct {
	Data       string  `json:"data"`
	Hidden     []int   `json:"hidden"`
	Activation string  `json:"activation"`
	Output     string  `json:"output"`
	Optimizer  string  `json:"optimizer"`
	LR         float64 `json:"lr"`
	L2         float64 `json:"l2"`
	Momentum   float64 `json:"momentum"`
	Beta1      float64 `json:"beta1"`
	Beta2      float64 `json:"beta2"`
	Eps        float64 `json:"eps"`
	Steps      int     `json:"steps"`
}

// Load reads the reference run name from the repository whose root is
// root.
func Load(root, name string) (*Case, error) {
	raw, err := os.ReadFile(filepath.Join(root, "testdata", "ref", name+".json"))
	if err != nil {
		return nil, err
	}
	var cfg config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("%s.json: %w", name, err)
	}
	c := &Case{Name: name, LR: cfg.LR, Steps: cfg.Steps}
	if c.Model.Hidden, err = engine.ParseActivation(cfg.Activation); err != nil {
		return nil, err
	}
	if c.Model.Output, err = engine.ParseOutput(cfg.Output); err != nil {
		return nil, err
	}
	if c.Model.Optimizer, err = engine.ParseOptimizer(cfg.Optimizer); err != nil {
		return nil, err
	}
	c.Model.Hyper = engine.Hyper{Momentum: cfg.Momentum, Beta1: cfg.Beta1, Beta2: cfg.Beta2, Eps: cfg.Eps}
	c.Model.L2 = cfg.L2

	data, err := npz.Open(filepath.Join(root, cfg.Data), 1<<30)
	if err != nil {
		return nil, err
	}
	defer data.Close()
	x, err := matrix(data, "X")
	if err != nil {
		return nil, err
	}
	if c.Labels, err = matrix(data, "Y"); err != nil {
		return nil, err
	}
	c.X = x
	if c.Y, err = engine.OneHot(c.Labels, 0); err != nil {
		return nil, err
	}
	k, _ := c.Y.Dims()
	nx, _ := x.Dims()
	c.Model.Sizes = append(append([]int{nx}, cfg.Hidden...), k)

	ref, err := npz.Open(filepath.Join(root, "testdata", "ref", name+".npz"), 1<<30)
	if err != nil {
		return nil, err
	}
	defer ref.Close()
	for l := 1; l < len(c.Model.Sizes); l++ {
		w, err := matrix(ref, "W"+strconv.Itoa(l))
		if err != nil {
			return nil, err
		}
		b, err := matrix(ref, "b"+strconv.Itoa(l))
		if err != nil {
			return nil, err
		}
		c.Init.W, c.Init.B = append(c.Init.W, w), append(c.Init.B, b)
	}
	for _, v := range []struct {
		key string
		out *[]float64
	}{{"loss", &c.Loss}, {"accuracy", &c.Accuracy}} {
		a, err := ref.Read(v.key)
		if err != nil {
			return nil, err
		}
		if len(a.Data) != c.Steps+1 {
			return nil, fmt.Errorf("%s.npz: %s has %d values, want %d", name, v.key, len(a.Data), c.Steps+1)
		}
		*v.out = a.Data
	}
	if err := c.Model.Check(c.Init); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// matrix reads the 2-D array key of r.
func matrix(r *npz.Reader, key string) (*mat.Dense, error) {
	a, err := r.ReadNumeric(key)
	if err != nil {
		return nil, err
	}
	if len(a.Shape) != 2 {
		return nil, fmt.Errorf("array %q: shape %v, want 2-D", key, a.Shape)
	}
	return mat.NewDense(a.Shape[0], a.Shape[1], a.Data), nil
}
