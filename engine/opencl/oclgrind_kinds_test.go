package opencl_test

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/engine"
	"github.com/cltrain/cltrain/engine/backendtest"
	"github.com/cltrain/cltrain/engine/opencl"
	"github.com/cltrain/cltrain/internal/cltest"
	"github.com/cltrain/cltrain/internal/validate"
	"gonum.org/v1/gonum/floats/scalar"
)

// newKindKernels are the validate cases' names of the kernels the model
// kinds beyond tanh/sigmoid/SGD added.
var newKindKernels = []string{
	"gemm_bias_relu", "gemm_relu_backward", "bias_relu", "relu_backward", "bias_softmax", "softmax_sub",
	"softmax_cost", "sgd_l2", "momentum", "adam", "sum_squares",
}

// TestOclgrindKinds runs the kernels of the new model kinds on Oclgrind,
// the OpenCL simulator that checks every access, in three fused steps of a
// two-hidden-layer ReLU/softmax network trained by Adam with L2, compared
// with the float64 reference, and checks that the oclgrind validate set
// (run on Oclgrind by cmd/cltrain's TestOclgrind) has a case for each. It fails on any Oclgrind report, with the data-race,
// API and uninitialised-value checks on (unoptimised builds, one OS
// thread: cmd/cltrain's TestOclgrind says why). About 35 s on 2 cores;
// skipped under -short and without Oclgrind.
func TestOclgrindKinds(t *testing.T) {
	const mode = "CLTRAIN_OCLGRIND_KINDS_CHILD"
	if os.Getenv(mode) != "" {
		oclgrindKindsChild(t)
		return
	}
	if testing.Short() {
		t.Skip("skipping: Oclgrind simulates every work-item")
	}
	env := cltest.Vendors(t, cltest.Oclgrind(t))
	env = append(env, "XDG_CACHE_HOME="+t.TempDir(), "CLTRAIN_DEVICE=0", mode+"=1",
		"OCLGRIND_CHECK_API=1", "OCLGRIND_DATA_RACES=1", "OCLGRIND_UNINITIALIZED=1", "OCLGRIND_BUILD_OPTIONS=-cl-opt-disable")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run", "^TestOclgrindKinds$", "-test.count=1", "-test.v")
	cmd.Env = env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("on Oclgrind: %.1f s", time.Since(start).Seconds())
	if r := cltest.OclgrindReport(string(out)); r != "" {
		t.Fatalf("Oclgrind reports:\n%s", r)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: TestOclgrindKinds") {
		t.Fatalf("on Oclgrind: %v\n%s", err, out)
	}
}

// oclgrindKindsChild is TestOclgrindKinds's part that runs on Oclgrind.
func oclgrindKindsChild(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	d, err := device.Select(0)
	if err != nil {
		t.Fatal(err)
	}
	if d.Platform != "Oclgrind" {
		t.Fatalf("device 0 is %s (%s), want Oclgrind", d.Name, d.Platform)
	}
	// The kernels' own cases run on Oclgrind in cmd/cltrain's TestOclgrind
	// (cltrain validate --set oclgrind); here only that the set has them.
	seen := map[string]bool{}
	for _, c := range validate.OclgrindCases() {
		seen[c.Kernel] = true
	}
	for _, k := range newKindKernels {
		if !seen[k] {
			t.Errorf("the oclgrind set has no case for %s", k)
		}
	}

	// One model with every new kind but Momentum (its kernel is among the
	// validate cases): two ReLU layers, the softmax output, Adam with L2,
	// fused (the unfused path's kernels are among the cases too). The run takes
	// about 25 s on Oclgrind, mostly building the programs unoptimised.
	rng := rand.New(rand.NewPCG(16, 16))
	const m = 37
	model := engine.Model{Sizes: []int{3, 6, 5, 4}, Hidden: engine.ReLU, Output: engine.Softmax, Optimizer: engine.Adam, Hyper: engine.DefaultHyper, L2: 0.3}
	x, y := backendtest.ProblemK(rng, 3, m, 4)
	p := backendtest.Params(t, rng, model.Sizes)
	run := func(b engine.Backend, batch int) engine.Result {
		shuffle := rand.New(rand.NewPCG(4, 4))
		cfg := engine.Config{Iters: 3, LR: 0.01, Batch: batch, LogEvery: 1, Shuffle: func(m int) []int { return shuffle.Perm(m) }}
		res, err := engine.Fit(context.Background(), b, model, x, y, p, cfg, engine.Hooks{})
		if err != nil {
			t.Fatalf("%v: %v", model, err)
		}
		return res
	}
	for _, tc := range []struct {
		noFusion bool
		batch    int
	}{{false, 0}} {
		b, err := opencl.New(d, opencl.Options{})
		if err != nil {
			t.Fatal(err)
		}
		b.NoFusion = tc.noFusion
		begin := time.Now()
		got := run(b, tc.batch)
		b.Close()
		t.Logf("%v nofusion=%v batch %d: %.1f s", model, tc.noFusion, tc.batch, time.Since(begin).Seconds())
		want := run(engine.NewCPU(), tc.batch)
		for i, r := range got.Records {
			if w := want.Records[i].Cost; !scalar.EqualWithinRel(r.Cost, w, 1e-4) {
				t.Errorf("nofusion=%v batch %d step %d: cost %.9g, float64 reference %.9g", tc.noFusion, tc.batch, r.Step, r.Cost, w)
			}
		}
	}
}
