package main

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cltrain/cltrain/checkpoint"
	"github.com/cltrain/cltrain/internal/cltest"
)

// runChild runs the named test in a child process with extra environment
// variables (for state fixed at process start, such as the ICD loader's
// vendors folder) and fails if the child's test fails.
func runChild(t *testing.T, name string, env ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^"+name+"$", "-test.count=1")
	cmd.Env = append(append(os.Environ(), "CLTRAIN_TEST_CHILD=1"), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child %s: %v\n%s", name, err, out)
	}
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cltrain without cgo once per test run, as make build and
// scripts/gpu-check.sh --bundle do, and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cltrain-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "cltrain")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("build cltrain: %v", buildErr)
	}
	return binPath
}

// startTrain starts cltrain train with args, its stdout a pipe the caller
// reads and its stderr collected.
func startTrain(t *testing.T, args ...string) (*exec.Cmd, io.ReadCloser, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"train"}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, stdout, &stderr
}

// startTraining starts a long training run and waits until it has logged its
// first step, so that signals arrive mid-run.
func startTraining(t *testing.T, args ...string) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	cmd, stdout, stderr := startTrain(t, args...)
	started := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		first := true
		for sc.Scan() {
			if first && strings.HasPrefix(sc.Text(), "step") {
				started <- true
				first = false
			}
		}
		if first {
			started <- false
		}
	}()
	select {
	case ok := <-started:
		if !ok {
			cmd.Wait()
			t.Fatalf("training ended before its first log line: %s", stderr.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("no log line within 60 s")
	}
	return cmd, stderr
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

// TestInterruptSaves sends SIGINT, and SIGTERM, to real training runs: each
// finishes its step, saves a checkpoint that loads, names the step and exits
// 130.
func TestInterruptSaves(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	for _, tc := range []struct {
		backend string
		sig     syscall.Signal
	}{{"cpu", syscall.SIGINT}, {"opencl", syscall.SIGTERM}} {
		if tc.backend == "opencl" {
			cltest.Device(t)
		}
		dir := t.TempDir()
		model := filepath.Join(dir, "model.npz")
		cmd, stderr := startTraining(t, "--backend", tc.backend, "--iters", "100000000", "--log-every", "100", "--save", model)
		time.Sleep(200 * time.Millisecond)
		cmd.Process.Signal(tc.sig)
		code := exitCode(t, cmd.Wait())
		if code != exitInterrupted || !strings.Contains(stderr.String(), "interrupted at step") {
			t.Errorf("%s %v: exit %d, stderr %q; want 130 and the step reached", tc.backend, tc.sig, code, stderr.String())
		}
		_, p, err := checkpoint.Load(model)
		if err != nil || len(p.W) != 2 || len(p.B) != 2 {
			t.Errorf("%s: checkpoint after the interruption: %v", tc.backend, err)
		}
		if f := files(t, dir); len(f) != 1 {
			t.Errorf("%s: folder holds %v, want the checkpoint alone", tc.backend, f)
		}
	}
}

// TestSecondInterruptQuits sends two SIGINTs during a slow step: the second
// exits at once with 130 and writes nothing.
func TestSecondInterruptQuits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "model.npz")
	// A wide CPU network makes each step take long.
	cmd, stderr := startTraining(t, "--backend", "cpu", "--hidden", "3000,300", "--iters", "1000000", "--log-every", "1", "--save", model)
	cmd.Process.Signal(syscall.SIGINT)
	time.Sleep(20 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	code := exitCode(t, cmd.Wait())
	if code != exitInterrupted || !strings.Contains(stderr.String(), "without saving") {
		t.Errorf("exit %d, stderr %q; want 130 without saving", code, stderr.String())
	}
	if f := files(t, dir); len(f) != 0 {
		t.Errorf("a second interrupt left %v", f)
	}
}

// TestInterruptMultiLayerOpenCL interrupts a real multi-layer OpenCL run
// whose log points are far apart: the run must stop within a second or two
// (it queues about 50 ms of steps at a time), save its checkpoint and exit
// 130. Before the queue was bounded by time, this took a minute.
func TestInterruptMultiLayerOpenCL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	cltest.Device(t)
	dir := t.TempDir()
	model := filepath.Join(dir, "model.npz")
	cmd, stderr := startTraining(t, "--backend", "opencl", "--hidden", "1000,1000", "--iters", "100000", "--log-every", "50000", "--save", model)
	time.Sleep(time.Second)
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	code := exitCode(t, cmd.Wait())
	took := time.Since(sent)
	if code != exitInterrupted || !strings.Contains(stderr.String(), "interrupted at step") {
		t.Errorf("exit %d, stderr %q; want 130 and the step reached", code, stderr.String())
	}
	// The chunk, the checkpoint's download and write: well under this.
	if took > 3*time.Second {
		t.Errorf("the run took %v to stop after SIGINT, want a second or two", took)
	}
	_, p, err := checkpoint.Load(model)
	if err != nil || len(p.W) != 3 {
		t.Errorf("checkpoint after the interruption: %d layers, %v", len(p.W), err)
	}
	t.Logf("stopped %v after SIGINT", took)
}

// TestClosedPipeKeepsCheckpoint runs train with its stdout into a pipe
// that is closed after the first line, as 'cltrain train | head -1' does:
// the run must not die of SIGPIPE, must save its checkpoint, and must say
// that its output was cut.
func TestClosedPipeKeepsCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "model.npz")
	cmd, stdout, stderr := startTrain(t, "--backend", "cpu", "--iters", "3000", "--log-every", "1", "--save", model)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "step") {
		t.Fatalf("first line %q, %v", line, err)
	}
	stdout.Close()
	code := exitCode(t, cmd.Wait())
	if code != exitError || !strings.Contains(stderr.String(), "broken pipe") {
		t.Errorf("exit %d, stderr %q; want 1 and the broken pipe named", code, stderr.String())
	}
	if _, _, err := checkpoint.Load(model); err != nil {
		t.Errorf("checkpoint: %v", err)
	}
}
