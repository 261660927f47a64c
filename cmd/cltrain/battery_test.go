package main

import (
	"bytes"
	bin "encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cltrain/cltrain/internal/cltest"
	"github.com/cltrain/cltrain/internal/npztest"
)

// fixtures are the files the bad-input battery runs against, in one folder.
type fixtures struct {
	dir                         string
	csv, npz, model, model5     string // labelled data (2 features), models of 4 and 5 hidden units
	features, int1D, wide, huge string // unlabelled CSV, .npz with int64 Y of shape (m,), 3-feature CSV, 1e39 in a CSV
	fifo, zero, sub, link       string // a FIFO, a link to /dev/zero named .csv, a folder, a link to the .npz
	classes, fraction, oneHot2  string // labels 0…2, a label 1.5, one-hot Y with a column of two ones
	adam                        string // a model saved after 5 Adam steps
}

func newFixtures(t *testing.T) fixtures {
	t.Helper()
	dir := t.TempDir()
	f := fixtures{dir: dir}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var rows, feats strings.Builder
	for i := range 40 {
		x1, x2 := float64(i%7)-3, float64(i%5)-2
		label := 0
		if x1*x2 > 0 {
			label = 1
		}
		fmt.Fprintf(&rows, "%g,%g,%d\n", x1, x2, label)
		fmt.Fprintf(&feats, "%g,%g\n", x1, x2)
	}
	f.csv = write("data.csv", "x1,x2,y\n"+rows.String())
	f.features = write("features.csv", feats.String())
	f.wide = write("wide.csv", "1,2,3,0\n4,5,6,1\n")
	f.huge = write("huge.csv", "1,2,0\n3,1e39,1\n")

	// X (2, 4) float64 and Y (4,) int64.
	f.int1D = filepath.Join(dir, "int1d.npz")
	npzFile := npztest.Archive(t,
		npztest.Entry{Key: "X", Descr: "<f8", Shape: "(2, 4)", Payload: npztest.Float64s(1, -1, 2, -2, 0.5, -0.5, 1, 0)},
		npztest.Entry{Key: "Y", Descr: "<i8", Shape: "(4,)", Payload: npztest.Ints(bin.LittleEndian, 8, 1, 0, 1, 0)})
	if err := os.WriteFile(f.int1D, npzFile, 0o644); err != nil {
		t.Fatal(err)
	}
	f.npz = f.int1D

	f.model = filepath.Join(dir, "model.npz")
	if code, _, stderr := cli(t, "train", "--backend", "cpu", "--iters", "5", "--data", f.csv, "--save", f.model, "--quiet"); code != exitOK {
		t.Fatalf("make the model: %s", stderr)
	}
	f.model5 = filepath.Join(dir, "model5.npz")
	if code, _, stderr := cli(t, "train", "--backend", "cpu", "--iters", "5", "--hidden", "5", "--data", f.csv, "--save", f.model5, "--quiet"); code != exitOK {
		t.Fatalf("make the model: %s", stderr)
	}

	f.classes = write("classes.csv", "1,2,0\n3,4,1\n5,6,2\n")
	f.fraction = write("fraction.csv", "x1,x2,y\n1,2,0\n3,4,1.5\n")
	f.oneHot2 = filepath.Join(dir, "onehot2.npz")
	if err := os.WriteFile(f.oneHot2, npztest.Archive(t,
		npztest.Entry{Key: "X", Descr: "<f8", Shape: "(1, 3)", Payload: npztest.Float64s(1, 2, 3)},
		npztest.Entry{Key: "Y", Descr: "<f8", Shape: "(2, 3)", Payload: npztest.Float64s(1, 1, 0, 0, 1, 1)}), 0o644); err != nil {
		t.Fatal(err)
	}
	f.adam = filepath.Join(dir, "adam.npz")
	if code, _, stderr := cli(t, "train", "--backend", "cpu", "--iters", "5", "--data", f.csv, "--optimizer", "adam", "--lr", "0.01", "--save", f.adam, "--quiet"); code != exitOK {
		t.Fatalf("make the Adam model: %s", stderr)
	}

	f.fifo = filepath.Join(dir, "fifo.npz")
	if err := syscall.Mkfifo(f.fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	f.zero = filepath.Join(dir, "zero.csv")
	if err := os.Symlink("/dev/zero", f.zero); err != nil {
		t.Fatal(err)
	}
	f.sub = filepath.Join(dir, "sub.npz")
	if err := os.Mkdir(f.sub, 0o755); err != nil {
		t.Fatal(err)
	}
	f.link = filepath.Join(dir, "link.npz")
	if err := os.Symlink(f.npz, f.link); err != nil {
		t.Fatal(err)
	}
	return f
}

// snapshot lists the folder's names with their sizes and times, to see that
// a refused command changed nothing.
func snapshot(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %d %d", e.Name(), info.Size(), info.ModTime().UnixNano()))
	}
	return out
}

// TestBadInputBattery runs cltrain on bad input of every kind a user can
// give it: each gets one line on stderr naming what is wrong, the documented
// exit status, no stack trace, nothing written, and an answer in well under
// a second or two, however large the input claims to be.
func TestBadInputBattery(t *testing.T) {
	f := newFixtures(t)
	out := func(name string) string { return filepath.Join(f.dir, name) }
	missing := filepath.Join(f.dir, "no-such-folder")
	cases := []struct {
		name string
		args []string
		env  []string // KEY=VALUE
		code int
		want string // in stderr
	}{
		// Flags.
		{"hidden twice", []string{"train", "--hidden", "4", "--hidden", "5"}, nil, exitUsage, "--hidden given more than once"},
		{"hidden twice with =", []string{"train", "--hidden=4", "--hidden=5"}, nil, exitUsage, "--hidden given more than once"},
		{"lr twice", []string{"train", "--lr", "1", "--lr", "2"}, nil, exitUsage, "--lr given more than once"},
		{"negative device", []string{"train", "--device", "-5"}, nil, exitUsage, "--device -5: not a device index"},
		{"negative device validate", []string{"validate", "--device", "-2"}, nil, exitUsage, "--device -2"},
		{"negative device tune", []string{"tune", "--device", "-7"}, nil, exitUsage, "--device -7"},
		{"device not a number", []string{"train", "--device", "x"}, nil, exitUsage, "--device"},
		{"device list for validate", []string{"validate", "--device", "0,1"}, nil, exitUsage, "--device"},
		{"device list twice", []string{"train", "--device", "0,0"}, nil, exitUsage, "device 0 given twice"},
		{"device list word", []string{"train", "--device", "0,x"}, nil, exitUsage, `"x" is not a device index`},
		{"bench parallel on one device", []string{"bench", "--cases", "step", "--parallel", "0"}, nil, exitUsage, "two devices or more"},
		{"bench parallel list word", []string{"bench", "--parallel", "0,y"}, nil, exitUsage, "--parallel"},
		{"device list out of range", []string{"train", "--backend", "opencl", "--device", "0,7"}, nil, exitError, "--device 7 out of range"},
		{"device with cpu backend", []string{"train", "--backend", "cpu", "--device", "0"}, nil, exitUsage, "--backend cpu runs on the host"},
		{"cpu-blas with opencl", []string{"train", "--backend", "opencl", "--cpu-blas", "openblas"}, nil, exitUsage, "--cpu-blas"},
		{"bad init scale", []string{"train", "--init-scale", "big"}, nil, exitUsage, "--init-scale"},
		{"init scale with init", []string{"train", "--init", f.model, "--init-scale", "he"}, nil, exitUsage, "--init-scale"},
		{"hidden differs from init", []string{"train", "--backend", "cpu", "--data", f.csv, "--init", f.model, "--hidden", "5"}, nil, exitUsage, "--hidden 5 does not match --init"},
		{"hidden depth differs from init", []string{"train", "--backend", "cpu", "--data", f.csv, "--init", f.model, "--hidden", "4,4"}, nil, exitUsage, "whose hidden layers are 4"},
		{"iters negative", []string{"train", "--iters", "-1"}, nil, exitUsage, "--iters"},
		{"batch beyond data", []string{"train", "--backend", "cpu", "--data", f.csv, "--batch", "41"}, nil, exitUsage, "--batch 41"},
		{"validate seed too big", []string{"validate", "--seed", "9007199254740992"}, nil, exitUsage, "below 2^53"},
		{"predict without model", []string{"predict"}, nil, exitUsage, "--model is required"},
		{"predict out not csv", []string{"predict", "--model", f.model, "--out", out("p.txt")}, nil, exitUsage, ".csv"},

		// Environment.
		{"CLTRAIN_DEVICE negative", []string{"train", "--backend", "opencl", "--iters", "1"}, []string{"CLTRAIN_DEVICE=-5"}, exitError, `CLTRAIN_DEVICE="-5"`},
		{"CLTRAIN_DEVICE word", []string{"train", "--backend", "opencl", "--iters", "1"}, []string{"CLTRAIN_DEVICE=gpu"}, exitError, `CLTRAIN_DEVICE="gpu"`},
		{"CLTRAIN_DEVICE out of range", []string{"train", "--backend", "opencl", "--iters", "1"}, []string{"CLTRAIN_DEVICE=99"}, exitError, "out of range"},
		{"device out of range", []string{"train", "--backend", "opencl", "--device", "99"}, nil, exitError, "out of range"},

		// Output paths: refused before any work.
		{"save into a missing folder", []string{"train", "--backend", "cpu", "--iters", "100000000", "--save", filepath.Join(missing, "m.npz")}, nil, exitUsage, "does not exist"},
		{"metrics into a missing folder", []string{"train", "--backend", "cpu", "--iters", "100000000", "--metrics", filepath.Join(missing, "m.csv")}, nil, exitUsage, "does not exist"},
		{"plot into a missing folder", []string{"train", "--backend", "cpu", "--iters", "100000000", "--plot", filepath.Join(missing, "p.png")}, nil, exitUsage, "does not exist"},
		{"save onto a folder", []string{"train", "--backend", "cpu", "--iters", "100000000", "--save", f.sub}, nil, exitUsage, "is a folder"},
		{"save under a file", []string{"train", "--backend", "cpu", "--save", filepath.Join(f.csv, "m.npz")}, nil, exitUsage, "is not a folder"},
		{"save onto a FIFO", []string{"train", "--backend", "cpu", "--iters", "100000000", "--save", f.fifo}, nil, exitUsage, "not a regular file"},
		{"save onto the data", []string{"train", "--backend", "cpu", "--data", f.npz, "--save", f.npz}, nil, exitUsage, "destroy the input"},
		{"save onto the data by another name", []string{"train", "--backend", "cpu", "--data", f.npz, "--save", filepath.Join(f.dir, ".", "x", "..", filepath.Base(f.npz))}, nil, exitUsage, "destroy the input"},
		{"save onto a link to the data", []string{"train", "--backend", "cpu", "--data", f.npz, "--save", f.link}, nil, exitUsage, "destroy the input"},
		{"metrics onto the data", []string{"train", "--backend", "cpu", "--data", f.csv, "--metrics", f.csv}, nil, exitUsage, "destroy the input"},
		{"save onto the init", []string{"train", "--backend", "cpu", "--data", f.csv, "--init", f.model, "--save", f.model}, nil, exitUsage, "destroy the input"},
		{"predict out onto the data", []string{"predict", "--model", f.model, "--data", f.csv, "--out", f.csv}, nil, exitUsage, "destroy the input"},
		{"bad save extension", []string{"train", "--save", out("m.csv")}, nil, exitUsage, ".npz"},

		// Data.
		{"data is /dev/zero", []string{"train", "--backend", "cpu", "--data", f.zero}, nil, exitError, "zero.csv"},
		{"data is a folder", []string{"train", "--backend", "cpu", "--data", f.sub}, nil, exitError, "sub.npz"},
		{"data is a FIFO npz", []string{"train", "--backend", "cpu", "--data", f.fifo}, nil, exitError, "fifo.npz"},
		{"data missing", []string{"train", "--backend", "cpu", "--data", out("none.csv")}, nil, exitError, "none.csv"},
		{"data beyond float32 on OpenCL", []string{"train", "--backend", "opencl", "--data", f.huge}, nil, exitError, "line 2, column 2: 1e+39 is beyond float32's range"},
		{"model features differ", []string{"train", "--backend", "cpu", "--data", f.wide, "--init", f.model}, nil, exitError, "expects 2 features"},
		{"predict wrong width", []string{"predict", "--model", f.model, "--data", f.wide}, nil, exitError, "wide.csv"},
		{"predict model is data", []string{"predict", "--model", f.csv}, nil, exitError, "data.csv"},

		// Sizes.
		{"network too large for the host", []string{"train", "--backend", "cpu", "--hidden", "1000000,1000000"}, nil, exitError, "of host memory"},
		{"network too large for the device", []string{"train", "--backend", "opencl", "--hidden", "100000,100000"}, nil, exitError, "needs"},

		// Training that goes wrong.
		{"absurd learning rate", []string{"train", "--backend", "cpu", "--lr", "1e30", "--iters", "2000", "--save", out("lr.npz")}, nil, exitError, "training diverged"},

		// The kinds of network, the optimizers and held-out data.
		{"unknown activation", []string{"train", "--activation", "gelu"}, nil, exitUsage, `--activation: hidden activation "gelu": want tanh, relu`},
		{"unknown output", []string{"train", "--output", "linear"}, nil, exitUsage, `--output: output "linear"`},
		{"unknown optimizer", []string{"train", "--optimizer", "rmsprop"}, nil, exitUsage, `--optimizer: optimizer "rmsprop"`},
		{"momentum out of range", []string{"train", "--optimizer", "momentum", "--momentum", "1"}, nil, exitUsage, "--momentum 1: must be in [0, 1)"},
		{"beta2 out of range", []string{"train", "--optimizer", "adam", "--beta2", "1.5"}, nil, exitUsage, "--beta2 1.5: must be in [0, 1)"},
		{"eps not positive", []string{"train", "--optimizer", "adam", "--eps", "0"}, nil, exitUsage, "--eps 0: must be positive"},
		{"negative l2", []string{"train", "--l2", "-1"}, nil, exitUsage, "--l2 -1"},
		{"beta1 without adam", []string{"train", "--beta1", "0.5"}, nil, exitUsage, "--beta1: only --optimizer adam uses it"},
		{"val split too large", []string{"train", "--val-split", "1.5"}, nil, exitUsage, "--val-split 1.5: want a fraction in (0, 1)"},
		{"val split zero", []string{"train", "--val-split", "0"}, nil, exitUsage, "--val-split 0"},
		{"val and val split", []string{"train", "--val", f.csv, "--val-split", "0.2"}, nil, exitUsage, "give one source of held-out data"},
		{"early stop without held-out data", []string{"train", "--early-stop", "3"}, nil, exitUsage, "--early-stop 3: needs held-out data"},
		{"val features differ", []string{"train", "--backend", "cpu", "--data", f.csv, "--val", f.wide}, nil, exitError, "--val " + f.wide + " has 3 features"},
		{"sigmoid on three classes", []string{"train", "--backend", "cpu", "--data", f.classes}, nil, exitError, "classes.csv: line 3, column 3: label 2 is not 0 or 1"},
		{"non-integer class", []string{"train", "--backend", "cpu", "--data", f.fraction, "--output", "softmax"}, nil, exitError, "fraction.csv: line 3, column 3"},
		{"val class beyond training's", []string{"train", "--backend", "cpu", "--data", f.csv, "--val", f.classes, "--output", "softmax"}, nil, exitError, "classes.csv: line 3"},
		{"one-hot column sums to 2", []string{"train", "--backend", "cpu", "--data", f.oneHot2, "--output", "softmax"}, nil, exitError, "column 1 sums to 2"},
		{"resume with another optimizer", []string{"train", "--backend", "cpu", "--data", f.csv, "--init", f.adam, "--optimizer", "momentum"}, nil, exitUsage, "holds the state of adam after 5 steps"},
		{"resume with another activation", []string{"train", "--backend", "cpu", "--data", f.csv, "--init", f.adam, "--activation", "relu"}, nil, exitUsage, "--activation relu does not match --init"},
		{"predict labels beyond the classes", []string{"predict", "--model", f.model, "--data", f.classes}, nil, exitError, "classes.csv: line 3"},
		{"proba without out", []string{"predict", "--model", f.model, "--proba"}, nil, exitUsage, "--proba: the probabilities are written to --out"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if slices.Contains(tc.args, "opencl") || slices.Contains(tc.args, "validate") || slices.Contains(tc.args, "tune") || slices.Contains(tc.args, "bench") {
				cltest.Device(t)
			}
			for _, kv := range tc.env {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			before := snapshot(t, f.dir)
			start := time.Now()
			code, _, stderr := cli(t, tc.args...)
			took := time.Since(start)
			first, _, _ := strings.Cut(stderr, "\n")
			if code != tc.code || !strings.Contains(first, tc.want) {
				t.Errorf("%v: exit %d, stderr %q; want exit %d and a first line naming %q", tc.args, code, stderr, tc.code, tc.want)
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
				t.Errorf("%v: stack trace on stderr: %s", tc.args, stderr)
			}
			if code == exitError && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("%v: want one line on stderr, got %q", tc.args, stderr)
			}
			if tc.name != "absurd learning rate" {
				if after := snapshot(t, f.dir); !slices.Equal(before, after) {
					t.Errorf("%v changed the folder: %v → %v", tc.args, before, after)
				}
			}
			if took > 5*time.Second {
				t.Errorf("%v took %v to refuse", tc.args, took)
			}
		})
	}
}

// TestAbsurdLossSavesLastGood checks that a loss that stays finite but
// blows up (--lr 1e30) ends as divergence: exit 1, the loss named, and the
// last sound parameters saved.
func TestAbsurdLossSavesLastGood(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.npz")
	code, stdout, stderr := cli(t, "train", "--backend", "cpu", "--lr", "1e30", "--iters", "2000", "--save", model)
	if code != exitError || !strings.Contains(stderr, "blew up to") || strings.Contains(stdout, "parameters saved") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want exit 1 naming the blown-up loss", code, stdout, stderr)
	}
	code, stdout, _ = cli(t, "train", "--backend", "cpu", "--init", model, "--iters", "0", "--json")
	var s struct{ Loss float64 }
	if code != exitOK || json.Unmarshal([]byte(stdout), &s) != nil || s.Loss > 1 {
		t.Errorf("the saved parameters: exit %d, %s; want the step-0 loss of about 0.69", code, stdout)
	}
}

// TestHiddenMatchingInit accepts --hidden when it agrees with --init.
func TestHiddenMatchingInit(t *testing.T) {
	f := newFixtures(t)
	code, _, stderr := cli(t, "train", "--backend", "cpu", "--data", f.csv, "--init", f.model5, "--hidden", "5", "--iters", "3", "--quiet")
	if code != exitOK {
		t.Errorf("--hidden 5 with a 5-unit --init: exit %d, %s", code, stderr)
	}
}

// TestLabelsAsNumpyWritesThem trains on an .npz whose Y is int64 of shape
// (m,), and on uint8 labels.
func TestLabelsAsNumpyWritesThem(t *testing.T) {
	f := newFixtures(t)
	for _, data := range []string{f.int1D, "../../dataset/testdata/labels_uint8.npz"} {
		code, _, stderr := cli(t, "train", "--backend", "cpu", "--data", data, "--iters", "3", "--quiet")
		if code != exitOK {
			t.Errorf("train --data %s: exit %d, %s", data, code, stderr)
		}
	}
}

// TestFloat32RangeOnCPU checks that data beyond float32 trains on the
// float64 CPU backend, which holds it.
func TestFloat32RangeOnCPU(t *testing.T) {
	f := newFixtures(t)
	code, _, stderr := cli(t, "train", "--backend", "cpu", "--data", f.huge, "--iters", "3", "--quiet")
	if code != exitOK {
		t.Errorf("train --backend cpu on 1e39: exit %d, %s", code, stderr)
	}
}

// TestPredictWithoutLabels predicts a features-only CSV: every example gets
// a row, and the accuracy is absent rather than invented.
func TestPredictWithoutLabels(t *testing.T) {
	f := newFixtures(t)
	pred := filepath.Join(f.dir, "pred.csv")
	code, stdout, stderr := cli(t, "predict", "--model", f.model, "--data", f.features, "--out", pred, "--json")
	if code != exitOK || strings.TrimSpace(stdout) != `{"n":40,"accuracy":null}` {
		t.Fatalf("predict on features only: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	b, _ := os.ReadFile(pred)
	if n := strings.Count(string(b), "\n"); n != 41 {
		t.Errorf("predictions file has %d lines, want 41", n)
	}
	code, stdout, _ = cli(t, "predict", "--model", f.model, "--data", f.features)
	if code != exitOK || !strings.Contains(stdout, "no labels") {
		t.Errorf("predict text: exit %d, %q", code, stdout)
	}
	code, stdout, _ = cli(t, "predict", "--model", f.model, "--data", f.csv, "--json")
	if code != exitOK || !strings.Contains(stdout, `"accuracy":0.`) {
		t.Errorf("predict on labelled data: exit %d, %q", code, stdout)
	}
}

// failing is a writer whose every write fails, as stdout on /dev/full.
type failing struct{}

func (failing) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// TestOutputErrorsFail checks that a command whose stdout cannot be written
// exits 1 naming the error, instead of 0.
func TestOutputErrorsFail(t *testing.T) {
	f := newFixtures(t)
	for _, args := range [][]string{
		{"train", "--backend", "cpu", "--iters", "3", "--json"},
		{"predict", "--model", f.model, "--data", f.csv, "--json"},
		{"predict", "--model", f.model, "--data", f.csv},
		{"--version"},
		{"--help"},
	} {
		var errb bytes.Buffer
		code := run(args, &env{stdout: failing{}, stderr: &errb})
		if code != exitError || !strings.Contains(errb.String(), "no space left on device") {
			t.Errorf("%v on a full stdout: exit %d, stderr %q; want exit 1 naming the error", args, code, errb.String())
		}
	}
	cltest.Device(t)
	for _, args := range [][]string{{"devices"}, {"devices", "--json"}} {
		var errb bytes.Buffer
		if code := run(args, &env{stdout: failing{}, stderr: &errb}); code != exitError {
			t.Errorf("%v on a full stdout: exit %d, stderr %q", args, code, errb.String())
		}
	}
}

// TestJSONNumbers checks the JSON outputs for what tools read from them:
// accuracies as exact fractions, the device as an object in train as in
// validate and devices, the default device marked, and a validate seed that
// survives a float64 round trip.
func TestJSONNumbers(t *testing.T) {
	cltest.Device(t)
	code, stdout, stderr := cli(t, "train", "--backend", "opencl", "--iters", "1000", "--json")
	if code != exitOK {
		t.Fatalf("train: %s", stderr)
	}
	var s struct {
		Accuracy float64
		Device   struct{ Name, Type string }
		Setup    *float64 `json:"setup_s"`
	}
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("%s: %v", stdout, err)
	}
	if n := s.Accuracy * 400; n != float64(int(n)) || s.Device.Name == "" || s.Setup == nil {
		t.Errorf("train --json %s: want an accuracy of k/400 exactly, a device object and setup_s", stdout)
	}

	code, stdout, _ = cli(t, "devices", "--json")
	var devs []struct {
		Index   int
		Default *bool
	}
	if code != exitOK || json.Unmarshal([]byte(stdout), &devs) != nil || len(devs) == 0 {
		t.Fatalf("devices --json: %s", stdout)
	}
	defaults := 0
	for _, d := range devs {
		if d.Default == nil {
			t.Fatalf("devices --json: no default field in %s", stdout)
		}
		if *d.Default {
			defaults++
		}
	}
	if defaults != 1 {
		t.Errorf("devices --json marks %d defaults, want 1", defaults)
	}

	code, stdout, _ = cli(t, "validate", "--quick", "--json", "--seed", "9007199254740991")
	var v struct{ Seed float64 }
	if json.Unmarshal([]byte(stdout), &v) != nil || v.Seed != 9007199254740991 {
		t.Errorf("validate --json seed: exit %d, %q", code, stdout[:min(len(stdout), 200)])
	}
}

// TestVersion checks that --version names the build.
func TestVersion(t *testing.T) {
	code, stdout, _ := cli(t, "--version")
	if code != exitOK || !strings.HasPrefix(stdout, "cltrain ") || !strings.Contains(stdout, "go1.") {
		t.Errorf("--version: exit %d, %q", code, stdout)
	}
}

// TestInitScaleStartsDeepNets checks what --init-scale is for: a 16-16-16
// tanh network on the flower set sits at ln 2 for a thousand steps with the
// course's 0.01 and learns with xavier.
func TestInitScaleStartsDeepNets(t *testing.T) {
	loss := func(scale string) float64 {
		code, stdout, stderr := cli(t, "train", "--backend", "cpu", "--hidden", "16,16,16", "--iters", "1000", "--init-scale", scale, "--json")
		var s struct{ Loss float64 }
		if code != exitOK || json.Unmarshal([]byte(stdout), &s) != nil {
			t.Fatalf("--init-scale %s: exit %d, %s", scale, code, stderr)
		}
		return s.Loss
	}
	course, xavier := loss("course"), loss("xavier")
	if course < 0.69 || xavier > 0.6 {
		t.Errorf("after 1000 steps: course %.4f (want about ln 2 = 0.6931), xavier %.4f (want it learning, < 0.6)", course, xavier)
	}
}

// TestPlotSamplesShortRuns checks that --plot evaluates often enough for a
// curve even when --log-every is longer than the run, while the metrics file
// keeps to --log-every.
func TestPlotSamplesShortRuns(t *testing.T) {
	dir := t.TempDir()
	metrics := filepath.Join(dir, "m.csv")
	code, stdout, stderr := cli(t, "train", "--backend", "cpu", "--iters", "500", "--plot", filepath.Join(dir, "p.png"), "--metrics", metrics)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := strings.Count(stdout, "step "); n != 2 {
		t.Errorf("printed %d log lines, want 2 (step 0 and the end):\n%s", n, stdout)
	}
	b, _ := os.ReadFile(metrics)
	if n := strings.Count(string(b), "\n"); n != 3 {
		t.Errorf("metrics has %d lines, want the header, step 0 and step 500:\n%s", n, b)
	}
	if got := plotLogEvery(500, 1000); got != 2 {
		t.Errorf("plotLogEvery(500, 1000) = %d, want 2 (250 points)", got)
	}
	if got := plotLogEvery(10000, 10); got != 10 {
		t.Errorf("plotLogEvery(10000, 10) = %d, want --log-every's 10", got)
	}
}

// TestCompileNotice runs a first cold start in a child process with empty
// caches: stderr says that kernels are compiling, and the summary reports
// the set-up time apart from the training's, which is then as fast as a
// warm run's; a second run is silent.
func TestCompileNotice(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles every kernel")
	}
	cltest.Device(t)
	cache := t.TempDir()
	for i, want := range []bool{true, false} {
		cmd := exec.Command(binary(t), "train", "--backend", "opencl", "--iters", "100", "--json")
		cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+cache, "POCL_CACHE_DIR="+filepath.Join(cache, "pocl"))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.Output()
		if err != nil {
			t.Fatalf("run %d: %v: %s", i, err, stderr.String())
		}
		if got := strings.Contains(stderr.String(), "compiling kernels for"); got != want {
			t.Errorf("run %d: notice %v, want %v; stderr %q", i, got, want, stderr.String())
		}
		var s struct {
			Setup float64 `json:"setup_s"`
			Wall  float64 `json:"wall_s"`
		}
		if err := json.Unmarshal(stdout, &s); err != nil {
			t.Fatal(err)
		}
		t.Logf("run %d: set-up %.3f s, training %.3f s", i, s.Setup, s.Wall)
		// 100 flower steps take milliseconds; compiling takes seconds.
		if want && !(s.Setup > 10*s.Wall) {
			t.Errorf("cold run: set-up %.3f s, training %.3f s: the compile leaks into the training time", s.Setup, s.Wall)
		}
	}
}

// TestOutWriterKeepsError checks that the output writer keeps the first
// error and refuses later writes with it, so that a run stops printing
// into a closed pipe and reports the cause at its end.
func TestOutWriterKeepsError(t *testing.T) {
	var calls int
	w := &outWriter{w: writerFunc(func(p []byte) (int, error) {
		calls++
		return 0, syscall.EPIPE
	})}
	w.Write([]byte("x"))
	if _, err := w.Write([]byte("y")); !errors.Is(err, syscall.EPIPE) || !errors.Is(w.err, syscall.EPIPE) || calls != 1 {
		t.Errorf("outWriter: %v, kept %v, %d calls to the writer; want EPIPE kept after one call", err, w.err, calls)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
