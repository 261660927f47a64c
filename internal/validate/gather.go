package validate

import (
	"fmt"
	"math/rand/v2"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/engine/opencl"
)

// gatherTCases checks the mini-batch path's kernels on rows×cols data
// (features × examples): transpose, into the example-major copy, and
// gather_cols_t, which gathers a batch out of that copy; both copies, so
// exact.
func gatherTCases(rows, cols int) []Case {
	shape := fmt.Sprintf("%d×%d", rows, cols)
	transpose := Case{Kernel: "transpose", Shape: shape, Tol: 0, run: func(o *opencl.Ops, rng *rand.Rand) ([]float64, []float64, error) {
		src := randn(rng, rows*cols, 1)
		want := make([]float64, rows*cols)
		for i := range rows {
			for j := range cols {
				want[j*rows+i] = float64(src[i*cols+j])
			}
		}
		got, err := onDevice(o, [][]float32{src, nan(rows * cols)}, 1, func(bufs []*device.Buffer) error {
			return o.Transpose(opencl.Mat{Buf: bufs[0], Rows: rows, Cols: cols}, opencl.Mat{Buf: bufs[1], Rows: cols, Cols: rows})
		})
		return got, want, err
	}}
	return []Case{transpose, gatherCase(rows, cols, true)}
}

// gatherCase checks gather_cols, or with exampleMajor gather_cols_t, on
// rows×cols data (features × examples): it gathers cols−1 examples of a
// permutation from an offset of 1 into a rows×(cols−1) batch, from the
// data as it is or from its example-major copy (cols×rows); a copy, so
// exact.
func gatherCase(rows, cols int, exampleMajor bool) Case {
	name := "gather_cols"
	if exampleMajor {
		name = "gather_cols_t"
	}
	return Case{Kernel: name, Shape: fmt.Sprintf("%d×%d", rows, cols), Tol: 0, run: func(o *opencl.Ops, rng *rand.Rand) ([]float64, []float64, error) {
		src := randn(rng, rows*cols, 1)
		at := func(i, j int) float32 { return src[i*cols+j] } // feature i of example j
		if exampleMajor {
			at = func(i, j int) float32 { return src[j*rows+i] }
		}
		perm := rng.Perm(cols)
		idx := make([]int32, cols)
		for j, p := range perm {
			idx[j] = int32(p)
		}
		out := max(cols-1, 1)
		off := cols - out
		want := make([]float64, rows*out)
		for j := range out {
			for i := range rows {
				want[i*out+j] = float64(at(i, perm[off+j]))
			}
		}
		ib, err := o.Context().NewBuffer(cols)
		if err != nil {
			return nil, nil, err
		}
		defer ib.Release()
		if err := ib.WriteInt32(idx); err != nil {
			return nil, nil, err
		}
		got, err := onDevice(o, [][]float32{src, nan(rows * out)}, 1, func(bufs []*device.Buffer) error {
			batch := opencl.Mat{Buf: bufs[1], Rows: rows, Cols: out}
			if exampleMajor {
				return o.GatherColsT(opencl.Mat{Buf: bufs[0], Rows: cols, Cols: rows}, ib, off, batch)
			}
			return o.GatherCols(opencl.Mat{Buf: bufs[0], Rows: rows, Cols: cols}, ib, off, batch)
		})
		return got, want, err
	}}
}
