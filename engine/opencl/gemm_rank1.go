package opencl

import (
	"fmt"

	"github.com/cltrain/cltrain/device"
)

// rank1Bytes is about how much of C one work-item of gemm_rank1 writes:
// enough that PoCL's cost of starting a work-group is small beside it.
const rank1Bytes = 64 << 10

// useRank1 reports whether the CPU device runs a product with inner size
// k in the rank-one form (kernels/gemm_rank1.cl): K = 1, without row sums
// (GemmUpdate's bias step, which the form does not compute).
func useRank1(k int, rowsums bool) bool { return k == 1 && !rowsums }

// planRank1 returns the rows and columns of C one work-item of gemm_rank1
// writes for an m×n product on a device of units compute units: whole rows
// up to 4096 columns (else runs of 4096), as many rows as make about
// rank1Bytes, fewer while that leaves under 8 work-items per unit.
func planRank1(m, n, units int) (rows, cols int) {
	cols = min(n, 4096)
	rows = max(1, min(m, rank1Bytes/4/cols))
	for rows > 1 && ceilDiv(m, rows)*ceilDiv(n, cols) < 8*max(units, 1) {
		rows /= 2
	}
	return rows, cols
}

// gemmRank1 runs g, an m×n product with K = 1 (useRank1), as gemm_rank1,
// with bias and aux the epilogue's buffers.
func (o *Ops) gemmRank1(g gemmCall, m, n int, bias, aux *device.Buffer) error {
	defs := map[string]int{"EPILOGUE": int(g.ep)}
	kern, err := o.kernel("gemm_rank1 "+Defines(defs), "gemm_rank1", defs, "epilogue.cl", "gemm_rank1.cl")
	if err != nil {
		return err
	}
	rows, cols := planRank1(m, n, o.c.Device.ComputeUnits)
	global := []int{ceilDiv(n, cols), ceilDiv(m, rows)}
	if err := o.launch(kern, global, []int{1, 1}, int32(m), int32(n), int32(rows), int32(cols), g.alpha, g.a.Buf, g.b.Buf, g.beta, g.c.Buf, bias, aux); err != nil {
		return fmt.Errorf("gemm: %w", err)
	}
	return nil
}
