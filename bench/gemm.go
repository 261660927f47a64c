package bench

import (
	"fmt"
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/cltrain/cltrain/bench/clblast"
	"github.com/cltrain/cltrain/cpuref"
	"github.com/cltrain/cltrain/engine/opencl"
)

// gemmCase is C (M×N) = op(A)·op(B) with op(A) M×K and op(B) K×N; A is
// stored K×M when TA, B is stored N×K when TB.
type gemmCase struct {
	TA, TB  bool
	M, N, K int
	What    string // the training product it stands for, or "" for the square sweep
}

// Op names the transposes: NN, NT or TN.
func (g gemmCase) Op() string { return trans(g.TA) + trans(g.TB) }

func trans(t bool) string {
	if t {
		return "T"
	}
	return "N"
}

// dims returns the stored shapes of A and B.
func (g gemmCase) dims() (ar, ac, br, bc int) {
	ar, ac, br, bc = g.M, g.K, g.K, g.N
	if g.TA {
		ar, ac = ac, ar
	}
	if g.TB {
		br, bc = bc, br
	}
	return ar, ac, br, bc
}

func (g gemmCase) spec() caseSpec {
	name := fmt.Sprintf("%s %d×%d×%d", g.Op(), g.M, g.N, g.K)
	if g.What != "" {
		name += " " + g.What
	}
	return caseSpec{group: GroupGemm, name: name, op: g.Op(), shape: []int{g.M, g.N, g.K},
		flops: 2 * float64(g.M) * float64(g.N) * float64(g.K)}
}

// gemmCases returns the square sweep in each transpose, then the hidden
// layer's products of the configurations of o.GemmSteps: W1·X (NN), dZ1·Xᵀ
// (NT) and W2ᵀ·dZ2 (TN).
func gemmCases(o *Options) []gemmCase {
	var cs []gemmCase
	for _, t := range [][2]bool{{false, false}, {false, true}, {true, false}} {
		for _, n := range o.GemmSizes {
			cs = append(cs, gemmCase{TA: t[0], TB: t[1], M: n, N: n, K: n})
		}
	}
	for _, s := range o.GemmSteps {
		cs = append(cs,
			gemmCase{M: s.NH, N: s.M, K: s.NX, What: "W1·X " + s.String()},
			gemmCase{TB: true, M: s.NH, N: s.NX, K: s.M, What: "dZ1·Xᵀ " + s.String()},
			gemmCase{TA: true, M: s.NH, N: s.M, K: 1, What: "W2ᵀ·dZ2 " + s.String()})
	}
	return cs
}

// gemmRun sets up g on the CPU backends and, unless env is nil, on the
// device.
func gemmRun(g gemmCase, cpus []cpuBackend, env *clEnv, rng *rand.Rand) *caseRun {
	c := &caseRun{spec: g.spec()}
	ar, ac, br, bc := g.dims()
	a, b := uniform[float32](rng, ar*ac), uniform[float32](rng, br*bc)
	tA, tB := blasTrans(g.TA), blasTrans(g.TB)
	for _, cpu := range cpus {
		var f func()
		if cpu.f64 {
			a64, b64, c64 := general64(ar, ac, a), general64(br, bc, b), general64(g.M, g.N, nil)
			f = func() { cpuref.Gemm(tA, tB, 1, a64, b64, 0, c64) }
		} else {
			a32, b32, c32 := general32(ar, ac, a), general32(br, bc, b), cpuref.NewGeneral32(g.M, g.N)
			f = func() { cpuref.Gemm32(tA, tB, 1, a32, b32, 0, c32) }
		}
		c.add(cpu.id, func() (Sample, error) { return cpu.wallTime(f) }, nil)
	}
	if env == nil {
		return c
	}
	var da, db, dc opencl.Mat
	err := func() (err error) {
		if da, err = upload(env.ctx, ar, ac, a); err != nil {
			return err
		}
		c.cleanup = append(c.cleanup, func() { da.Release() })
		if db, err = upload(env.ctx, br, bc, b); err != nil {
			return err
		}
		c.cleanup = append(c.cleanup, func() { db.Release() })
		if dc, err = opencl.NewMat(env.ctx, g.M, g.N); err != nil {
			return err
		}
		c.cleanup = append(c.cleanup, func() { dc.Release() })
		return nil
	}()
	c.add(OpenCL, func() (Sample, error) {
		return env.timed(func() error { return env.ops.Gemm(g.TA, g.TB, 1, da, db, 0, dc) })
	}, err)
	if env.blast != nil {
		c.add(CLBlast, func() (Sample, error) { return clblastGemm(env, g, da, db, dc) }, err)
	}
	return c
}

// clblastGemm runs g in CLBlast on the buffers of da, db and dc and returns
// the wall time, from the call through clFinish. It has no kernel time:
// CLBlast may run several kernels per call (copies that pad or transpose
// the operands, then the product) and gives an event for the last only.
func clblastGemm(env *clEnv, g gemmCase, da, db, dc opencl.Mat) (Sample, error) {
	start := time.Now()
	err := env.blast.Sgemm(env.ctx.QueueHandle(), g.TA, g.TB, g.M, g.N, g.K, 1,
		clblast.Matrix{Handle: da.Buf.Handle(), LD: da.Cols}, clblast.Matrix{Handle: db.Buf.Handle(), LD: db.Cols},
		0, clblast.Matrix{Handle: dc.Buf.Handle(), LD: dc.Cols})
	if err != nil {
		return Sample{}, err
	}
	if err := env.ctx.Finish(); err != nil {
		return Sample{}, err
	}
	return Sample{Wall: time.Since(start)}, nil
}

func blasTrans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// general32 returns v (nil: zeros) as a rows×cols blas32.General.
func general32(rows, cols int, v []float32) blas32.General {
	g := cpuref.NewGeneral32(rows, cols)
	copy(g.Data, v)
	return g
}

// general64 returns v (nil: zeros) widened to a rows×cols blas64.General.
func general64(rows, cols int, v []float32) blas64.General {
	g := blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: make([]float64, rows*cols)}
	for i, x := range v {
		g.Data[i] = float64(x)
	}
	return g
}
