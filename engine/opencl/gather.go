package opencl

import (
	"fmt"

	"github.com/cltrain/cltrain/device"
)

// Transpose computes dst = srcᵀ.
func (o *Ops) Transpose(src, dst Mat) error {
	if src.Rows != dst.Cols || src.Cols != dst.Rows {
		return fmt.Errorf("transpose: src %s, dst %s", src, dst)
	}
	k, err := o.kernel("transpose", "transpose", nil, "gather.cl")
	if err != nil {
		return err
	}
	return o.launch(k, []int{src.Cols, src.Rows}, nil, int32(src.Rows), int32(src.Cols), src.Buf, dst.Buf)
}

// GatherColsT copies the examples idx[off], …, idx[off+dst.Cols−1] of srcT,
// the data stored example-major (one row of dst.Rows features per example,
// the transpose of the feature-major data), into the columns of dst. It
// gives what GatherCols gives from the feature-major data, reading only the
// batch's own examples.
func (o *Ops) GatherColsT(srcT Mat, idx *device.Buffer, off int, dst Mat) error {
	if srcT.Cols != dst.Rows || off < 0 || idx.Len() < off+dst.Cols {
		return fmt.Errorf("gather_cols_t: srcT %s, dst %s, indices %d+%d of %d", srcT, dst, off, dst.Cols, idx.Len())
	}
	k, err := o.kernel("gather_cols_t", "gather_cols_t", nil, "gather.cl")
	if err != nil {
		return err
	}
	return o.launch(k, []int{dst.Cols, dst.Rows}, nil, int32(dst.Rows), int32(dst.Cols), idx, int32(off), srcT.Buf, dst.Buf)
}
