package opencl

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// KernelStat is the device time of one kernel's launches, summed.
type KernelStat struct {
	Kernel   string        // the kernel's name in its program
	Launches int           // launches recorded
	Time     time.Duration // their summed run time on the device
}

// KernelTimes returns, per kernel, the launches recorded since the last
// DropEvents (which must have finished) and their summed run time, the
// longest first (ties by name), and drops them. Launches are grouped by
// the kernel's name, so the variants of a kernel built with other defines
// (the GEMM's epilogues, transposes and blockings) count as one.
func (o *Ops) KernelTimes() ([]KernelStat, error) {
	defer o.DropEvents()
	byName := map[string]*KernelStat{}
	var out []*KernelStat
	for _, l := range o.events {
		d, err := l.Event.Duration()
		if err != nil {
			return nil, fmt.Errorf("kernel %s: %w", l.Kernel, err)
		}
		s := byName[l.Kernel]
		if s == nil {
			s = &KernelStat{Kernel: l.Kernel}
			byName[l.Kernel] = s
			out = append(out, s)
		}
		s.Launches++
		s.Time += d
	}
	stats := make([]KernelStat, len(out))
	for i, s := range out {
		stats[i] = *s
	}
	slices.SortFunc(stats, func(a, b KernelStat) int {
		if c := cmp.Compare(b.Time, a.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.Kernel, b.Kernel)
	})
	return stats, nil
}

// KernelTimes returns the per-kernel device time of the launches since
// profiling was turned on or the kernel times were last taken (KernelTime
// or KernelTimes), waiting for them, and forgets them (Ops.KernelTimes).
func (o *Backend) KernelTimes() ([]KernelStat, error) {
	if err := o.Sync(); err != nil {
		return nil, err
	}
	return o.ops.KernelTimes()
}
