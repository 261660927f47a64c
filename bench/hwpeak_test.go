package bench

import (
	"runtime"
	"testing"
	"time"
)

// TestHardwarePeak runs the FMA loop briefly on every CPU: a positive rate
// named by its instructions where the CPU has one (amd64 with AVX2 and
// FMA), the zero HardwarePeak elsewhere.
func TestHardwarePeak(t *testing.T) {
	h := measureHardwarePeak(5*time.Millisecond, 1)
	loop, _, _ := fmaLoop()
	if loop == nil {
		if h != (HardwarePeak{}) {
			t.Errorf("no FMA loop on %s, but peak %+v", runtime.GOARCH, h)
		}
		return
	}
	if !(h.GFLOPS > 0) || h.ISA == "" || h.Threads != runtime.NumCPU() {
		t.Errorf("peak %+v: want a positive rate, the instructions and %d threads", h, runtime.NumCPU())
	}
	t.Logf("%+v", h)
}
