package bench

import (
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/cltrain/cltrain/engine"
)

// blasImpl is a BLAS for both of gonum's precisions, such as
// gonum.Implementation or OpenBLAS's.
type blasImpl interface {
	blas.Float32
	blas.Float64
}

// cpuBackend is a CPU backend: the precision and the BLAS of its GEMMs.
type cpuBackend struct {
	id   string
	f64  bool
	impl blasImpl
}

// cpuBackends returns the CPU backends of a run: gonum's in both
// precisions, and OpenBLAS in float32 when impl is not nil.
func cpuBackends(impl blasImpl) []cpuBackend {
	bs := []cpuBackend{{id: CPU32Gonum, impl: gonum.Implementation{}}}
	if impl != nil {
		bs = append(bs, cpuBackend{id: CPU32OpenBLAS, impl: impl})
	}
	return append(bs, cpuBackend{id: CPU64Gonum, f64: true, impl: gonum.Implementation{}})
}

// with runs f with the backend's BLAS installed as gonum's float32 and
// float64 BLAS, and then puts back the ones installed before.
func (c cpuBackend) with(f func() error) error {
	prev32, prev64 := blas32.Implementation(), blas64.Implementation()
	blas32.Use(c.impl)
	blas64.Use(c.impl)
	defer func() {
		blas32.Use(prev32)
		blas64.Use(prev64)
	}()
	return f()
}

// engine returns an empty training backend of the backend's precision.
func (c cpuBackend) engine() *engine.CPU {
	if c.f64 {
		return engine.NewCPU()
	}
	return engine.NewCPU32()
}

// name is the training backend's name under the backend's BLAS, such as
// "cpu float32 (gonum)".
func (c cpuBackend) name() string {
	var n string
	c.with(func() error {
		n = c.engine().Name()
		return nil
	})
	return n
}

// wallTime runs f under the backend's BLAS and returns its wall time.
func (c cpuBackend) wallTime(f func()) (Sample, error) {
	var s Sample
	err := c.with(func() error {
		s = wallTime(f)
		return nil
	})
	return s, err
}

// wallTime runs f and returns its wall time.
func wallTime(f func()) Sample {
	start := time.Now()
	f()
	return Sample{Wall: time.Since(start)}
}

// float is the element type of host matrices.
type float interface{ float32 | float64 }

// uniform returns n values drawn uniformly from [−1, 1).
func uniform[T float](rng *rand.Rand, n int) []T {
	v := make([]T, n)
	for i := range v {
		v[i] = T(2*rng.Float64() - 1)
	}
	return v
}

// labels returns n values drawn from {0, 1}.
func labels[T float](rng *rand.Rand, n int) []T {
	v := make([]T, n)
	for i := range v {
		v[i] = T(rng.IntN(2))
	}
	return v
}
