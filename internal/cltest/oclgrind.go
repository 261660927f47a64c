package cltest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// oclgrindICDs are where Oclgrind's ICD library may be: Debian's package
// (make deps installs it) puts it in the first. The package registers no
// ICD in /etc/OpenCL/vendors, so tests select it through a private
// OCL_ICD_VENDORS folder (Vendors).
var oclgrindICDs = []string{
	"/usr/lib/oclgrind/liboclgrind-rt-icd.so",
	"/usr/lib/*/oclgrind/liboclgrind-rt-icd.so",
	"/usr/local/lib/liboclgrind-rt-icd.so",
}

// Oclgrind returns the path of Oclgrind's ICD library, the OpenCL simulator
// that checks every access. It skips the test when Oclgrind is not
// installed, or fails it when CLTRAIN_REQUIRE_OPENCL=1.
func Oclgrind(t testing.TB) string {
	t.Helper()
	for _, pattern := range oclgrindICDs {
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			return m[0]
		}
	}
	msg := fmt.Sprintf("Oclgrind is not installed (no %s; make deps installs Debian's oclgrind)", oclgrindICDs[0])
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("%s (%s=1)", msg, EnvRequire)
	}
	t.Skipf("skipping: %s (set %s=1 to fail instead)", msg, EnvRequire)
	return ""
}

// Vendors returns this process's environment for a child that sees only
// the OpenCL libraries given, in that order: OCL_ICD_VENDORS names a fresh
// folder with one .icd file per library, and the variables that would
// select other devices or set Oclgrind's checks (OCL_ICD_VENDORS,
// OCL_ICD_FILENAMES, CLTRAIN_DEVICE, OCLGRIND_*) are left out, for the
// caller to set as its test needs. OCL_ICD_VENDORS is the last entry.
func Vendors(t testing.TB, libs ...string) []string {
	t.Helper()
	dir := t.TempDir()
	for i, lib := range libs {
		name := filepath.Join(dir, fmt.Sprintf("%c-%s.icd", 'a'+i, strings.TrimSuffix(filepath.Base(lib), ".so")))
		if err := os.WriteFile(name, []byte(lib+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "OCLGRIND_") && name != "OCL_ICD_VENDORS" && name != "OCL_ICD_FILENAMES" && name != "CLTRAIN_DEVICE" {
			env = append(env, kv)
		}
	}
	return append(env, "OCL_ICD_VENDORS="+dir)
}

// oclgrindDiagnostics are what Oclgrind's diagnostics on stderr contain: memory
// errors ("Invalid read of size 4 at global memory address …", "Invalid
// write …"), races ("Read-write data race at local memory address …"),
// barrier divergence, uninitialised values ("Uninitialized value written
// to …", "Controlflow depends on uninitialized value"), unaligned accesses,
// API misuse ("Oclgrind - OpenCL runtime error detected", with
// OCLGRIND_CHECK_API=1) and its own configuration errors ("Oclgrind: …").
// Every diagnostic about a kernel also has a "Kernel: name" line.
var oclgrindDiagnostics = []string{
	"Invalid read", "Invalid write", "data race", "divergence", "Work-item finished without waiting",
	"Uninitialized", "uninitialized", "Unaligned address", "exceeds static array size",
	"Oclgrind - OpenCL runtime error", "Oclgrind: ", "FATAL ERROR", "Kernel: ",
}

// OclgrindReport returns the first Oclgrind diagnostic in out (a child's
// stderr) with the lines that follow it (kernel, work-item, source line),
// or "" when there is none.
func OclgrindReport(out string) string {
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		for _, r := range oclgrindDiagnostics {
			if strings.Contains(l, r) {
				if r == "Kernel: " && i > 0 {
					i-- // the report's first line comes before its kernel
				}
				return strings.Join(lines[i:min(i+8, len(lines))], "\n")
			}
		}
	}
	return ""
}
