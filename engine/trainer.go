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

// Train runs cfg on b, whose data and parameters are loaded. It stops after
// the current update when ctx is cancelled, and at once when the cost stops
// being finite, returning the last parameters with a finite cost.
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
	perEpoch := (m + batch - 1) / batch
	for s := 0; s < cfg.Iters; s++ {
		if ctx.Err() != nil {
			res.Interrupted = true
			break
		}
		k := s % perEpoch
		if k == 0 && batch < m {
			if err := b.Shuffle(cfg.Shuffle(m)); err != nil {
				return res, fmt.Errorf("step %d: %w", s, err)
			}
		}
		eval := s%cfg.LogEvery == 0
		if eval {
			p, err := b.Params()
			if err != nil {
				return res, fmt.Errorf("step %d: %w", s, err)
			}
			candidate = p
		}
		e, err := b.Step(Batch{Offset: k * batch, Size: min(batch, m-k*batch)}, cfg.LR, eval)
		if err != nil {
			return res, fmt.Errorf("step %d: %w", s, err)
		}
		if eval {
			if !finite(e.Cost) {
				res.Diverged, res.DivergedAt, res.Params = true, s, good
				res.Steps, res.Elapsed = s, time.Since(start)
				return res, nil
			}
			good = candidate
			r := Record{Step: s, Eval: e}
			res.Records = append(res.Records, r)
			loss = e.Cost
			if hooks.Log != nil {
				hooks.Log(r)
			}
		}
		res.Steps = s + 1
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
