package opencl

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cltrain/cltrain/device"
)

// Defines renders compile-time parameters as OpenCL build options
// ("-DTM=32 -DTN=32 …"), sorted by name so equal maps give equal options.
func Defines(params map[string]int) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, " -D%s=%d", k, params[k])
	}
	return strings.TrimSpace(b.String())
}

// Mat is a dense row-major float32 matrix in a device buffer.
type Mat struct {
	Buf        *device.Buffer
	Rows, Cols int
}

// NewMat allocates a rows×cols matrix on c.
func NewMat(c *device.Context, rows, cols int) (Mat, error) {
	if rows <= 0 || cols <= 0 {
		return Mat{}, fmt.Errorf("matrix %d×%d: sizes must be positive", rows, cols)
	}
	b, err := c.NewBuffer(rows * cols)
	if err != nil {
		return Mat{}, fmt.Errorf("matrix %d×%d: %w", rows, cols, err)
	}
	return Mat{Buf: b, Rows: rows, Cols: cols}, nil
}

// Len returns Rows·Cols.
func (m Mat) Len() int { return m.Rows * m.Cols }

// Release frees the matrix's buffer.
func (m Mat) Release() error { return m.Buf.Release() }

func (m Mat) String() string { return fmt.Sprintf("%d×%d", m.Rows, m.Cols) }
