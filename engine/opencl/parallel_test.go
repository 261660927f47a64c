package opencl

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/dataset"
	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/engine"
	"github.com/cltrain/cltrain/internal/cltest"
)

// childEnv marks the test binary's child processes, which run with device
// settings fixed before OpenCL loads.
const childEnv = "CLTRAIN_TEST_PARALLEL_CHILD"

// runChild runs the named test in a child process with env added, and
// fails when it fails.
func runChild(t *testing.T, name string, env ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^"+name+"$", "-test.count=1", "-test.v")
	cmd.Env = append(append(os.Environ(), childEnv+"=1"), env...)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+name) {
		t.Fatalf("child %s: %v\n%s", name, err, out)
	}
}

// twoPoCL is PoCL as two devices of one thread each.
var twoPoCL = []string{"POCL_DEVICES=pthread pthread", "POCL_MAX_PTHREAD_COUNT=1"}

// needPoCL skips t unless the test device is PoCL's, which POCL_DEVICES
// splits in two.
func needPoCL(t *testing.T) {
	t.Helper()
	if d := cltest.Device(t); !strings.Contains(d.Platform, "Portable Computing Language") {
		t.Skipf("skipping: two devices come from PoCL's POCL_DEVICES; the test device is on %s", d.Platform)
	}
}

// parallelDevices returns the first two devices, failing when there are
// fewer.
func parallelDevices(t *testing.T) []device.Device {
	t.Helper()
	devs, err := device.Devices()
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) < 2 {
		t.Fatalf("%d device(s), want two", len(devs))
	}
	return devs[:2]
}

// flowerRun trains the first m examples of the flower set on b.
func flowerRun(t *testing.T, b engine.Backend, m int, cfg engine.Config) engine.Result {
	t.Helper()
	set := dataset.Flower(1)
	set.X = mat.DenseCopyOf(set.X.Slice(0, 2, 0, m))
	set.Y = mat.DenseCopyOf(set.Y.Slice(0, 1, 0, m))
	model := engine.NewModel(2, 4)
	p, err := model.Init(engine.Course, engine.Seed(1).Weights())
	if err != nil {
		t.Fatal(err)
	}
	res, err := engine.Fit(context.Background(), b, model, set.X, set.Y, p, cfg, engine.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// compareRuns fails t unless every record's cost agrees within 1e-4 and the
// final accuracies are equal.
func compareRuns(t *testing.T, got, want engine.Result) {
	t.Helper()
	if len(got.Records) != len(want.Records) {
		t.Fatalf("%d records, one device %d", len(got.Records), len(want.Records))
	}
	for i, r := range got.Records {
		if !scalar.EqualWithinRel(r.Cost, want.Records[i].Cost, 1e-4) {
			t.Fatalf("step %d: cost %.9g, one device %.9g", r.Step, r.Cost, want.Records[i].Cost)
		}
	}
	if got.Final.Accuracy != want.Final.Accuracy {
		t.Errorf("accuracy %v, one device %v", got.Final.Accuracy, want.Final.Accuracy)
	}
}

// sameReplicas fails t unless every device holds the same parameters, bit
// for bit.
func sameReplicas(t *testing.T, p *Parallel) {
	t.Helper()
	first, err := p.reps[0].Params()
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range p.reps[1:] {
		q, err := r.Params()
		if err != nil {
			t.Fatal(err)
		}
		for l := range q.W {
			if !mat.Equal(q.W[l], first.W[l]) || !mat.Equal(q.B[l], first.B[l]) {
				t.Fatalf("device %d's layer %d differs from device 0's", i+1, l+1)
			}
		}
	}
}

// TestParallelMatchesOneDevice trains the flower set on two PoCL devices
// (one thread each) and on one: the costs agree within float32 rounding for
// 1000 full-batch steps and 300 mini-batch steps, the accuracies are equal,
// and the replicas hold the same parameters throughout.
func TestParallelMatchesOneDevice(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		needPoCL(t)
		runChild(t, "TestParallelMatchesOneDevice", twoPoCL...)
		return
	}
	devs := parallelDevices(t)
	shuffles := func() func(int) []int { return engine.Seed(1).Shuffle() }
	for _, cfg := range []engine.Config{
		{Iters: 1000, LR: 1.2, LogEvery: 1},
		{Iters: 300, LR: 1.2, LogEvery: 10, Batch: 64, Shuffle: shuffles()},
	} {
		one, err := New(devs[0], Options{})
		if err != nil {
			t.Fatal(err)
		}
		one.NoFusion = true
		want := flowerRun(t, one, 400, cfg)
		one.Close()
		if cfg.Shuffle != nil {
			cfg.Shuffle = shuffles()
		}
		par, err := NewParallel(devs, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := flowerRun(t, par, 400, cfg)
		compareRuns(t, got, want)
		sameReplicas(t, par)
		if par.CommTime() <= 0 {
			t.Error("no communication time recorded")
		}
		t.Logf("batch %d: shares %.3f, final loss %.6f (one device %.6f), comm %v", cfg.Batch, par.Shares(), got.Final.Cost, want.Final.Cost, par.CommTime())
		par.Close()
	}
}

// TestParallelDeviceFailure breaks the second device mid-run, as a device
// lost to its driver would be: the run stops with an error naming the
// device and the step, and the result holds the last good parameters.
func TestParallelDeviceFailure(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		needPoCL(t)
		runChild(t, "TestParallelDeviceFailure", twoPoCL...)
		return
	}
	par, err := NewParallel(parallelDevices(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer par.Close()
	set := dataset.Flower(1)
	model := engine.NewModel(2, 4)
	p, _ := model.Init(engine.Course, engine.Seed(1).Weights())
	broken := false
	res, err := engine.Fit(context.Background(), par, model, set.X, set.Y, p,
		engine.Config{Iters: 1000, LR: 1.2, LogEvery: 10}, engine.Hooks{Progress: func(done int, _ float64) {
			if done >= 50 && !broken {
				par.reps[1].w[0].Buf.Release() // the device's copy of W1 is gone
				broken = true
			}
		}})
	if err == nil || !strings.Contains(err.Error(), "device 1 (") || !strings.Contains(err.Error(), "step ") {
		t.Fatalf("error %v; want one naming device 1 and the step", err)
	}
	last := res.Records[len(res.Records)-1]
	if last.Step == 0 || len(res.Params.W) != 2 || res.Params.Validate() != nil {
		t.Fatalf("after the failure: last record %+v, parameters %v", last, res.Params.Sizes())
	}
	t.Logf("%v; parameters of step %d kept", err, last.Step)
}

// TestParallelAcrossPlatforms trains on PoCL and Oclgrind side by side,
// two platforms whose gradients meet on the host: 10 steps on 64 flower
// examples agree with one PoCL device. Oclgrind simulates a GPU, slowly;
// both devices get half of every step so that both compute.
func TestParallelAcrossPlatforms(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		if testing.Short() {
			t.Skip("Oclgrind is slow")
		}
		cltest.Device(t)
		grind := cltest.Oclgrind(t)
		pocl, err := os.ReadFile("/etc/OpenCL/vendors/pocl.icd")
		if err != nil {
			t.Skipf("skipping: no PoCL ICD file: %v", err)
		}
		env := cltest.Vendors(t, strings.TrimSpace(string(pocl)), grind)
		vendors := env[len(env)-1] // OCL_ICD_VENDORS=…
		runChild(t, "TestParallelAcrossPlatforms", vendors, "OCLGRIND_CHECK_API=1")
		return
	}
	devs := parallelDevices(t)
	if devs[0].Platform == devs[1].Platform {
		t.Fatalf("devices on one platform %q, want PoCL and Oclgrind", devs[0].Platform)
	}
	const m = 64
	cfg := engine.Config{Iters: 10, LR: 1.2, LogEvery: 1}
	one, err := New(devs[0], Options{})
	if err != nil {
		t.Fatal(err)
	}
	one.NoFusion = true
	want := flowerRun(t, one, m, cfg)
	one.Close()
	par, err := NewParallel(devs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer par.Close()
	par.even = true
	got := flowerRun(t, par, m, cfg)
	compareRuns(t, got, want)
	sameReplicas(t, par)
	t.Logf("%s + %s: final loss %.6f (one device %.6f)", devs[0].Name, devs[1].Name, got.Final.Cost, want.Final.Cost)
}
