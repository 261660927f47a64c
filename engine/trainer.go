package engine

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Config sets up a training run.
type Config struct {
	Iters    int     // parameter updates to run
	LR       float64 // learning rate
	Batch    int     // examples per update; 0 means the whole set
	LogEvery int     // evaluate the cost every this many updates (and at step 0)
	// Shuffle, when Batch is set, returns the example order of each epoch.
	Shuffle func(m int) []int
}

// Validate refuses nonsense values for a set of m examples.
func (c Config) Validate(m int) error {
	switch {
	case c.Iters < 0:
		return fmt.Errorf("iterations %d: must not be negative", c.Iters)
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("learning rate %v: must be positive and finite", c.LR)
	case c.Batch < 0 || c.Batch > m:
		return fmt.Errorf("batch %d: must be between 1 and the %d examples (0 for the whole set)", c.Batch, m)
	case c.LogEvery <= 0:
		return fmt.Errorf("log interval %d: must be positive", c.LogEvery)
	case c.Batch > 0 && c.Batch < m && c.Shuffle == nil:
		return fmt.Errorf("batch %d: mini-batches need a shuffle", c.Batch)
	}
	return nil
}

// Record is the cost and accuracy at one step: at step s < Iters those of
// the forward pass of update s (the parameters before it), at step Iters
// those of the final parameters on the whole set.
type Record struct {
	Step int `json:"step"`
	Eval
}

// Hooks observe a run. Any may be nil.
type Hooks struct {
	Log      func(Record) // each evaluated step, as it happens
	Progress func(done int, loss float64)
}

// Result is the outcome of a run.
type Result struct {
	Records     []Record
	Final       Eval // the final parameters on the whole set
	Steps       int  // updates done
	Params      Params
	Elapsed     time.Duration
	Interrupted bool // the context was cancelled before Iters updates
	// Diverged is set when the cost became NaN or infinite; Params then are
	// the last parameters whose cost was finite, and DivergedAt the step.
	Diverged   bool
	DivergedAt int
}

// chunk bounds the full-batch iterations queued per Backend.Steps call, so
// that an interruption or a progress report waits for at most this many.
const chunk = 100

// Train runs cfg on b, whose data and parameters are loaded. It stops after
// the current update (full-batch runs: the current chunk of at most 100,
// queued together) when ctx is cancelled, and when the cost stops being
// finite, returning the last parameters with a finite cost.
func Train(ctx context.Context, b Backend, m int, cfg Config, hooks Hooks) (Result, error) {
	if err := cfg.Validate(m); err != nil {
		return Result{}, err
	}
	batch := cfg.Batch
	if batch == 0 {
		batch = m
	}
	var res Result
	var good, candidate Params
	loss := math.NaN()
	start := time.Now()
	// snapshot keeps the parameters before an evaluated step; evaluated
	// promotes them to the last good ones when the step's cost is finite, and
	// reports whether training goes on.
	snapshot := func(s int) error {
		p, err := b.Params()
		if err != nil {
			return fmt.Errorf("step %d: %w", s, err)
		}
		candidate = p
		return nil
	}
	evaluated := func(s int, e Eval) bool {
		if !finite(e.Cost) {
			res.Diverged, res.DivergedAt, res.Params = true, s, good
			res.Steps, res.Elapsed = s, time.Since(start)
			return false
		}
		good = candidate
		r := Record{Step: s, Eval: e}
		res.Records = append(res.Records, r)
		loss = e.Cost
		if hooks.Log != nil {
			hooks.Log(r)
		}
		return true
	}
	perEpoch := (m + batch - 1) / batch
	for s := 0; s < cfg.Iters; {
		if ctx.Err() != nil {
			res.Interrupted = true
			break
		}
		eval := s%cfg.LogEvery == 0
		if eval {
			if err := snapshot(s); err != nil {
				return res, err
			}
		}
		next := s + 1
		var evals []Eval
		var err error
		if batch == m {
			// Run to the next evaluated step, at most a chunk.
			next = min(s+chunk, cfg.Iters, (s/cfg.LogEvery+1)*cfg.LogEvery)
			evals, err = b.Steps(s, next-s, cfg.LR, cfg.LogEvery)
		} else {
			k := s % perEpoch
			if k == 0 {
				if err := b.Shuffle(cfg.Shuffle(m)); err != nil {
					return res, fmt.Errorf("step %d: %w", s, err)
				}
			}
			var e Eval
			e, err = b.Step(Batch{Offset: k * batch, Size: min(batch, m-k*batch)}, cfg.LR, eval)
			if eval {
				evals = []Eval{e}
			}
		}
		if err != nil {
			return res, fmt.Errorf("step %d: %w", s, err)
		}
		if eval {
			if len(evals) != 1 {
				return res, fmt.Errorf("step %d: the backend returned %d evaluations, want 1", s, len(evals))
			}
			if !evaluated(s, evals[0]) {
				return res, nil
			}
		}
		s = next
		res.Steps = s
		if hooks.Progress != nil {
			hooks.Progress(res.Steps, loss)
		}
	}
	final, err := b.Evaluate()
	if err != nil {
		return res, fmt.Errorf("final evaluation: %w", err)
	}
	res.Elapsed = time.Since(start)
	if !finite(final.Cost) {
		res.Diverged, res.DivergedAt, res.Params = true, res.Steps, good
		return res, nil
	}
	res.Final = final
	r := Record{Step: res.Steps, Eval: final}
	res.Records = append(res.Records, r)
	if hooks.Log != nil {
		hooks.Log(r)
	}
	if res.Params, err = b.Params(); err != nil {
		return res, fmt.Errorf("read parameters: %w", err)
	}
	return res, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
