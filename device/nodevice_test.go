package device_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/internal/cltest"
)

// envChild marks a test process started by runChild.
const envChild = "CLTRAIN_TEST_CHILD"

// envWant passes the child the texts, separated by "|", that its Devices
// error must hold.
const envWant = "CLTRAIN_TEST_WANT"

// runChild runs the named test in a fresh process with extra environment
// variables (for state fixed once per process, such as PoCL's cache folder)
// and fails if the child's test fails.
func runChild(t *testing.T, name string, env ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^"+name+"$", "-test.count=1", "-test.v")
	cmd.Env = append(append(os.Environ(), envChild+"=1"), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child %s with %q: %v\n%s", name, env, err, out)
	}
	if !strings.Contains(string(out), "--- PASS: "+name) {
		t.Fatalf("child %s with %q did not run\n%s", name, env, out)
	}
}

// TestNoDeviceMessage starts processes whose PoCL has no usable cache folder
// and checks that the error says so instead of asking to install PoCL.
func TestNoDeviceMessage(t *testing.T) {
	cltest.Device(t)
	devs, err := device.Devices()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		if !strings.Contains(d.Platform, "Portable Computing Language") {
			t.Skipf("skipping: needs PoCL as the only platform, and %s is here too", d.Platform)
		}
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(file, "cache") // a folder inside a file: never creatable
	cases := []struct {
		name string
		dir  string
		want []string
	}{
		{"below a file", bad, []string{
			"1 OpenCL platform(s) found but no device",
			"Portable Computing Language (OpenCL",
			"clGetDeviceIDs returned CL_DEVICE_NOT_FOUND",
			"POCL_CACHE_DIR=" + bad + " is not a writable folder (not a directory); PoCL reports no device without one",
		}},
		{"under /proc", "/proc/nonexistent", []string{
			"clGetDeviceIDs returned CL_DEVICE_NOT_FOUND",
			"POCL_CACHE_DIR=/proc/nonexistent is not a writable folder (no such file or directory)",
		}},
		// PoCL 3.1 aborts the process on an empty name: it must not be asked.
		{"empty", "", []string{
			"Portable Computing Language (OpenCL",
			"not asked for devices",
			"POCL_CACHE_DIR is set but empty",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.dir == "/proc/nonexistent" {
				if _, err := os.Stat("/proc/self"); err != nil {
					t.Skip("skipping: no /proc here")
				}
			}
			runChild(t, "TestNoDeviceChild", "POCL_CACHE_DIR="+tc.dir, envWant+"="+strings.Join(tc.want, "|"))
		})
	}
}

// TestNoDeviceChild is TestNoDeviceMessage's child: Devices must fail with
// an error that wraps ErrNoOpenCL, holds every text in $CLTRAIN_TEST_WANT and
// does not ask to install what is installed.
func TestNoDeviceChild(t *testing.T) {
	if os.Getenv(envChild) != "1" {
		t.Skip("skipping: run by TestNoDeviceMessage in a fresh process")
	}
	devs, err := device.Devices()
	if err == nil {
		t.Fatalf("Devices found %d device(s), want none", len(devs))
	}
	t.Log(err)
	if !device.IsNoOpenCL(err) {
		t.Errorf("error %q does not wrap ErrNoOpenCL", err)
	}
	for _, want := range strings.Split(os.Getenv(envWant), "|") {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "install") {
		t.Errorf("error %q asks to install OpenCL, which is installed", err)
	}
}

// TestNoDeviceError checks the message without PoCL: platforms are listed
// with their answers, and the PoCL cache note is given only for PoCL.
func TestNoDeviceError(t *testing.T) {
	gpu := device.PlatformReport{Name: "NVIDIA CUDA", Version: "OpenCL 3.0 CUDA 12.4", Status: device.ErrDeviceNotFound}
	pocl := device.PlatformReport{Name: "Portable Computing Language", Version: "OpenCL 3.0 PoCL 3.1", Status: 0}
	note := "POCL_CACHE_DIR=/x is not a writable folder (not a directory); PoCL reports no device without one"
	cases := []struct {
		name      string
		platforms []device.PlatformReport
		note      string
		want      []string
		wantNot   []string
	}{
		{"GPU only", []device.PlatformReport{gpu}, note,
			[]string{"1 OpenCL platform(s) found but no device: NVIDIA CUDA (OpenCL 3.0 CUDA 12.4): clGetDeviceIDs returned CL_DEVICE_NOT_FOUND;", "check the platform's driver"},
			[]string{"POCL_CACHE_DIR"}},
		{"PoCL with a bad cache folder", []device.PlatformReport{gpu, pocl}, note,
			[]string{"2 OpenCL platform(s)", "Portable Computing Language (OpenCL 3.0 PoCL 3.1): clGetDeviceIDs returned CL_SUCCESS with 0 devices;", note},
			[]string{"install"}},
		{"PoCL with no note", []device.PlatformReport{pocl}, "",
			[]string{"Portable Computing Language", "POCL_DEBUG=err"},
			[]string{"POCL_CACHE_DIR", "install"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := device.NoDeviceError(tc.platforms, tc.note)
			if !device.IsNoOpenCL(err) {
				t.Errorf("error %q does not wrap ErrNoOpenCL", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(err.Error(), w) {
					t.Errorf("error %q holds %q", err, w)
				}
			}
		})
	}
}
