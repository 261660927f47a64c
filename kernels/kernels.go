// Package kernels holds cltrain's OpenCL C kernels, embedded in the binary,
// and typed launchers for them over device buffers.
//
// Matrices are row-major and dense: element {i, j} of a Mat is at
// Buf[i*Cols + j].
package kernels

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/cltrain/cltrain/device"
)

//go:embed *.cl
var sources embed.FS

// Source returns the embedded OpenCL C files (such as "gemm.cl") joined in
// order, after the shared helpers of common.cl, as the host builds them.
func Source(files ...string) (string, error) {
	var b strings.Builder
	for _, name := range append([]string{"common.cl"}, files...) {
		body, err := sources.ReadFile(name)
		if err != nil {
			return "", fmt.Errorf("read kernel source %s: %w", name, err)
		}
		b.Write(body)
		b.WriteString("\n")
	}
	return b.String(), nil
}

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

// SourceHash returns a short hash of every embedded kernel source, for
// caches keyed on the code they were built from.
func SourceHash() string {
	h := sha256.New()
	entries, _ := sources.ReadDir(".")
	for _, e := range entries {
		b, _ := sources.ReadFile(e.Name())
		fmt.Fprintf(h, "%s %d\n", e.Name(), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
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
