package engine

import (
	"context"
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/mat"
)

// Config sets up a training run.
type Config struct {
	Iters    int     // parameter updates to run
	LR       float64 // learning rate
	Batch    int     // examples per update; 0 means the whole set
	LogEvery int     // evaluate the cost every this many updates (and at step 0)
	// Shuffle, when Batch is set, returns the example order of each epoch.
	Shuffle func(m int) []int
	// Val, when set, scores the parameters of every evaluated step on
	// held-out examples (Holdout makes one); the records carry its answer.
	Val func(Params) (Eval, error)
	// EarlyStop, when positive, stops the run after this many evaluated
	// steps in a row without a held-out cost below the best so far, and the
	// run returns the best parameters. It needs Val.
	EarlyStop int
}

// ConfigError is Config.Validate's error: the field at fault (as named in
// Config), its value and what is wrong with it, so that a command can name
// its own flag.
type ConfigError struct {
	Field  string // Iters, LR, Batch, LogEvery, Shuffle or EarlyStop
	Value  any
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s %v: %s", e.Field, e.Value, e.Reason)
}

// Validate refuses nonsense values for a set of m examples; m ≤ 0 leaves
// out the checks that need the data.
func (c Config) Validate(m int) error {
	bad := func(field string, v any, reason string) error { return &ConfigError{field, v, reason} }
	switch {
	case c.Iters < 0:
		return bad("Iters", c.Iters, "must not be negative")
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return bad("LR", c.LR, "must be positive and finite")
	case c.Batch < 0:
		return bad("Batch", c.Batch, "must be positive (or 0 for the whole set)")
	case c.LogEvery <= 0:
		return bad("LogEvery", c.LogEvery, "must be positive")
	case m > 0 && c.Batch > m:
		return bad("Batch", c.Batch, fmt.Sprintf("the data has only %d examples", m))
	case m > 0 && c.Batch > 0 && c.Batch < m && c.Shuffle == nil:
		return bad("Batch", c.Batch, "mini-batches need a Shuffle")
	case c.EarlyStop < 0:
		return bad("EarlyStop", c.EarlyStop, "must not be negative")
	case c.EarlyStop > 0 && c.Val == nil:
		return bad("EarlyStop", c.EarlyStop, "early stopping needs held-out data (Val)")
	}
	return nil
}

// Record is the cost and accuracy at one step: at step s < Iters those of
// the forward pass of update s (the parameters before it), at step Iters
// those of the final parameters on the whole set.
type Record struct {
	Step int `json:"step"`
	Eval
	// ValCost and ValAccuracy are the same parameters' score on the
	// held-out examples (Config.Val), without the L2 penalty; nil without.
	ValCost     *float64 `json:"val_loss,omitempty"`
	ValAccuracy *float64 `json:"val_accuracy,omitempty"`
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
	Elapsed     time.Duration // the training, from the first step to the final parameters
	Setup       time.Duration // Fit's preparation of the backend before the first step
	Interrupted bool          // the context was cancelled before Iters updates
	// Diverged is set when the cost became NaN or infinite, or grew a
	// thousandfold over the first evaluated cost; Params then are the last
	// parameters whose cost was good, DivergedAt the step and DivergedCost
	// the cost there.
	Diverged     bool
	DivergedAt   int
	DivergedCost float64
	// Best is the record of the lowest held-out cost when Config.Val was
	// set (nil otherwise); with Config.EarlyStop, Params and Final are
	// those of Best. StoppedEarly is set when EarlyStop ended the run.
	Best         *Record
	StoppedEarly bool
}

// chunkTime is the work Train queues on a backend before it waits for it
// (Backend.Sync), judged by how long the steps before took: an
// interruption, a progress report or a log line waits for at most about
// this long, or for the current step when one step takes longer.
const chunkTime = 50 * time.Millisecond

// divergeFactor makes a finite but absurd cost count as divergence: a cost
// above divergeFactor times the first evaluated one (or ln 2, the cost of
// predicting ½ everywhere, when that is larger) means the parameters have
// blown up, as they do with a learning rate far too large.
const divergeFactor = 1000

// Train runs cfg on b, whose data and parameters are loaded. Steps run in
// chunks sized to take about 50 ms each, and Train waits for each chunk
// before it queues the next; it stops after the current chunk when ctx is
// cancelled, and when the cost stops being finite or grows a thousandfold
// over the first one (Result.Diverged), returning the last parameters whose
// cost was good. When the backend fails, the error names the step, and
// Result.Params holds the parameters before the last evaluated step (none
// when no step was evaluated yet).
func Train(ctx context.Context, b Backend, m int, cfg Config, hooks Hooks) (Result, error) {
	if err := cfg.Validate(m); err != nil {
		return Result{}, err
	}
	batch := cfg.Batch
	if batch == 0 {
		batch = m
	}
	var res Result
	var good, candidate, best Params
	sinceBest := 0
	loss := math.NaN()
	limit := math.Inf(1) // set by the first evaluation
	start := time.Now()
	// snapshot keeps the parameters before an evaluated step; evaluated
	// promotes them to the last good ones when the step's cost is good, and
	// reports whether training goes on.
	snapshot := func(s int) error {
		p, err := b.Params()
		if err != nil {
			return fmt.Errorf("step %d: %w", s, err)
		}
		candidate = p
		return nil
	}
	diverged := func(s int, cost float64) {
		res.Diverged, res.DivergedAt, res.DivergedCost, res.Params = true, s, cost, good
		res.Steps, res.Elapsed = s, time.Since(start)
	}
	// evaluated takes the evaluation e of step s, whose parameters the
	// last snapshot holds, and reports whether training goes on.
	evaluated := func(s int, e Eval) (bool, error) {
		if !finite(e.Cost) || e.Cost > limit {
			diverged(s, e.Cost)
			return false, nil
		}
		if len(res.Records) == 0 {
			limit = divergeFactor * max(e.Cost, math.Ln2)
		}
		good = candidate
		r := Record{Step: s, Eval: e}
		more := true
		if cfg.Val != nil {
			v, err := cfg.Val(candidate)
			if err != nil {
				return false, fmt.Errorf("step %d: held-out evaluation: %w", s, err)
			}
			r.ValCost, r.ValAccuracy = &v.Cost, &v.Accuracy
			if res.Best == nil || v.Cost < *res.Best.ValCost {
				rb := r
				res.Best, best, sinceBest = &rb, candidate, 0
			} else {
				sinceBest++
				more = cfg.EarlyStop == 0 || sinceBest < cfg.EarlyStop
			}
		}
		res.Records = append(res.Records, r)
		loss = e.Cost
		if hooks.Log != nil {
			hooks.Log(r)
		}
		if !more {
			res.StoppedEarly, res.Steps, res.Elapsed = true, s, time.Since(start)
			res.Params, res.Final = best, res.Best.Eval
		}
		return more, nil
	}
	// step runs update s on its own (mini-batches) and reports whether
	// training goes on.
	perEpoch := (m + batch - 1) / batch
	step := func(s int) (bool, error) {
		k := s % perEpoch
		if k == 0 {
			if err := b.Shuffle(cfg.Shuffle(m)); err != nil {
				return false, fmt.Errorf("step %d: %w", s, err)
			}
		}
		eval := s%cfg.LogEvery == 0
		if eval {
			if err := snapshot(s); err != nil {
				return false, err
			}
		}
		e, err := b.Step(Batch{Offset: k * batch, Size: min(batch, m-k*batch)}, cfg.LR, eval)
		if err != nil {
			return false, fmt.Errorf("step %d: %w", s, err)
		}
		if !eval {
			return true, nil
		}
		return evaluated(s, e)
	}
	// steps runs the full-batch updates s … end−1, of which only s may be
	// evaluated, and reports whether training goes on.
	steps := func(s, end int) (bool, error) {
		eval := s%cfg.LogEvery == 0
		if eval {
			if err := snapshot(s); err != nil {
				return false, err
			}
		}
		evals, err := b.Steps(s, end-s, cfg.LR, cfg.LogEvery)
		if err != nil {
			return false, fmt.Errorf("step %d: %w", s, err)
		}
		if !eval {
			return true, nil
		}
		if len(evals) != 1 {
			return false, fmt.Errorf("step %d: the backend returned %d evaluations, want 1", s, len(evals))
		}
		return evaluated(s, evals[0])
	}

	// failed returns err with the last good parameters, those before the
	// last evaluated step, for a caller that saves what it can.
	failed := func(err error) (Result, error) {
		res.Params = good
		return res, err
	}
	n := 1 // updates per chunk, adapted to take about chunkTime
	for s := 0; s < cfg.Iters; {
		if ctx.Err() != nil {
			res.Interrupted = true
			break
		}
		t0 := time.Now()
		first, end := s, min(s+n, cfg.Iters)
		if batch == m {
			// Full-batch chunks end before the next evaluated step.
			end = min(end, (s/cfg.LogEvery+1)*cfg.LogEvery)
			more, err := steps(s, end)
			if err != nil {
				return failed(err)
			}
			if !more {
				return res, nil
			}
			s = end
		} else {
			for ; s < end && (s == first || ctx.Err() == nil); s++ {
				more, err := step(s)
				if err != nil {
					return failed(err)
				}
				if !more {
					return res, nil
				}
			}
		}
		if err := b.Sync(); err != nil {
			return failed(fmt.Errorf("step %d: %w", s, err))
		}
		res.Steps = s
		if hooks.Progress != nil {
			hooks.Progress(res.Steps, loss)
		}
		perStep := time.Since(t0) / time.Duration(s-first)
		n = max(1, min(2*n, int(chunkTime/max(perStep, time.Nanosecond))))
	}
	final, err := b.Evaluate()
	if err != nil {
		return failed(fmt.Errorf("final evaluation: %w", err))
	}
	res.Elapsed = time.Since(start)
	if !finite(final.Cost) || final.Cost > limit {
		diverged(res.Steps, final.Cost)
		return res, nil
	}
	res.Final = final
	r := Record{Step: res.Steps, Eval: final}
	if res.Params, err = b.Params(); err != nil {
		return failed(fmt.Errorf("read parameters: %w", err))
	}
	if cfg.Val != nil {
		v, err := cfg.Val(res.Params)
		if err != nil {
			return failed(fmt.Errorf("final held-out evaluation: %w", err))
		}
		r.ValCost, r.ValAccuracy = &v.Cost, &v.Accuracy
		if res.Best == nil || v.Cost < *res.Best.ValCost {
			rb := r
			res.Best, best = &rb, res.Params
		}
	}
	res.Records = append(res.Records, r)
	if hooks.Log != nil {
		hooks.Log(r)
	}
	if cfg.EarlyStop > 0 {
		res.Params, res.Final = best, res.Best.Eval
	}
	return res, nil
}

// Holdout returns a Config.Val that scores parameters of model on the
// held-out examples x with labels y, given in the form the model trains on
// (Model.CheckData), in float64 on the host (Evaluate), after checking the
// data once.
func Holdout(model Model, x, y *mat.Dense) (func(Params) (Eval, error), error) {
	if err := model.Validate(); err != nil {
		return nil, err
	}
	if err := model.CheckData(x, y); err != nil {
		return nil, fmt.Errorf("held-out data: %w", err)
	}
	return func(p Params) (Eval, error) { return Evaluate(model, p, x, y) }, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
