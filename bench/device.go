package bench

import (
	"errors"
	"time"

	"github.com/cltrain/cltrain/bench/clblast"
	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/engine/opencl"
)

// clEnv is the OpenCL side of the GEMM and elementwise cases: one context
// with cltrain's kernels, profiled and with the device's stored GEMM tuning
// as training uses them, and CLBlast on the same queue when it loaded.
type clEnv struct {
	ctx     *device.Context
	ops     *opencl.Ops
	classes int              // GEMM shape classes the stored tuning covers
	blast   *clblast.Library // nil when absent
}

// newCLEnv opens a context on o.Device and loads the GEMM tuning and
// CLBlast; what does not load is said in the notes, it is no error.
func newCLEnv(o *Options) (env *clEnv, notes []string, err error) {
	ctx, err := device.NewContext(o.Device, device.Profiled)
	if err != nil {
		return nil, nil, err
	}
	ops, err := opencl.NewOps(ctx, o.Gemm)
	if err != nil {
		ctx.Close()
		return nil, nil, err
	}
	ops.Profile(true)
	env = &clEnv{ctx: ctx, ops: ops}
	if t, err := opencl.LoadTuning(o.Device); err != nil {
		notes = append(notes, "GEMM tuning not used: "+err.Error())
	} else {
		ops.SetTuning(t)
		env.classes = len(t)
	}
	switch lib := o.CLBlastLibrary; lib {
	case "none":
		notes = append(notes, "CLBlast left out (asked)")
	default:
		if env.blast, err = clblast.Load(lib); err != nil {
			notes = append(notes, "CLBlast left out: "+err.Error())
		}
	}
	return env, notes, nil
}

// close releases the kernels and the context.
func (e *clEnv) close() error {
	return errors.Join(e.ops.Release(), e.ctx.Close())
}

// timed runs enqueue, waits for the queue, and returns the wall time and
// the summed time of the kernels ops recorded meanwhile.
func (e *clEnv) timed(enqueue func() error) (Sample, error) {
	e.ops.DropEvents()
	start := time.Now()
	if err := enqueue(); err != nil {
		return Sample{}, err
	}
	if err := e.ctx.Finish(); err != nil {
		return Sample{}, err
	}
	wall := time.Since(start)
	k, err := e.ops.KernelTime()
	return Sample{Wall: wall, Kernel: k}, err
}

// upload returns a rows×cols device matrix holding v.
func upload(c *device.Context, rows, cols int, v []float32) (opencl.Mat, error) {
	m, err := opencl.NewMat(c, rows, cols)
	if err != nil {
		return m, err
	}
	if err := m.Buf.Write(v); err != nil {
		m.Release()
		return m, err
	}
	return m, nil
}
