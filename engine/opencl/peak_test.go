package opencl

import (
	"regexp"
	"strings"
	"testing"

	"github.com/cltrain/cltrain/kernels"
)

// TestPeakKernelUsesFMA guards the peak kernel's ceiling: its chains must
// call fma(), because PoCL 3.1 compiles mad() to a separate vmulps and
// vaddps, whatever the build options, and the peak then reads 0.6 of the
// CPU's FMA peak (docs/PERF.md, "Speed, round two"); and they must be
// sixteen, enough to hide the FMA latency of two pipes.
func TestPeakKernelUsesFMA(t *testing.T) {
	src, err := kernels.Source("peak.cl")
	if err != nil {
		t.Fatal(err)
	}
	code := regexp.MustCompile(`//[^\n]*`).ReplaceAllString(src, "")
	if strings.Contains(code, "mad(") {
		t.Error("peak.cl calls mad(): PoCL compiles it to a multiply and an add, not an FMA")
	}
	chains := map[string]bool{}
	for _, m := range regexp.MustCompile(`(x\d+) = fma\(x\d+, a, b\)`).FindAllStringSubmatch(code, -1) {
		chains[m[1]] = true
	}
	if len(chains) != 16 {
		t.Errorf("peak.cl steps %d FMA chains, want 16", len(chains))
	}
}
