package bench

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// recorder makes contenders that log their runs and advance a fake clock.
type recorder struct {
	log   []string
	clock time.Time
	step  time.Duration // clock advance per run
}

func (r *recorder) contender(name string, failOn int) contender {
	calls := 0
	return contender{backend: name, run: func() (Sample, error) {
		calls++
		r.log = append(r.log, name)
		r.clock = r.clock.Add(r.step)
		if calls == failOn {
			return Sample{}, errors.New("device lost")
		}
		return Sample{Wall: time.Duration(calls) * time.Millisecond}, nil
	}}
}

func (r *recorder) now() time.Time { return r.clock }

func TestMeasureInterleaves(t *testing.T) {
	r := &recorder{}
	out := measure([]contender{r.contender("A", 0), r.contender("B", 0), r.contender("C", 0)}, plan{warmup: 1, runs: 3, minRuns: 3})
	if got, want := strings.Join(r.log, " "), "A B C A B C A B C A B C"; got != want {
		t.Errorf("run order %q, want %q", got, want)
	}
	for i, o := range out {
		if o.err != nil || len(o.samples) != 3 {
			t.Fatalf("contender %d: %d samples, error %v; want 3 and none", i, len(o.samples), o.err)
		}
		// The warm-up (call 1) is not kept.
		if o.samples[0].Wall != 2*time.Millisecond || o.samples[2].Wall != 4*time.Millisecond {
			t.Errorf("contender %d kept %v, want the runs after the warm-up", i, o.samples)
		}
	}
}

func TestMeasurePrimesShortRuns(t *testing.T) {
	r := &recorder{}
	long := contender{backend: "L", run: func() (Sample, error) {
		r.log = append(r.log, "L")
		return Sample{Wall: 2 * time.Second}, nil
	}}
	out := measure([]contender{r.contender("A", 0), long}, plan{warmup: 1, runs: 2, minRuns: 2, prime: 5 * time.Millisecond})
	// A's runs are short (run n takes n ms): each timed one follows untimed
	// ones of its own that add up to 5 ms, runs 2 and 3, then run 5.
	if got, want := strings.Join(r.log, " "), "A L A A A L A A L"; got != want {
		t.Errorf("run order %q, want %q", got, want)
	}
	if s := out[0].samples; len(s) != 2 || s[0].Wall != 4*time.Millisecond || s[1].Wall != 6*time.Millisecond {
		t.Errorf("A kept %v, want its 4th and 6th runs", s)
	}
	if len(out[1].samples) != 2 {
		t.Errorf("L kept %d samples, want 2", len(out[1].samples))
	}
}

func TestMeasurePrimingFailure(t *testing.T) {
	r := &recorder{}
	out := measure([]contender{r.contender("A", 2), r.contender("B", 0)}, plan{warmup: 1, runs: 2, minRuns: 2, prime: 5 * time.Millisecond})
	// A fails in its first untimed run and leaves; B goes on, primed.
	if got, want := strings.Join(r.log, " "), "A B A B B B B B"; got != want {
		t.Errorf("run order %q, want %q", got, want)
	}
	if len(out[0].samples) != 0 || out[0].err == nil || !strings.Contains(out[0].err.Error(), "A: device lost") {
		t.Errorf("A: %d samples, error %v; want none and the failure named", len(out[0].samples), out[0].err)
	}
	if len(out[1].samples) != 2 {
		t.Errorf("B: %d samples, want 2", len(out[1].samples))
	}
}

func TestMeasureDropsFailingContender(t *testing.T) {
	r := &recorder{}
	out := measure([]contender{r.contender("A", 0), r.contender("B", 3)}, plan{warmup: 1, runs: 4, minRuns: 4})
	if got, want := strings.Join(r.log, " "), "A B A B A B A A"; got != want {
		t.Errorf("run order %q, want %q", got, want)
	}
	if len(out[0].samples) != 4 || out[0].err != nil {
		t.Errorf("A: %d samples, error %v; want 4 and none", len(out[0].samples), out[0].err)
	}
	if len(out[1].samples) != 1 || out[1].err == nil || !strings.Contains(out[1].err.Error(), "B: device lost") {
		t.Errorf("B: %d samples, error %v; want 1 and the failure named", len(out[1].samples), out[1].err)
	}
}

func TestMeasureBudget(t *testing.T) {
	for _, tc := range []struct {
		name    string
		budget  time.Duration
		minRuns int
		want    int
	}{
		// Two contenders of 6 s: a round takes 12 s.
		{"no budget runs them all", 0, 1, 10},
		{"stops once over budget", 30 * time.Second, 1, 3},
		{"keeps the minimum", 30 * time.Second, 5, 5},
		{"budget shorter than a round", time.Second, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{step: 6 * time.Second}
			out := measure([]contender{r.contender("A", 0), r.contender("B", 0)},
				plan{warmup: 1, runs: 10, minRuns: tc.minRuns, budget: tc.budget, now: r.now})
			if len(out[0].samples) != tc.want || len(out[1].samples) != tc.want {
				t.Errorf("%d and %d timed rounds, want %d", len(out[0].samples), len(out[1].samples), tc.want)
			}
		})
	}
}
