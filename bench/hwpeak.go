package bench

import (
	"runtime"
	"sync"
	"time"
)

// HardwarePeak is the host CPU's float32 FMA peak, measured in Go assembly
// (hwpeak_amd64.s): independent VFMADD231PS chains on the widest vector
// registers the CPU has, one thread per logical CPU, each locked to its OS
// thread, their rates summed. It is what the CPU's FMA units do at best,
// the ceiling for any float32 GEMM on it (2 flops per lane and FMA).
type HardwarePeak struct {
	GFLOPS  float64 `json:"gflops"`  // 0: unknown (not amd64, or no AVX2/FMA)
	ISA     string  `json:"isa"`     // the instruction and registers, e.g. "AVX-512 VFMADD231PS on ZMM"
	Threads int     `json:"threads"` // threads run at once, one per logical CPU
}

// hardwarePeakRuns is how many times a Run measures the hardware peak, at
// its start and again at its end, keeping the best: other work on the
// machine only ever lowers it.
const hardwarePeakRuns = 3

// best returns the higher of the two peaks.
func (h HardwarePeak) best(o HardwarePeak) HardwarePeak {
	if o.GFLOPS > h.GFLOPS {
		return o
	}
	return h
}

// measureHardwarePeak times the FMA loop on every logical CPU at once for
// about target per run and returns the best of runs runs; the zero
// HardwarePeak where there is no loop for this CPU.
func measureHardwarePeak(target time.Duration, runs int) HardwarePeak {
	loop, perIter, isa := fmaLoop()
	if loop == nil {
		return HardwarePeak{}
	}
	iters := calibrate(loop, target)
	threads := runtime.NumCPU()
	h := HardwarePeak{ISA: isa, Threads: threads}
	for range max(runs, 1) {
		h.GFLOPS = max(h.GFLOPS, allThreads(loop, iters, threads)*perIter/1e9)
	}
	return h
}

// calibrate returns the iteration count of loop that takes about target on
// one thread: doubled from 2¹² until a run takes a quarter of it, then
// scaled.
func calibrate(loop func(int64), target time.Duration) int64 {
	iters := int64(1 << 12)
	for {
		start := time.Now()
		loop(iters)
		d := time.Since(start)
		if d >= target/4 || iters >= 1<<40 {
			if d > 0 {
				iters = max(iters, int64(float64(iters)*float64(target)/float64(d)))
			}
			return iters
		}
		iters *= 2
	}
}

// allThreads runs loop(iters) on threads goroutines at once, each locked to
// its own OS thread and started together, and returns the sum of their
// rates in iterations per second.
func allThreads(loop func(int64), iters int64, threads int) float64 {
	var (
		ready, done sync.WaitGroup
		start       = make(chan struct{})
		rates       = make([]float64, threads)
	)
	ready.Add(threads)
	done.Add(threads)
	for i := range threads {
		go func() {
			defer done.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			ready.Done()
			<-start
			t := time.Now()
			loop(iters)
			rates[i] = float64(iters) / time.Since(t).Seconds()
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	var sum float64
	for _, r := range rates {
		sum += r
	}
	return sum
}
