//go:build !linux

package openblas

import (
	"fmt"
	"runtime"
)

// Load reports that OpenBLAS is not loaded on this operating system; the
// error wraps ErrUnavailable.
func Load() (*Implementation, error) {
	return nil, fmt.Errorf("%w: loading OpenBLAS is not supported on %s, use gonum's blas instead",
		ErrUnavailable, runtime.GOOS)
}
