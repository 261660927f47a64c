package device_test

import (
	"errors"
	"math"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/internal/cltest"
)

const scaleSrc = `
__kernel void scale(__global float *x, const float a, const int n) {
	int i = get_global_id(0);
	if (i < n) x[i] *= a;
}`

func TestDevicesHaveFacts(t *testing.T) {
	cltest.Device(t)
	devs, err := device.Devices()
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range devs {
		if d.Index != i || d.Name == "" || d.Platform == "" || d.ComputeUnits <= 0 ||
			d.MaxWorkGroupSize <= 0 || d.GlobalMemBytes <= 0 || d.MaxAllocBytes <= 0 || d.LocalMemBytes <= 0 {
			t.Errorf("device %d has missing facts: %+v", i, d.Info)
		}
	}
}

func TestSelectOutOfRange(t *testing.T) {
	cltest.Device(t)
	_, err := device.Select(1 << 20)
	if err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("Select(huge) = %v, want out of range", err)
	}
	t.Setenv(device.EnvDevice, "abc")
	if _, err := device.Select(-1); err == nil || !strings.Contains(err.Error(), device.EnvDevice) {
		t.Fatalf("Select with %s=abc = %v, want an error naming the variable", device.EnvDevice, err)
	}
}

func TestRoundTripAndLaunch(t *testing.T) {
	c := cltest.Context(t)
	p, err := c.Build("scale", scaleSrc, "")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release()
	k, err := p.Kernel("scale")
	if err != nil {
		t.Fatal(err)
	}
	defer k.Release()
	const n = 1000
	b, err := c.NewBuffer(n)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	src := make([]float32, n)
	for i := range src {
		src[i] = float32(i) + 0.5
	}
	if err := b.Write(src); err != nil {
		t.Fatal(err)
	}
	if err := k.SetArgs(b, float32(2), int32(n)); err != nil {
		t.Fatal(err)
	}
	ev, err := c.LaunchTimed(k, []int{n}, []int{64}) // 1000 is not a multiple of 64
	if err != nil {
		t.Fatal(err)
	}
	d, err := ev.Duration()
	if err != nil || d <= 0 {
		t.Errorf("event duration = %v, %v; want a positive time", d, err)
	}
	ev.Release()
	got := make([]float32, n)
	for i := range got {
		got[i] = float32(math.NaN())
	}
	if err := b.Read(got); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if got[i] != 2*src[i] {
			t.Fatalf("x[%d] = %v, want %v", i, got[i], 2*src[i])
		}
	}
}

func TestBuildErrorCarriesLog(t *testing.T) {
	c := cltest.Context(t)
	_, err := c.Build("broken", "__kernel void f(__global float *x) { x[0] = undefined_name; }", "")
	var be *device.BuildError
	if !errors.As(err, &be) {
		t.Fatalf("Build(broken) = %v, want *BuildError", err)
	}
	if be.Status != device.ErrBuildProgramFailure || !strings.Contains(be.Log, "undefined_name") {
		t.Errorf("build error status %v, log %q: want CL_BUILD_PROGRAM_FAILURE and a log naming the identifier", be.Status, be.Log)
	}
	if !strings.Contains(err.Error(), "CL_BUILD_PROGRAM_FAILURE") {
		t.Errorf("error text %q lacks the status name", err)
	}
}

func TestErrorsAreNamed(t *testing.T) {
	c := cltest.Context(t)
	p, err := c.Build("scale", scaleSrc, "")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release()
	if _, err := p.Kernel("nope"); err == nil || !strings.Contains(err.Error(), "CL_INVALID_KERNEL_NAME") {
		t.Errorf("Kernel(nope) = %v, want CL_INVALID_KERNEL_NAME", err)
	}
	k, err := p.Kernel("scale")
	if err != nil {
		t.Fatal(err)
	}
	defer k.Release()
	b, err := c.NewBuffer(1)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	// Four arguments for a three-argument kernel.
	err = k.SetArgs(b, float32(1), int32(1), int32(1))
	if !errors.Is(err, device.ErrInvalidArgIndex) || !strings.Contains(err.Error(), "CL_INVALID_ARG_INDEX") {
		t.Errorf("SetArgs with an extra argument = %v, want CL_INVALID_ARG_INDEX", err)
	}
	max := c.Device.MaxWorkGroupSize
	if err := k.SetArgs(b, float32(1), int32(1)); err != nil {
		t.Fatal(err)
	}
	err = c.Launch(k, []int{2 * (max + 1)}, []int{max + 1})
	if !errors.Is(err, device.ErrInvalidWorkGroupSize) {
		t.Errorf("launch with local size %d = %v, want CL_INVALID_WORK_GROUP_SIZE", max+1, err)
	}
	if got := device.Status(-54).Error(); got != "CL_INVALID_WORK_GROUP_SIZE" {
		t.Errorf("Status(-54) = %q", got)
	}
	if got := device.Status(-9999).Error(); !strings.Contains(got, "-9999") {
		t.Errorf("unknown status text %q lacks its number", got)
	}
}

func TestAllocationChecks(t *testing.T) {
	c := cltest.Context(t)
	n := int(c.Device.MaxAllocBytes/4) + 1
	_, err := c.NewBuffer(n)
	if err == nil || !strings.Contains(err.Error(), "largest allocation") {
		t.Errorf("NewBuffer over max alloc = %v, want a refusal naming the sizes", err)
	}
	if _, err := c.NewBuffer(0); err == nil {
		t.Error("NewBuffer(0) succeeded")
	}
	b, err := c.NewBuffer(4)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	if err := b.Write(make([]float32, 5)); err == nil {
		t.Error("writing 5 elements into a 4-element buffer succeeded")
	}
}

// TestReleaseDoesNotLeak creates and releases thousands of objects and checks
// that neither the context's accounting nor the process's resident memory
// grows with their number.
func TestReleaseDoesNotLeak(t *testing.T) {
	c := cltest.Context(t)
	p, err := c.Build("scale", scaleSrc, "")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release()
	const n = 16 << 10 // 64 KiB buffers: 2000 leaked ones would be 128 MiB
	cycle := func(count int) {
		for i := 0; i < count; i++ {
			b, err := c.NewBuffer(n)
			if err != nil {
				t.Fatal(err)
			}
			k, err := p.Kernel("scale")
			if err != nil {
				t.Fatal(err)
			}
			if err := k.SetArgs(b, float32(1), int32(n)); err != nil {
				t.Fatal(err)
			}
			ev, err := c.LaunchTimed(k, []int{n}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := ev.Wait(); err != nil {
				t.Fatal(err)
			}
			for _, r := range []interface{ Release() error }{ev, k, b} {
				if err := r.Release(); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	cycle(1000) // warm up the allocators
	before := rss(t)
	cycle(2000)
	after := rss(t)
	if c.Allocated() != 0 {
		t.Errorf("context still accounts %d bytes after releasing every buffer", c.Allocated())
	}
	if growth := after - before; growth > 32<<20 {
		t.Errorf("resident memory grew by %d MiB over 2000 create/release cycles of 64 KiB buffers", growth>>20)
	}
}

func rss(t *testing.T) int64 {
	t.Helper()
	runtime.GC()
	v, err := residentBytes()
	if err != nil {
		t.Skipf("resident memory not readable here: %v", err)
	}
	return v
}

// TestBinaryCache builds a program twice into a private cache folder and
// checks that the second build loads the stored binary and runs.
func TestBinaryCache(t *testing.T) {
	dir := privateCache(t)
	c := cltest.Context(t)
	src := scaleSrc + "\n// cache test\n"
	for i := 0; i < 2; i++ {
		p, err := c.Build("scale", src, "-DPASS=1")
		if err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			t.Fatalf("build %d: cache folder holds %d entries, want 1", i, len(entries))
		}
		k, err := p.Kernel("scale")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := c.NewBuffer(3)
		b.Write([]float32{1, 2, 3})
		k.SetArgs(b, float32(3), int32(3))
		if err := c.Launch(k, []int{3}, nil); err != nil {
			t.Fatal(err)
		}
		got := make([]float32, 3)
		b.Read(got)
		if got[2] != 9 {
			t.Errorf("build %d: kernel from the cache computed %v", i, got)
		}
		b.Release()
		k.Release()
		p.Release()
	}
	t.Setenv(device.EnvNoCache, "1")
	if device.CacheDir() != "" {
		t.Errorf("%s=1 left the cache on", device.EnvNoCache)
	}
}
