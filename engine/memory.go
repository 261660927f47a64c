package engine

import (
	"fmt"
	"math"

	"github.com/cltrain/cltrain/device"
)

// footprint is what a run holds in memory, in bytes, estimated from the
// layer sizes and the number of examples before anything is allocated.
// Sizes that overflow an int64 come back as math.MaxInt64.
type footprint struct {
	// Host is the float64 memory of the host side: the data, the
	// parameters with the copies training keeps (the initial ones, the last
	// good ones, the latest snapshot), and for the CPU backend the gradients
	// and the activations of every layer.
	Host int64
	// Device is the float32 memory of the OpenCL backend: the data, the
	// parameters and their gradients, and the activations and their
	// gradients of every layer.
	Device int64
	// Largest is the largest single device buffer.
	Largest int64
}

// estimate returns the footprint of training a network of the given layer
// sizes on m examples with the given backend kind: cpu true for the CPU
// backend (everything on the host), false for OpenCL; labels is the rows of
// Y (1, or K for a softmax output) and slots the optimizer's tensors per
// parameter.
func estimate(sizes []int, m int, cpu bool, labels, slots int) footprint {
	var params, units, largest float64
	for l := 1; l < len(sizes); l++ {
		w := float64(sizes[l]) * float64(sizes[l-1])
		params += w + float64(sizes[l])
		units += float64(sizes[l])
		largest = math.Max(largest, math.Max(w, float64(sizes[l])*float64(m)))
	}
	data := (float64(sizes[0]) + float64(labels)) * float64(m)
	largest = math.Max(largest, float64(sizes[0])*float64(m))
	activations := units * float64(m)
	state := float64(slots) * params
	host := 8 * (data + 3*(params+state))
	if cpu {
		host += 8 * (params + 3*activations)
	}
	return footprint{
		Host:    bytes(host),
		Device:  bytes(4 * (data + 2*params + state + 2*activations)),
		Largest: bytes(4 * largest),
	}
}

func bytes(v float64) int64 {
	if v >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// formatBytes writes n bytes for people: 512 B, 3.2 KiB, 1.5 GiB, 16.0 TiB.
func formatBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v, u := float64(n), 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	if u == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f %s", v, units[u])
}

// CheckFits refuses, before anything is allocated, a run of the model on
// the given number of examples that the host (hostBytes of memory; 0 when
// unknown) or the OpenCL device (nil for the CPU backend) cannot hold, with
// one line naming the sizes.
func (m Model) CheckFits(examples int, hostBytes int64, dev *device.Info) error {
	labels := 1
	if m.Output == Softmax {
		labels = m.Classes()
	}
	fp := estimate(m.Sizes, examples, dev == nil, labels, m.Optimizer.Slots())
	if hostBytes > 0 && fp.Host > hostBytes {
		return fmt.Errorf("the network %s on %d examples needs %s of host memory; this machine has %s", m, examples, formatBytes(fp.Host), formatBytes(hostBytes))
	}
	if dev == nil {
		return nil
	}
	if fp.Device > dev.GlobalMemBytes {
		return fmt.Errorf("the network %s on %d examples needs %s on %s, which has %s", m, examples, formatBytes(fp.Device), dev.Name, formatBytes(dev.GlobalMemBytes))
	}
	if fp.Largest > dev.MaxAllocBytes {
		return fmt.Errorf("the network %s on %d examples needs a buffer of %s on %s, whose largest is %s", m, examples, formatBytes(fp.Largest), dev.Name, formatBytes(dev.MaxAllocBytes))
	}
	return nil
}
