package bench

import (
	"fmt"
	"time"
)

// Sample is one timed run of a case on one backend.
type Sample struct {
	Wall time.Duration // from the first call through the last wait
	// Kernel is the summed device time of the run's kernel launches, from
	// their profiling events; zero on the CPU.
	Kernel time.Duration
	// Comm is the time spent summing gradients across devices (the
	// opencl-parallel backend).
	Comm time.Duration
}

// contender is one backend's way of running a case.
type contender struct {
	backend string
	run     func() (Sample, error)
}

// plan says how often a case runs: warmup untimed rounds, then up to runs
// timed rounds; once minRuns rounds are done, no round starts after budget
// (zero: no limit) has passed since the first timed round began. In a
// timed round, a contender whose last run took under prime (zero: none)
// first runs untimed until those runs add up to prime, so that it is timed
// warm, as in a loop of its own, and not after the other contenders have
// left its threads asleep: PoCL runs a memory-bound kernel up to 1.35
// times as long right after the host was busy for 200 ms, and one run
// before it does not always make up for that (docs/PERF.md).
type plan struct {
	warmup, runs, minRuns int
	budget, prime         time.Duration
	now                   func() time.Time
}

// outcome is what measure gathered for one contender.
type outcome struct {
	samples []Sample
	err     error // the run that failed; the contender stopped there
}

// measure runs the contenders interleaved: every round runs each of them
// once, in order (A B A B …), so that drift of the machine hits all of
// them alike. A contender whose run fails keeps its error and leaves the
// later rounds.
func measure(cs []contender, p plan) []outcome {
	out := make([]outcome, len(cs))
	last := make([]time.Duration, len(cs)) // each contender's last wall time
	run := func(i int) (Sample, bool) {
		s, err := cs[i].run()
		if err != nil {
			out[i].err = fmt.Errorf("%s: %w", cs[i].backend, err)
			return s, false
		}
		last[i] = s.Wall
		return s, true
	}
	// warm runs contender i untimed until those runs add up to p.prime,
	// when its last run took less; false when a run failed.
	warm := func(i int) bool {
		for primed := time.Duration(0); last[i] < p.prime && primed < p.prime; {
			s, ok := run(i)
			if !ok {
				return false
			}
			primed += max(s.Wall, time.Nanosecond) // a run of no measured time still counts
		}
		return true
	}
	round := func(timed bool) {
		for i := range cs {
			if out[i].err != nil {
				continue
			}
			if timed && !warm(i) {
				continue
			}
			if s, ok := run(i); ok && timed {
				out[i].samples = append(out[i].samples, s)
			}
		}
	}
	for range p.warmup {
		round(false)
	}
	now := p.now
	if now == nil {
		now = time.Now
	}
	start := now()
	for r := range p.runs {
		if r >= p.minRuns && p.budget > 0 && now().Sub(start) >= p.budget {
			break
		}
		round(true)
	}
	return out
}
