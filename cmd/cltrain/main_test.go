package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cltrain/cltrain/checkpoint"
	"github.com/cltrain/cltrain/internal/cltest"
)

// cli runs cltrain in-process with args and returns its exit code and output.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &env{stdout: &out, stderr: &errb})
	return code, out.String(), errb.String()
}

// files lists the names in dir.
func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		out  string // in stdout for 0, stderr otherwise
	}{
		{nil, exitUsage, "Usage: cltrain"},
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"--help"}, exitOK, "train"},
		{[]string{"train", "--help"}, exitOK, "--hidden"},
		{[]string{"train", "--no-such-flag"}, exitUsage, "unknown flag: --no-such-flag"},
		{[]string{"train", "stray"}, exitUsage, `unexpected argument "stray"`},
		{[]string{"predict"}, exitUsage, "--model is required"},
		{[]string{"devices", "--bogus"}, exitUsage, "unknown flag"},
	} {
		code, stdout, stderr := cli(t, tc.args...)
		got := stderr
		if tc.code == exitOK {
			got = stdout
		}
		if code != tc.code || !strings.Contains(got, tc.out) {
			t.Errorf("cltrain %v: exit %d, want %d; output %q lacks %q", tc.args, code, tc.code, got, tc.out)
		}
		if tc.code == exitOK && (stderr != "" || strings.Count(stdout, "Usage:") != 1) {
			t.Errorf("cltrain %v: help should be on stdout once; stdout %q, stderr %q", tc.args, stdout, stderr)
		}
	}
}

// TestTrainRefusesNonsense checks that bad flag values stop train before any
// work: exit 2, a message naming the flag, and no file written.
func TestTrainRefusesNonsense(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--hidden", "0"}, "--hidden"},
		{[]string{"--hidden", "4,-3"}, "--hidden"},
		{[]string{"--hidden", "four"}, "--hidden"},
		{[]string{"--lr", "0"}, "--lr"},
		{[]string{"--lr", "-1"}, "--lr"},
		{[]string{"--lr", "NaN"}, "--lr"},
		{[]string{"--lr", "Inf"}, "--lr"},
		{[]string{"--iters", "-1"}, "--iters"},
		{[]string{"--batch", "-5"}, "--batch"},
		{[]string{"--batch", "401"}, "--batch 401"},
		{[]string{"--log-every", "0"}, "--log-every"},
		{[]string{"--backend", "gpu"}, "--backend"},
		{[]string{"--cpu-blas", "mkl"}, "--cpu-blas"},
		{[]string{"--save", "model.txt"}, ".npz"},
		{[]string{"--metrics", "m.json"}, ".csv"},
		{[]string{"--plot", "p.jpg"}, ".png"},
	} {
		dir := t.TempDir()
		args := append([]string{"train", "--iters", "5", "--save", filepath.Join(dir, "out.npz"), "--metrics", filepath.Join(dir, "m.csv")}, tc.args...)
		code, _, stderr := cli(t, args...)
		if code != exitUsage || !strings.Contains(stderr, tc.msg) {
			t.Errorf("train %v: exit %d, stderr %q; want exit 2 naming %s", tc.args, code, stderr, tc.msg)
		}
		if f := files(t, dir); len(f) != 0 {
			t.Errorf("train %v left files %v", tc.args, f)
		}
	}
}

// TestTrainRefusesBadData checks that unreadable data fails with exit 1 and
// one line naming the file, leaving no output.
func TestTrainRefusesBadData(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	valid, err := os.ReadFile("../../dataset/testdata/small_f64.npz")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, msg string
	}{
		{write("truncated.npz", string(valid[:len(valid)/2])), "truncated.npz"},
		{"../../checkpoint/testdata/numpy_f64.npz", `"X"`},
		{write("header.csv", "x1,x2,y\n"), "header.csv"},
		{write("ragged.csv", "1,2,0\n3,1\n"), "line 2"},
		{write("label.csv", "1,2,0\n3,4,2\n"), "line 2"},
		{write("nan.csv", "1,NaN,0\n"), "line 1"},
		{write("notzip.npz", "hello"), "notzip.npz"},
		{filepath.Join(dir, "missing.csv"), "missing.csv"},
		{dir, dir},
		{write("data.json", "{}"), "data.json"},
	} {
		out := t.TempDir()
		code, _, stderr := cli(t, "train", "--backend", "cpu", "--iters", "3", "--data", tc.path, "--save", filepath.Join(out, "p.npz"))
		if code != exitError || !strings.Contains(stderr, tc.msg) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("train --data %s: exit %d, stderr %q; want exit 1 and one line naming %s", tc.path, code, stderr, tc.msg)
		}
		if f := files(t, out); len(f) != 0 {
			t.Errorf("train --data %s left files %v", tc.path, f)
		}
	}
}

type trainSummary struct {
	Loss, Accuracy float64
	Iterations     int
	Backend        string
}

// TestTrainCPUMatchesCourse trains the flower data on the CPU reference for
// 1000 iterations and checks the course's costs in the metrics file, then
// that predict reproduces the accuracy from the saved model, and that
// --init continues from it.
func TestTrainCPUMatchesCourse(t *testing.T) {
	dir := t.TempDir()
	model, metrics := filepath.Join(dir, "model.npz"), filepath.Join(dir, "metrics.csv")
	code, stdout, stderr := cli(t, "train", "--backend", "cpu", "--iters", "1000", "--log-every", "250", "--save", model, "--metrics", metrics, "--json")
	if code != exitOK {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	var s trainSummary
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("summary %q: %v", stdout, err)
	}
	b, err := os.ReadFile(metrics)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	want := []string{"step,loss,accuracy", "0,0.693048", "250,", "500,", "750,", "1000,0.288083"}
	if len(lines) != len(want) {
		t.Fatalf("metrics has %d lines, want %d:\n%s", len(lines), len(want), b)
	}
	for i, w := range want {
		if i == 0 {
			if lines[0] != w {
				t.Errorf("header %q, want %q", lines[0], w)
			}
			continue
		}
		f := strings.Split(lines[i], ",")
		loss, _ := strconv.ParseFloat(f[1], 64)
		if got := f[0] + "," + strconv.FormatFloat(loss, 'f', 6, 64); !strings.HasPrefix(got, w) {
			t.Errorf("metrics row %d = %q, want %q…", i, lines[i], w)
		}
	}
	if s.Iterations != 1000 || strconv.FormatFloat(s.Loss, 'f', 6, 64) != "0.288083" {
		t.Errorf("summary %+v, want 1000 iterations and loss 0.288083", s)
	}
	if _, _, err := checkpoint.Load(model); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = cli(t, "predict", "--model", model, "--json", "--out", filepath.Join(dir, "pred.csv"))
	if code != exitOK {
		t.Fatalf("predict: exit %d: %s", code, stderr)
	}
	var p struct {
		N        int
		Accuracy float64
	}
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatal(err)
	}
	if p.N != 400 || p.Accuracy != s.Accuracy {
		t.Errorf("predict %+v, train's accuracy %v", p, s.Accuracy)
	}
	pred, _ := os.ReadFile(filepath.Join(dir, "pred.csv"))
	if n := strings.Count(string(pred), "\n"); n != 401 {
		t.Errorf("predictions file has %d lines, want 401", n)
	}
	code, stdout, stderr = cli(t, "train", "--backend", "cpu", "--iters", "0", "--init", model, "--json")
	if code != exitOK || !strings.Contains(stdout, `"loss":0.28808`) {
		t.Errorf("train --init from the saved model: exit %d, %s %s", code, stdout, stderr)
	}
}

// TestDeviceOutOfRange checks that a device index past the last fails with
// one line before any work.
func TestDeviceOutOfRange(t *testing.T) {
	cltest.Device(t)
	for _, args := range [][]string{{"train", "--backend", "opencl", "--device", "99"}, {"validate", "--device", "99"}} {
		code, _, stderr := cli(t, args...)
		if code != exitError || !strings.Contains(stderr, "out of range") {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 and out of range", args, code, stderr)
		}
	}
}

// TestTrainOpenCLDemo runs the demo's command on the OpenCL device: the
// flower run with both pictures, near 90 % accuracy.
func TestTrainOpenCLDemo(t *testing.T) {
	cltest.Device(t)
	dir := t.TempDir()
	plot := filepath.Join(dir, "flower.png")
	code, stdout, stderr := cli(t, "train", "--backend", "opencl", "--plot", plot, "--json")
	if code != exitOK {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	var s trainSummary
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatal(err)
	}
	if s.Accuracy < 0.88 || s.Iterations != 10000 || !strings.HasPrefix(s.Backend, "opencl") {
		t.Errorf("summary %+v: want 10000 OpenCL iterations at ≥ 88 %% accuracy", s)
	}
	for _, f := range []string{"flower.png", "flower-boundary.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() < 1000 {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestTrainNoOpenCL points the ICD loader at an empty folder: auto falls
// back to the CPU with one line saying why, opencl fails with the fix.
func TestTrainNoOpenCL(t *testing.T) {
	if os.Getenv("CLTRAIN_TEST_CHILD") == "" {
		runChild(t, "TestTrainNoOpenCL", "OCL_ICD_VENDORS="+t.TempDir())
		return
	}
	code, _, stderr := cli(t, "train", "--iters", "10", "--quiet")
	if code != exitOK || !strings.Contains(stderr, "using the CPU backend") || !strings.Contains(stderr, "pocl-opencl-icd") {
		t.Errorf("train with no OpenCL: exit %d, stderr %q", code, stderr)
	}
	for _, args := range [][]string{{"train", "--backend", "opencl", "--iters", "1"}, {"devices"}, {"validate"}} {
		code, _, stderr = cli(t, args...)
		if code != exitError || !strings.Contains(stderr, "ocl-icd-libopencl1") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v with no OpenCL: exit %d, stderr %q; want one line naming the fix", args, code, stderr)
		}
	}
}
