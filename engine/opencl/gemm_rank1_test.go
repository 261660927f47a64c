package opencl

import "testing"

// TestPlanRank1 checks how gemm_rank1's work is cut: runs of at most 4096
// columns, about 64 KiB of C per work-item, and fewer rows per work-item
// while that leaves under 8 work-items per compute unit.
func TestPlanRank1(t *testing.T) {
	for _, c := range []struct {
		m, n, units int
		rows, cols  int
	}{
		{256, 8192, 2, 4, 4096},  // W2ᵀ·dZ2 of 784-256-8192: 128 work-items
		{4096, 4096, 2, 4, 4096}, // 1024 work-items
		{4100, 3, 2, 256, 3},     // narrow rows: 64 KiB would be one work-item, 17 kept
		{4100, 3, 80, 4, 3},      // 1025 work-items for 80 units
		{4, 400, 2, 1, 400},      // the flower's 4 rows, one each
		{1, 1, 2, 1, 1},          // one element
		{300, 3500, 2, 4, 3500},  // 75 work-items
		{300, 3500, 80, 1, 3500}, // 8 per unit wants 640: one row each is all there is
		{7, 100003, 2, 4, 4096},  // long rows cut into runs of 4096
	} {
		rows, cols := planRank1(c.m, c.n, c.units)
		if rows != c.rows || cols != c.cols {
			t.Errorf("planRank1(%d, %d, %d) = %d rows × %d cols, want %d × %d", c.m, c.n, c.units, rows, cols, c.rows, c.cols)
		}
	}
}
