package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/internal/cltest"
)

// gpuCheckReport is the part of the results.json of scripts/gpu-check.sh the
// test reads.
type gpuCheckReport struct {
	Mode         string `json:"mode"`
	NvidiaOpenCL string `json:"nvidia_opencl"`
	Steps        []struct {
		Name   string          `json:"name"`
		Status string          `json:"status"`
		Output json.RawMessage `json:"output"`
	} `json:"steps"`
}

// TestGPUCheckQuick runs scripts/gpu-check.sh --quick, the check meant for
// GPU machines, on this machine's OpenCL device with a binary built without
// cgo, as the one it ships: once as it runs where there is no NVIDIA library,
// and once with a stand-in libnvidia-opencl.so.1 that the ICD loader cannot
// load, to see the private ICD folder keep the system's other ICDs.
func TestGPUCheckQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds cltrain and runs scripts/gpu-check.sh --quick")
	}
	d := cltest.Device(t)
	devs, err := device.Devices()
	if err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "gpu-check.sh"))
	if err != nil {
		t.Fatal(err)
	}
	bin := binary(t)

	fakeDir := t.TempDir()
	fake := filepath.Join(fakeDir, "libnvidia-opencl.so.1")
	// A 64-bit ELF header and nothing else: found by the script, refused by dlopen.
	if err := os.WriteFile(fake, append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 57)...), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		args      []string
		libDir    string
		skip      string   // why the case cannot run here, if it cannot
		files     []string // the results folder, exactly
		steps     []string // the steps run, each to be "ok" (bench "skipped", multi too with one device)
		summary   []string // lines the summary must hold
		log       []string
		nvidiaLib string
	}{
		{
			name:   "no NVIDIA library",
			args:   []string{"--quick"},
			libDir: t.TempDir(),
			files:  []string{"devices.json", "flower-boundary.png", "flower.png", "log.txt", "results.json", "summary.txt", "validate.json"},
			steps:  []string{"opencl-setup", "devices", "validate", "bench", "flower", "large", "multi"},
			summary: []string{
				"OpenCL: no NVIDIA OpenCL library found",
				d.Name,
				d.Platform,
			},
			log: []string{"no NVIDIA OpenCL library (libnvidia-opencl.so.1) found"},
		},
		{
			name:   "private ICD folder",
			args:   []string{"--quick", "--only", "devices"},
			libDir: fakeDir,
			skip: func() string {
				if strings.Contains(d.Platform, "NVIDIA") {
					return "the stand-in library would hide the NVIDIA platform this machine tests on"
				}
				return ""
			}(),
			files:     []string{"devices.json", "log.txt", "results.json", "summary.txt"},
			steps:     []string{"opencl-setup", "devices"},
			summary:   []string{"OpenCL: libnvidia-opencl.so.1: " + fake, d.Platform},
			log:       []string{"nvidia.icd -> " + fake, "OCL_ICD_VENDORS="},
			nvidiaLib: fake,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skip != "" {
				t.Skip("skipping: " + tt.skip)
			}
			out := filepath.Join(t.TempDir(), "results")
			cmd := exec.Command("bash", append(append([]string{script}, tt.args...), out)...)
			cmd.Env = append(os.Environ(), "CLTRAIN_BIN="+bin, "GPU_CHECK_LIB_DIRS="+tt.libDir)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				logText, _ := os.ReadFile(filepath.Join(out, "log.txt"))
				t.Fatalf("gpu-check.sh: %v\nstdout:\n%s\nstderr:\n%s\nlog.txt:\n%s", err, &stdout, &stderr, logText)
			}

			entries, err := os.ReadDir(out)
			if err != nil {
				t.Fatal(err)
			}
			var files []string
			for _, e := range entries {
				files = append(files, e.Name())
			}
			if !slices.Equal(files, tt.files) {
				t.Errorf("results folder holds %q, want %q", files, tt.files)
			}
			if len(files) > 8 {
				t.Errorf("results folder holds %d files, more than a GPU machine sends back (8)", len(files))
			}

			text := gpuCheckRead(t, filepath.Join(out, "summary.txt"))
			t.Logf("summary.txt:\n%s", text)
			if !strings.HasSuffix(stdout.String(), text) {
				t.Errorf("the script's output does not end with the summary:\n%s", &stdout)
			}
			for _, want := range tt.summary {
				if !strings.Contains(text, want) {
					t.Errorf("summary.txt lacks %q:\n%s", want, text)
				}
			}
			logText := gpuCheckRead(t, filepath.Join(out, "log.txt"))
			for _, want := range tt.log {
				if !strings.Contains(logText, want) {
					t.Errorf("log.txt lacks %q", want)
				}
			}

			var rep gpuCheckReport
			if err := json.Unmarshal([]byte(gpuCheckRead(t, filepath.Join(out, "results.json"))), &rep); err != nil {
				t.Fatalf("results.json: %v", err)
			}
			if rep.Mode != "quick" || rep.NvidiaOpenCL != tt.nvidiaLib {
				t.Errorf("results.json: mode %q, nvidia_opencl %q; want quick, %q", rep.Mode, rep.NvidiaOpenCL, tt.nvidiaLib)
			}
			var names []string
			for _, s := range rep.Steps {
				names = append(names, s.Name)
				want := "ok"
				if s.Name == "bench" || s.Name == "multi" && len(devs) < 2 {
					want = "skipped"
				}
				if s.Status != want {
					t.Errorf("step %s: status %q, want %q", s.Name, s.Status, want)
				}
				if s.Name != "flower" && s.Name != "large" {
					continue
				}
				var sum summary
				if err := json.Unmarshal(s.Output, &sum); err != nil {
					t.Errorf("step %s: output %s: %v", s.Name, s.Output, err)
					continue
				}
				if sum.Device == nil || sum.Device.Name != d.Name || sum.Iterations == 0 {
					t.Errorf("step %s: trained %d iterations on %+v, want some on %q", s.Name, sum.Iterations, sum.Device, d.Name)
				}
			}
			if !slices.Equal(names, tt.steps) {
				t.Errorf("results.json steps %q, want %q", names, tt.steps)
			}
		})
	}
}

func gpuCheckRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
