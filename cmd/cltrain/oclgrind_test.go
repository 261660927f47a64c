package main

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cltrain/cltrain/dataset"
	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/engine"
	"github.com/cltrain/cltrain/engine/opencl"
	"github.com/cltrain/cltrain/internal/cltest"
	"github.com/cltrain/cltrain/internal/validate"
)

// envOclgrindChild marks the test binary that TestOclgrind starts to run
// its in-process part on Oclgrind.
const envOclgrindChild = "CLTRAIN_OCLGRIND_CHILD"

// oclgrindEnv returns the environment that makes Oclgrind the only OpenCL
// device, with its API and race checks on, a fresh kernel cache shared by
// the runs of one test, and extra. It skips the test when Oclgrind is not
// installed, or fails it when CLTRAIN_REQUIRE_OPENCL=1.
func oclgrindEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	env := cltest.Vendors(t, cltest.Oclgrind(t))
	env = append(env, "XDG_CACHE_HOME="+t.TempDir(), "CLTRAIN_DEVICE=0", "OCLGRIND_CHECK_API=1", "OCLGRIND_DATA_RACES=1")
	return append(env, extra...)
}

// oclgrindRun runs cmd under env, giving it limit, and fails the test on a
// non-zero exit or on any Oclgrind report in its output. It returns stdout.
func oclgrindRun(t *testing.T, env []string, limit time.Duration, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("%s %s: %.1f s", filepath.Base(name), strings.Join(args, " "), time.Since(start).Seconds())
	if r := cltest.OclgrindReport(stderr.String()); r != "" {
		t.Errorf("%s %s: Oclgrind reports:\n%s", filepath.Base(name), strings.Join(args, " "), r)
	}
	if err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(name), strings.Join(args, " "), err, tail(stdout.String()), tail(stderr.String()))
	}
	return stdout.String()
}

// tail returns the last lines of s, enough to see how a run ended.
func tail(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-40):], "\n")
}

// TestOclgrind runs cltrain on Oclgrind, an OpenCL device simulator that
// reports itself as a GPU (32 KiB of local memory, work-groups up to 1024)
// and checks every access a kernel makes, so that the GPU code paths (the
// local-memory tiled GEMM, the one-launch trainer at a GPU's work-group
// size) are checked without a GPU. It fails on any Oclgrind report: an
// out-of-bounds read or write, a data race between work-items, a barrier
// only some reach, an uninitialised value, an OpenCL call misused. Each run
// also has to pass its own check. The API and race checks are on in every
// run. The runs, timed on a 2-core machine:
//
//   - cltrain validate --set oclgrind: every kernel, the tiled GEMM in each
//     transpose and epilogue, the one-launch trainer in work-groups of 256
//     and 37 (6 s);
//   - cltrain train --iters 100 on the flower set (the one-launch trainer,
//     14 s) and --hidden 8,8 --batch 64 --iters 20 (the unfused multi-layer
//     path with mini-batch gathers, 31 s), each compared with the float64
//     CPU backend's run;
//   - in process, with the uninitialised-value check on as well: the same
//     cases and 10 steps of the flower run (40 s);
//   - in process, with the CPU GEMM kernels (gemm_outer, gemm_dot with its
//     row sums) forced on Oclgrind: the GEMM cases and 10 steps of the
//     flower run one kernel per op (3 s).
//
// About 100 s in all, plus building cltrain (make test's -race adds
// little: the time is spent in Oclgrind). The uninitialised-value check
// (OCLGRIND_UNINITIALIZED=1) runs only in process, because of two faults
// of Oclgrind 21.10's, not cltrain's:
//
//   - its plugin keeps a memory pool in a thread-local variable that only
//     the thread which created the context sets up; a kernel that declares
//     a __local array (the tiled GEMM, tiny_train) run from another thread
//     dereferences the null pool: SIGSEGV at address 0 in MemoryPool::alloc
//     under Uninitialized::kernelBegin, inside whichever blocking call runs
//     the queue (clEnqueueReadBuffer after the one-launch trainer). A Go
//     program's calls move between OS threads, so cltrain hits it; a C
//     program that makes the context on one thread and runs such a kernel
//     on another does too. The in-process run locks itself to one thread.
//   - it stops with "OCLGRIND FATAL ERROR … Unsupported instruction: freeze"
//     on the optimised tiled GEMM (LLVM's freeze of an index divided and
//     taken modulo), so that run builds with -cl-opt-disable
//     (OCLGRIND_BUILD_OPTIONS); unoptimised, it reports "Controlflow
//     depends on uninitialized value" for a horizontal sum of a float16
//     made of constants (HSUM in gemm_cpu.cl's gemm_dot), so the CPU GEMM
//     run leaves it off.
//
// It is skipped under -short, and when Oclgrind is not installed unless
// CLTRAIN_REQUIRE_OPENCL=1.
func TestOclgrind(t *testing.T) {
	if mode := os.Getenv(envOclgrindChild); mode != "" {
		oclgrindInProcess(t, mode)
		return
	}
	if testing.Short() {
		t.Skip("skipping: Oclgrind simulates every work-item; the runs take about 100 s")
	}
	env := oclgrindEnv(t)
	bin := binary(t)
	const limit = 5 * time.Minute

	t.Run("validate", func(t *testing.T) {
		out := oclgrindRun(t, env, limit, bin, "validate", "--set", "oclgrind", "--seed", "1", "--json")
		var res struct {
			Device struct {
				Name, Platform, Type string
			} `json:"device"`
			Pass    bool              `json:"pass"`
			Results []validate.Result `json:"results"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("validate --json: %v\n%s", err, out)
		}
		if res.Device.Platform != "Oclgrind" || res.Device.Type != "GPU" {
			t.Fatalf("validate ran on %s (%s, %s), want Oclgrind's GPU", res.Device.Name, res.Device.Platform, res.Device.Type)
		}
		if want := len(validate.OclgrindCases()); !res.Pass || len(res.Results) != want {
			t.Errorf("validate --set oclgrind: pass %v, %d results, want %d passing", res.Pass, len(res.Results), want)
		}
	})

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"train fused", []string{"--iters", "100"}},
		{"train unfused", []string{"--hidden", "8,8", "--batch", "64", "--iters", "20"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			type summary struct {
				Loss     float64 `json:"loss"`
				Accuracy float64 `json:"accuracy"`
				Backend  string  `json:"backend"`
			}
			var got, want summary
			out := oclgrindRun(t, env, limit, bin, append([]string{"train", "--backend", "opencl", "--quiet", "--json"}, tc.args...)...)
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("train --json: %v\n%s", err, out)
			}
			out = oclgrindRun(t, env, limit, bin, append([]string{"train", "--backend", "cpu", "--quiet", "--json"}, tc.args...)...)
			if err := json.Unmarshal([]byte(out), &want); err != nil {
				t.Fatalf("train --json: %v\n%s", err, out)
			}
			if !strings.Contains(got.Backend, "Oclgrind") {
				t.Errorf("backend %q, want Oclgrind", got.Backend)
			}
			if math.Abs(got.Loss-want.Loss) > 1e-5 || got.Accuracy != want.Accuracy {
				t.Errorf("on Oclgrind loss %.8g, accuracy %g; the CPU reference %.8g, %g", got.Loss, got.Accuracy, want.Loss, want.Accuracy)
			}
		})
	}

	// The in-process parts, each in a child test binary whose environment
	// selects Oclgrind: the uninitialised-value check (see above for why
	// only here, and why unoptimised), and the CPU GEMM family forced.
	for _, child := range []struct {
		mode string
		env  []string
	}{
		{"uninit", []string{"OCLGRIND_UNINITIALIZED=1", "OCLGRIND_BUILD_OPTIONS=-cl-opt-disable"}},
		{"cpu-gemm", nil},
	} {
		t.Run("in process "+child.mode, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), limit)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run", "^TestOclgrind$", "-test.count=1", "-test.v")
			cmd.Env = oclgrindEnv(t, append(child.env, envOclgrindChild+"="+child.mode)...)
			start := time.Now()
			out, err := cmd.CombinedOutput()
			t.Logf("in-process runs (%s): %.1f s", child.mode, time.Since(start).Seconds())
			if r := cltest.OclgrindReport(string(out)); r != "" {
				t.Errorf("Oclgrind reports:\n%s", r)
			}
			if err != nil {
				t.Fatalf("in-process runs on Oclgrind: %v\n%s", err, tail(string(out)))
			}
		})
	}
}

// oclgrindInProcess is TestOclgrind's in-process part, run in a test binary
// whose environment selects Oclgrind. Mode "uninit" runs every case and a
// flower run with the default (tiled) GEMM; mode "cpu-gemm" the GEMM cases
// and a flower run, one kernel per op, with the CPU GEMM family forced.
func oclgrindInProcess(t *testing.T, mode string) {
	// One OS thread for every OpenCL call: Oclgrind's uninitialised-value
	// check crashes when a kernel runs on another thread than the one that
	// created its context (TestOclgrind's comment). Subtests would run on
	// goroutines of their own, so there are none here.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	d, err := device.Select(0)
	if err != nil {
		t.Fatal(err)
	}
	if d.Platform != "Oclgrind" {
		t.Fatalf("device 0 is %s (%s), want Oclgrind", d.Name, d.Platform)
	}
	gemm, cases, noFusion := opencl.DefaultGemm, validate.OclgrindCases(), false
	if mode == "cpu-gemm" {
		gemm, noFusion = opencl.GemmParams{Kernel: opencl.GemmCPU}, true
		var gemms []validate.Case
		for _, c := range cases {
			if strings.HasPrefix(c.Kernel, "gemm") {
				gemms = append(gemms, c)
			}
		}
		cases = gemms
	}
	kernel := gemm.Resolve(d).Kernel

	start := time.Now()
	ctx, err := device.NewContext(d, device.Plain)
	if err != nil {
		t.Fatal(err)
	}
	ops, err := opencl.NewOps(ctx, gemm)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range validate.Run(ops, cases, rand.New(rand.NewPCG(1, 2))) {
		if !r.Pass {
			t.Errorf("GEMM %s: %s %s: rel err %.3g (tol %.g) %s", kernel, r.Kernel, r.Shape, r.RelErr, r.Tol, r.Err)
		}
	}
	ops.Release()
	ctx.Close()
	t.Logf("GEMM %s: %d cases in %.1f s", kernel, len(cases), time.Since(start).Seconds())

	// The flower run, against the float64 reference.
	start = time.Now()
	set := dataset.Flower(1)
	model := engine.NewModel(set.Features(), 4)
	cfg := engine.Config{Iters: 10, LR: 1.2, LogEvery: 5}
	var final [2]engine.Eval
	for i, open := range []func() (engine.Backend, error){
		func() (engine.Backend, error) {
			b, err := opencl.New(d, opencl.Options{Gemm: gemm})
			if b != nil {
				b.NoFusion = noFusion
			}
			return b, err
		},
		func() (engine.Backend, error) { return engine.NewCPU(), nil },
	} {
		b, err := open()
		if err != nil {
			t.Fatal(err)
		}
		p, err := model.Init(engine.Course, engine.Seed(1).Weights())
		if err != nil {
			t.Fatal(err)
		}
		res, err := engine.Fit(context.Background(), b, model, set.X, set.Y, p, cfg, engine.Hooks{})
		b.Close()
		if err != nil {
			t.Fatal(err)
		}
		final[i] = res.Final
	}
	if math.Abs(final[0].Cost-final[1].Cost) > 1e-5 || final[0].Accuracy != final[1].Accuracy {
		t.Errorf("flower run, GEMM %s (fused: %v) on Oclgrind: %+v; the float64 reference %+v", kernel, !noFusion, final[0], final[1])
	}
	t.Logf("flower run, GEMM %s (fused: %v): %.1f s", kernel, !noFusion, time.Since(start).Seconds())
}
