package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cltrain/cltrain/checkpoint"
	"github.com/cltrain/cltrain/internal/cltest"
)

const digits = "../../testdata/sklearn/digits.npz"

// heldOut is what the summary says of the held-out examples.
type heldOut struct {
	Loss        float64  `json:"loss"`
	ValLoss     *float64 `json:"val_loss"`
	ValAccuracy *float64 `json:"val_accuracy"`
	Model       string   `json:"model"`
	Layers      []int    `json:"layers"`
}

// TestDigitsHeldOut trains scikit-learn's digits (10 classes) with a seeded
// 80/20 split for each of the three configurations on both backends:
// the held-out accuracy of the final parameters is at least 95 %.
func TestDigitsHeldOut(t *testing.T) {
	configs := []struct {
		name  string
		flags []string
	}{
		{"relu-adam", []string{"--activation", "relu", "--optimizer", "adam", "--lr", "0.01"}},
		{"tanh-sgd-l2", []string{"--activation", "tanh", "--optimizer", "sgd", "--lr", "1", "--l2", "1"}},
		{"relu-momentum", []string{"--activation", "relu", "--optimizer", "momentum", "--lr", "0.2"}},
	}
	for _, backend := range []string{"cpu", "opencl"} {
		for _, c := range configs {
			t.Run(backend+"/"+c.name, func(t *testing.T) {
				if backend == "opencl" {
					cltest.Device(t)
				}
				args := append([]string{"train", "--backend", backend, "--data", digits, "--output", "softmax", "--hidden", "64",
					"--init-scale", "he", "--val-split", "0.2", "--iters", "300", "--log-every", "100", "--json"}, c.flags...)
				code, stdout, stderr := cli(t, args...)
				if code != exitOK {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				var s heldOut
				if err := json.Unmarshal([]byte(stdout), &s); err != nil {
					t.Fatalf("summary %q: %v", stdout, err)
				}
				if s.ValAccuracy == nil || *s.ValAccuracy < 0.95 {
					t.Errorf("held-out accuracy %v, want ≥ 0.95 (summary %s)", s.ValAccuracy, stdout)
				}
				if fmt.Sprint(s.Layers) != "[64 64 10]" {
					t.Errorf("layers %v, want [64 64 10]", s.Layers)
				}
			})
		}
	}
}

// TestResumeThroughCheckpoint trains 2N steps straight and N, --save, N more
// from --init, with Adam and L2 on the CPU backend: the two saved files
// hold the same parameters and optimizer state bit for bit, and resuming
// with another optimizer is refused naming the state.
func TestResumeThroughCheckpoint(t *testing.T) {
	dir := t.TempDir()
	path := func(name string) string { return filepath.Join(dir, name) }
	common := []string{"--backend", "cpu", "--data", "../../testdata/sklearn/iris.npz", "--output", "softmax",
		"--hidden", "8,6", "--activation", "relu", "--l2", "0.01", "--lr", "0.01", "--quiet"}
	train := func(extra ...string) {
		t.Helper()
		args := append(append([]string{"train"}, common...), extra...)
		if code, _, stderr := cli(t, args...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
	train("--optimizer", "adam", "--iters", "40", "--save", path("straight.npz"))
	train("--optimizer", "adam", "--iters", "20", "--save", path("half.npz"))
	train("--init", path("half.npz"), "--iters", "20", "--save", path("resumed.npz"))
	_, straight, err := checkpoint.Load(path("straight.npz"))
	if err != nil {
		t.Fatal(err)
	}
	model, resumed, err := checkpoint.Load(path("resumed.npz"))
	if err != nil {
		t.Fatal(err)
	}
	if model.Optimizer.String() != "adam" || resumed.Opt.Steps != 40 {
		t.Errorf("resumed checkpoint: %v after %d steps, want adam after 40", model.Optimizer, resumed.Opt.Steps)
	}
	for l := range straight.W {
		for _, pair := range [][2][]float64{
			{straight.W[l].RawMatrix().Data, resumed.W[l].RawMatrix().Data},
			{straight.Opt.Slots[1].W[l].RawMatrix().Data, resumed.Opt.Slots[1].W[l].RawMatrix().Data},
		} {
			for i := range pair[0] {
				if pair[0][i] != pair[1][i] {
					t.Fatalf("layer %d element %d: straight %v, resumed %v", l+1, i, pair[0][i], pair[1][i])
				}
			}
		}
	}
	code, _, stderr := cli(t, append(append([]string{"train"}, common...), "--init", path("half.npz"), "--optimizer", "momentum", "--iters", "1")...)
	if code != exitUsage || !strings.Contains(stderr, "holds the state of adam after 20 steps") {
		t.Errorf("resume with another optimizer: exit %d, %q", code, stderr)
	}
}

// TestPredictProba writes every class's probability of a softmax network:
// K columns after the prediction that sum to 1 and whose largest is the
// predicted class.
func TestPredictProba(t *testing.T) {
	dir := t.TempDir()
	model, out := filepath.Join(dir, "m.npz"), filepath.Join(dir, "p.csv")
	data := "../../testdata/sklearn/wine.npz"
	if code, _, stderr := cli(t, "train", "--backend", "cpu", "--data", data, "--output", "softmax", "--hidden", "8",
		"--optimizer", "adam", "--lr", "0.05", "--iters", "200", "--init-scale", "xavier", "--save", model, "--quiet"); code != exitOK {
		t.Fatalf("train: %s", stderr)
	}
	code, stdout, stderr := cli(t, "predict", "--model", model, "--data", data, "--out", out, "--proba")
	if code != exitOK || !strings.Contains(stdout, "178 examples, accuracy") {
		t.Fatalf("predict: exit %d, %q, %q", code, stdout, stderr)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if lines[0] != "prediction,p0,p1,p2" || len(lines) != 179 {
		t.Fatalf("header %q and %d rows", lines[0], len(lines)-1)
	}
	for _, line := range lines[1:] {
		var class int
		var p [3]float64
		if _, err := fmt.Sscanf(line, "%d,%g,%g,%g", &class, &p[0], &p[1], &p[2]); err != nil {
			t.Fatalf("row %q: %v", line, err)
		}
		if sum := p[0] + p[1] + p[2]; sum < 1-1e-9 || sum > 1+1e-9 {
			t.Errorf("row %q sums to %v", line, sum)
		}
		for k := range p {
			if p[k] > p[class] {
				t.Errorf("row %q: class %d is more probable than the prediction", line, k)
			}
		}
	}
}

// TestEarlyStopCLI stops a run whose held-out loss stops falling and
// reports the best step; the metrics file gains the held-out columns.
func TestEarlyStopCLI(t *testing.T) {
	dir := t.TempDir()
	metrics := filepath.Join(dir, "m.csv")
	code, stdout, stderr := cli(t, "train", "--backend", "cpu", "--data", "../../testdata/sklearn/iris.npz", "--output", "softmax",
		"--hidden", "32", "--activation", "relu", "--optimizer", "adam", "--lr", "0.05", "--init-scale", "he",
		"--val-split", "0.3", "--iters", "20000", "--log-every", "50", "--early-stop", "3", "--metrics", metrics, "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var s struct {
		Iterations   int      `json:"iterations"`
		StoppedEarly bool     `json:"stopped_early"`
		BestStep     *int     `json:"best_step"`
		ValLoss      *float64 `json:"val_loss"`
	}
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatal(err)
	}
	if !s.StoppedEarly || s.BestStep == nil || s.Iterations != *s.BestStep+150 || s.ValLoss == nil {
		t.Fatalf("summary %s: want stopped early 3 logged steps after the best", stdout)
	}
	raw, err := os.ReadFile(metrics)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(raw), "step,loss,accuracy,val_loss,val_accuracy\n0,") {
		t.Errorf("metrics start %q", string(raw)[:60])
	}
}
