package engine

import (
	"fmt"
	"math"
)

// Footprint is what a run holds in memory, in bytes, estimated from the
// layer sizes and the number of examples before anything is allocated.
// Sizes that overflow an int64 come back as math.MaxInt64.
type Footprint struct {
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

// Estimate returns the footprint of training a network of the given layer
// sizes on m examples with the given backend kind: cpu true for the CPU
// backend (everything on the host), false for OpenCL.
func Estimate(sizes []int, m int, cpu bool) Footprint {
	var params, units, largest float64
	for l := 1; l < len(sizes); l++ {
		w := float64(sizes[l]) * float64(sizes[l-1])
		params += w + float64(sizes[l])
		units += float64(sizes[l])
		largest = math.Max(largest, math.Max(w, float64(sizes[l])*float64(m)))
	}
	data := (float64(sizes[0]) + 1) * float64(m)
	largest = math.Max(largest, float64(sizes[0])*float64(m))
	activations := units * float64(m)
	host := 8 * (data + 3*params)
	if cpu {
		host += 8 * (params + 3*activations)
	}
	return Footprint{
		Host:    bytes(host),
		Device:  bytes(4 * (data + 2*params + 2*activations)),
		Largest: bytes(4 * largest),
	}
}

func bytes(v float64) int64 {
	if v >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// FormatBytes writes n bytes for people: 512 B, 3.2 KiB, 1.5 GiB, 16.0 TiB.
func FormatBytes(n int64) string {
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
