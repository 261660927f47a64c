package bench

import (
	"fmt"
	"time"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/engine/opencl"
)

// Peak is what the device does at best: the FLOP rate of independent FMA
// chains and the bandwidth of a device-to-device copy.
type Peak struct {
	GFLOPS      float64 `json:"gflops"`       // best FMA rate, 2 flops per lane and step
	VectorWidth int     `json:"vector_width"` // the float vector width that reached it
	CopyGBps    float64 `json:"copy_gbps"`    // bytes read + written per second
	CopyBytes   int64   `json:"copy_bytes"`   // size of the copied buffer
	// Hardware is the host CPU's own FMA peak, outside OpenCL.
	Hardware HardwarePeak `json:"hardware"`
}

// best returns the higher FLOP rate, the higher bandwidth and the higher
// hardware peak of p and q.
func (p Peak) best(q Peak) Peak {
	if q.GFLOPS > p.GFLOPS {
		p.GFLOPS, p.VectorWidth = q.GFLOPS, q.VectorWidth
	}
	p.CopyGBps = max(p.CopyGBps, q.CopyGBps)
	p.Hardware = p.Hardware.best(q.Hardware)
	return p
}

// peakWidths are the vector widths of the FMA chains tried.
var peakWidths = []int{8, 16}

// measurePeak runs kernels/peak.cl: the FMA chains at each of peakWidths,
// then the copy, each the median of o.Runs runs.
func measurePeak(c *device.Context, o *Options) (Peak, error) {
	pk := Peak{CopyBytes: 4 * int64(o.CopyElements)}
	for i, vw := range peakWidths {
		p, err := opencl.BuildPeak(c, vw)
		if err != nil {
			return pk, err
		}
		rate, err := fmaRate(c, p, vw, o)
		if err == nil && i == len(peakWidths)-1 {
			pk.CopyGBps, err = copyRate(c, p, o)
		}
		p.Release()
		if err != nil {
			return pk, err
		}
		if rate > pk.GFLOPS {
			pk.GFLOPS, pk.VectorWidth = rate, vw
		}
	}
	return pk, nil
}

// eventTime launches k and returns its profiled run time.
func eventTime(c *device.Context, k *device.Kernel, global int) (time.Duration, error) {
	ev, err := c.LaunchTimed(k, []int{global}, nil)
	if err != nil {
		return 0, err
	}
	defer ev.Release()
	return ev.Duration()
}

// medianRate runs launch o.Runs times and returns work divided by the
// median time, in units of 1e9 per second.
func medianRate(o *Options, work float64, launch func() (time.Duration, error)) (float64, error) {
	times := make([]float64, 0, o.Runs)
	for range o.Runs {
		d, err := launch()
		if err != nil {
			return 0, err
		}
		times = append(times, d.Seconds())
	}
	return work / Summarize(times).Median / 1e9, nil
}

// fmaRate returns the FMA chains' GFLOP/s at vector width vw, with the
// iteration count doubled until a run takes a quarter of o.PeakTarget and
// then scaled to reach it.
func fmaRate(c *device.Context, p *device.Program, vw int, o *Options) (float64, error) {
	k, err := p.Kernel("peak_fma")
	if err != nil {
		return 0, err
	}
	defer k.Release()
	global := max(c.Device.ComputeUnits, 1) * 1024
	out, err := c.NewBuffer(global)
	if err != nil {
		return 0, err
	}
	defer out.Release()
	run := func(iters int) (time.Duration, error) {
		if err := k.SetArgs(int32(iters), float32(0.999), float32(0.001), out); err != nil {
			return 0, err
		}
		return eventTime(c, k, global)
	}
	iters := 16
	for {
		d, err := run(iters)
		if err != nil {
			return 0, err
		}
		if d >= o.PeakTarget/4 || iters >= 1<<24 {
			if d > 0 {
				iters = max(iters, int(float64(iters)*float64(o.PeakTarget)/float64(d)))
			}
			break
		}
		iters *= 2
	}
	flops := 2 * float64(vw) * 32 * float64(iters) * float64(global) // 32 FMAs per iteration (peak.cl)
	return medianRate(o, flops, func() (time.Duration, error) { return run(iters) })
}

// copyRate returns the copy kernel's GB/s over o.CopyElements floats.
func copyRate(c *device.Context, p *device.Program, o *Options) (float64, error) {
	k, err := p.Kernel("copy4")
	if err != nil {
		return 0, err
	}
	defer k.Release()
	n4 := o.CopyElements / 4
	in, err := c.NewBuffer(4 * n4)
	if err != nil {
		return 0, err
	}
	defer in.Release()
	out, err := c.NewBuffer(4 * n4)
	if err != nil {
		return 0, err
	}
	defer out.Release()
	if err := in.Write(make([]float32, 4*n4)); err != nil {
		return 0, err
	}
	if err := k.SetArgs(int32(n4), in, out); err != nil {
		return 0, err
	}
	if _, err := eventTime(c, k, n4); err != nil { // first touch of the output
		return 0, fmt.Errorf("copy warm-up: %w", err)
	}
	return medianRate(o, 32*float64(n4), func() (time.Duration, error) { return eventTime(c, k, n4) })
}
