package bench

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/cltrain/cltrain/cpuref/openblas"
	"github.com/cltrain/cltrain/internal/cltest"
)

// benchCPU returns the CPU backend named backend, skipping when it is not
// installed.
func benchCPU(b *testing.B, backend string) []cpuBackend {
	b.Helper()
	var impl blasImpl
	if backend == CPU32OpenBLAS {
		obl, err := openblas.Load()
		if err != nil {
			b.Skip(err)
		}
		impl = obl
	}
	cpus := cpuBackends(impl)
	i := slices.IndexFunc(cpus, func(c cpuBackend) bool { return c.id == backend })
	return cpus[i : i+1]
}

// benchEnv returns the device environment, with CLBlast for the clblast
// backend (skipping when it is not installed).
func benchEnv(b *testing.B, backend string) *clEnv {
	b.Helper()
	o := DefaultOptions(cltest.Device(b))
	if backend == OpenCL {
		o.CLBlastLibrary = "none"
	}
	env, notes, err := newCLEnv(&o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { env.close() })
	if backend == CLBlast && env.blast == nil {
		b.Skip(notes)
	}
	return env
}

// benchCase times backend's contender of c, after one untimed run, and
// reports GFLOP/s and, on OpenCL, the kernel time per run.
func benchCase(b *testing.B, c *caseRun, backend string) {
	defer c.free()
	for _, f := range c.failed {
		if f.Backend == backend {
			b.Fatal(f.Error)
		}
	}
	i := slices.IndexFunc(c.cs, func(x contender) bool { return x.backend == backend })
	if i < 0 {
		b.Skipf("%s does not run %s", backend, c.spec.name)
	}
	run := c.cs[i].run
	if _, err := run(); err != nil {
		b.Fatal(err)
	}
	var kernel time.Duration
	for b.Loop() {
		s, err := run()
		if err != nil {
			b.Fatal(err)
		}
		kernel += s.Kernel
	}
	if c.spec.flops > 0 {
		b.ReportMetric(c.spec.flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
	if kernel > 0 {
		b.ReportMetric(float64(kernel.Nanoseconds())/float64(b.N), "kernel-ns/op")
	}
}

// BenchmarkGemm times n×n·n×n products per backend and transpose, for
// example BenchmarkGemm/opencl/NN/1024.
func BenchmarkGemm(b *testing.B) {
	for _, backend := range backendOrder {
		b.Run(backend, func(b *testing.B) {
			for _, tr := range []gemmCase{{}, {TB: true}, {TA: true}} {
				b.Run(tr.Op(), func(b *testing.B) {
					for _, n := range []int{128, 256, 512, 1024} {
						b.Run(strconv.Itoa(n), func(b *testing.B) {
							var cpus []cpuBackend
							var env *clEnv
							if backend == OpenCL || backend == CLBlast {
								env = benchEnv(b, backend)
							} else {
								cpus = benchCPU(b, backend)
							}
							g := gemmCase{TA: tr.TA, TB: tr.TB, M: n, N: n, K: n}
							benchCase(b, gemmRun(g, cpus, env, rand.New(rand.NewPCG(1, 1))), backend)
						})
					}
				})
			}
		})
	}
}

// trainBackend returns the training backend of a step or flower
// benchmark.
func trainBackend(b *testing.B, backend string) []*trainer {
	var ts []*trainer
	if backend == OpenCL {
		o := DefaultOptions(cltest.Device(b))
		ts = trainers(&o, nil)
	} else {
		ts = trainers(&Options{}, benchCPU(b, backend))[:1]
	}
	b.Cleanup(func() { closeTrainers(ts) })
	return ts
}

// BenchmarkStep times one training step (Backend.Step, full batch, with
// the cost) per backend and configuration, for example
// BenchmarkStep/opencl/784-256-8192.
func BenchmarkStep(b *testing.B) {
	for _, backend := range []string{CPU32Gonum, CPU32OpenBLAS, CPU64Gonum, OpenCL} {
		b.Run(backend, func(b *testing.B) {
			for _, s := range TrainingSteps {
				b.Run(s.String(), func(b *testing.B) {
					c, err := stepRun(s, trainBackend(b, backend), rand.New(rand.NewPCG(1, 1)))
					if err != nil {
						b.Fatal(err)
					}
					benchCase(b, c, backend)
				})
			}
		})
	}
}

// BenchmarkFlower times the 10 000-iteration flower run per backend, for
// example BenchmarkFlower/opencl.
func BenchmarkFlower(b *testing.B) {
	for _, backend := range []string{CPU32Gonum, CPU32OpenBLAS, CPU64Gonum, OpenCL} {
		b.Run(backend, func(b *testing.B) {
			c, err := flowerRun(10000, trainBackend(b, backend), rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				b.Fatal(err)
			}
			benchCase(b, c, backend)
		})
	}
}
