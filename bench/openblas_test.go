package bench

import (
	"strings"
	"testing"

	"github.com/cltrain/cltrain/cpuref/openblas"
)

// TestKernelSet reads the kernel set out of OpenBLAS's config string and
// warns exactly when it is older than the CPU's best, saying so when
// OPENBLAS_CORETYPE forced it.
func TestKernelSet(t *testing.T) {
	const prefix = "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY "
	for _, tc := range []struct {
		config, coreType string
		level            int
		name, best       string
		warn             []string // substrings of the warning; nil: no warning
	}{
		{prefix + "Haswell MAX_THREADS=64", "Haswell", 3, "Haswell", "SkylakeX",
			[]string{"its Haswell kernels", "forced by OPENBLAS_CORETYPE=Haswell", "runs its SkylakeX kernels", "OPENBLAS_CORETYPE=SkylakeX runs those"}},
		{prefix + "Prescott MAX_THREADS=64", "", 2, "Prescott", "Haswell",
			[]string{"its Prescott kernels (generic, OpenBLAS's fallback", "OPENBLAS_CORETYPE=Haswell runs those"}},
		{prefix + "Prescott MAX_THREADS=64", "Prescott", 3, "Prescott", "SkylakeX", []string{"generic", "forced by OPENBLAS_CORETYPE=Prescott"}},
		{prefix + "Zen MAX_THREADS=64", "", 3, "Zen", "SkylakeX", []string{"its Zen kernels (older than this CPU runs)"}},
		{prefix + "SkylakeX MAX_THREADS=64", "", 3, "SkylakeX", "SkylakeX", nil},
		{prefix + "Cooperlake MAX_THREADS=64", "", 3, "Cooperlake", "SkylakeX", nil},
		{prefix + "Haswell MAX_THREADS=64", "", 2, "Haswell", "Haswell", nil},
		{prefix + "Prescott MAX_THREADS=64", "", 0, "Prescott", "Prescott", nil},
		{"OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY armv8 MAX_THREADS=64", "", -1, "", "", nil},
		{"OpenBLAS (libopenblas.so.0)", "", 3, "", "SkylakeX", nil},
	} {
		k := kernelSet(tc.config, tc.coreType, tc.level)
		if k.Name != tc.name || k.CPUBest != tc.best || k.Config != tc.config || k.CoreType != tc.coreType {
			t.Errorf("kernelSet(%q, %q, %d) = %+v, want set %q, best %q", tc.config, tc.coreType, tc.level, k, tc.name, tc.best)
		}
		if (k.Warning != "") != (tc.warn != nil) {
			t.Errorf("kernelSet(%q, %q, %d): warning %q, want one: %v", tc.config, tc.coreType, tc.level, k.Warning, tc.warn != nil)
		}
		for _, w := range tc.warn {
			if !strings.Contains(k.Warning, w) {
				t.Errorf("kernelSet(%q, %q, %d): warning %q lacks %q", tc.config, tc.coreType, tc.level, k.Warning, w)
			}
		}
	}
}

// TestOpenBLASKernelSetNamed checks that the installed OpenBLAS's config
// string names a kernel set this package knows, so the bench can name it.
func TestOpenBLASKernelSetNamed(t *testing.T) {
	impl, err := openblas.Load()
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	k := openBLASKernelSet(impl.Name())
	if k.Name == "" {
		t.Errorf("no kernel set found in %q", impl.Name())
	}
	t.Logf("%+v", *k)
}
