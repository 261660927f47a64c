package opencl

import (
	"fmt"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/kernels"
)

// BuildPeak builds kernels/peak.cl for vector width vw (8 or 16): the
// kernels that measure a device's best FMA rate (peak_fma, chains of
// independent FMAs) and its copy bandwidth (peak_copy), for benchmarks
// that rate the other kernels against them. The caller releases the
// program.
func BuildPeak(c *device.Context, vw int) (*device.Program, error) {
	if vw != 8 && vw != 16 {
		return nil, fmt.Errorf("peak vector width %d: want 8 or 16", vw)
	}
	src, err := kernels.Source("peak.cl")
	if err != nil {
		return nil, err
	}
	return c.Build(fmt.Sprintf("peak VW=%d", vw), src, fmt.Sprintf("-cl-fast-relaxed-math -DVW=%d", vw))
}
