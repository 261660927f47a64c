// Package cltest gives tests an OpenCL context on the selected device.
//
// Tests skip when OpenCL is absent, naming the reason, unless the
// environment variable CLTRAIN_REQUIRE_OPENCL is set to 1, in which case an
// absent OpenCL fails them: CI sets it so that nothing passes by skipping.
package cltest

import (
	"os"
	"sync"
	"testing"

	"github.com/cltrain/cltrain/device"
)

// EnvRequire names the variable that turns a missing OpenCL into a failure.
const EnvRequire = "CLTRAIN_REQUIRE_OPENCL"

var (
	once   sync.Once
	dev    device.Device
	devErr error
)

// Device returns the device tests run on ($CLTRAIN_DEVICE, else the first GPU,
// else the first device), skipping or failing the test when there is none.
func Device(t testing.TB) device.Device {
	t.Helper()
	once.Do(func() { dev, devErr = device.Select(-1) })
	if devErr != nil {
		if os.Getenv(EnvRequire) == "1" || !device.IsNoOpenCL(devErr) {
			t.Fatalf("no OpenCL device (%s=1): %v", EnvRequire, devErr)
		}
		t.Skipf("skipping: %v (set %s=1 to fail instead)", devErr, EnvRequire)
	}
	return dev
}

// Context returns a fresh context on Device, closed when the test ends.
func Context(t testing.TB) *device.Context {
	t.Helper()
	c, err := device.NewContext(Device(t), device.Profiled)
	if err != nil {
		t.Fatalf("new context: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("close context: %v", err)
		}
	})
	return c
}
