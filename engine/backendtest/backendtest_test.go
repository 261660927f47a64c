package backendtest_test

import (
	"testing"

	"github.com/cltrain/cltrain/engine"
	"github.com/cltrain/cltrain/engine/backendtest"
	"github.com/cltrain/cltrain/engine/opencl"
	"github.com/cltrain/cltrain/internal/cltest"
)

// openCL returns an Impl of the OpenCL backend on the test device, with or
// without its fused kernels.
func openCL(name string, noFusion bool) backendtest.Impl {
	return backendtest.Impl{Name: name, Tol: 1e-4, Open: func(t testing.TB) engine.Backend {
		b, err := opencl.New(cltest.Device(t), opencl.Options{})
		if err != nil {
			t.Fatal(err)
		}
		b.NoFusion = noFusion
		return b
	}}
}

// TestConformance runs the suite on every backend: the float64 CPU
// reference itself, the float32 CPU backend, and the OpenCL backend fused
// and unfused (skipped without an OpenCL device, failed in CI).
func TestConformance(t *testing.T) {
	backendtest.Run(t,
		backendtest.Impl{Name: "cpu64", Tol: 1e-12, Open: func(testing.TB) engine.Backend { return engine.NewCPU() }},
		backendtest.Impl{Name: "cpu32", Tol: 1e-4, Open: func(testing.TB) engine.Backend { return engine.NewCPU32() }},
		openCL("opencl", false),
		openCL("opencl-unfused", true),
	)
}
