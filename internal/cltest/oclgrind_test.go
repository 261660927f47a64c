package cltest

import (
	"strings"
	"testing"
)

// TestOclgrindReport finds a diagnostic with the lines around it, starting
// at the line before "Kernel: ", and nothing in clean output.
func TestOclgrindReport(t *testing.T) {
	for _, tc := range []struct {
		out, want string
	}{
		{"=== RUN TestX\n--- PASS: TestX\n", ""},
		{"ok\nInvalid read of size 4 at global memory address 0x10\n\tKernel: sub\n", "Invalid read of size 4"},
		{"ok\nRead-write data race at local memory address 0x0\n\tKernel: row_sums\n", "Read-write data race"},
		{"ok\nsome first line\n\tKernel: adam\n\tEntity: Global(3)\n", "some first line\n\tKernel: adam"},
	} {
		got := OclgrindReport(tc.out)
		if (tc.want == "") != (got == "") || !strings.HasPrefix(got, tc.want) {
			t.Errorf("OclgrindReport(%q) = %q, want a report starting %q", tc.out, got, tc.want)
		}
	}
}
