package opencl

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cltrain/cltrain/engine"
	"github.com/cltrain/cltrain/engine/backendtest"
	"github.com/cltrain/cltrain/internal/cltest"
)

// TestProfileSteps prints where the time of one training step goes, for
// docs/PERF.md ("Where a step's time goes"): per kernel its launches, its
// device time and its share of the step's wall time, and the wall time
// the kernels leave unexplained (launches, the host, waits). It runs only
// with CLTRAIN_PROFILE_STEPS=1 (it takes about a minute on two cores);
// CLTRAIN_PROFILE_ONLY=name picks one configuration.
func TestProfileSteps(t *testing.T) {
	if os.Getenv("CLTRAIN_PROFILE_STEPS") != "1" {
		t.Skip("skipping: set CLTRAIN_PROFILE_STEPS=1 to profile the training steps")
	}
	const runs = 7
	for _, c := range []struct {
		name  string
		model engine.Model
		m     int
		batch int // 0: full batch
		k     int // classes (softmax)
	}{
		{"784-256-1 m=8192", engine.NewModel(784, 256), 8192, 0, 0},
		{"1024-4096-1 m=4096", engine.NewModel(1024, 4096), 4096, 0, 0},
		{"256-512-256-1 m=16384", engine.NewModel(256, 512, 256), 16384, 0, 0},
		{"784-256-1 batch 1024 of 8192", engine.NewModel(784, 256), 8192, 1024, 0},
		{"784-256-10 relu softmax adam m=8192", engine.Model{Sizes: []int{784, 256, 10}, Hidden: engine.ReLU, Output: engine.Softmax, Optimizer: engine.Adam, Hyper: engine.DefaultHyper}, 8192, 0, 10},
	} {
		if only := os.Getenv("CLTRAIN_PROFILE_ONLY"); only != "" && !strings.Contains(c.name, only) {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 1))
			nx := c.model.Sizes[0]
			x, y := backendtest.Problem(rng, nx, c.m)
			if c.k > 0 {
				x, y = backendtest.ProblemK(rng, nx, c.m, c.k)
			}
			p, err := c.model.Init(engine.Course, rng)
			if err != nil {
				t.Fatal(err)
			}
			b, err := New(cltest.Device(t), Options{Profile: true})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if err := b.Load(c.model, x, y, p); err != nil {
				t.Fatal(err)
			}
			if err := b.Prepare(c.batch); err != nil {
				t.Fatal(err)
			}
			batch := engine.Batch{Size: c.m}
			if c.batch > 0 {
				if err := b.Shuffle(rng.Perm(c.m)); err != nil {
					t.Fatal(err)
				}
				batch = engine.Batch{Offset: c.batch, Size: c.batch}
			}
			if err := b.Profile(true); err != nil {
				t.Fatal(err)
			}
			type launch struct {
				kernel     string
				start, end uint64
			}
			var walls []time.Duration
			var seqs [][]launch
			for range runs {
				b.ops.DropEvents()
				start := time.Now()
				if _, err := b.Step(batch, 0.001, true); err != nil {
					t.Fatal(err)
				}
				if err := b.Sync(); err != nil {
					t.Fatal(err)
				}
				walls = append(walls, time.Since(start))
				var seq []launch
				for _, l := range b.ops.Events() {
					s, e, err := l.Event.Span()
					if err != nil {
						t.Fatal(err)
					}
					seq = append(seq, launch{l.Kernel, s, e})
				}
				seqs = append(seqs, seq)
			}
			b.ops.DropEvents()
			// The median run by wall time.
			idx := make([]int, runs)
			for i := range idx {
				idx[i] = i
			}
			slices.SortFunc(idx, func(a, b int) int { return int(walls[a] - walls[b]) })
			med := idx[runs/2]
			seq, wall := seqs[med], walls[med]
			var sb strings.Builder
			fmt.Fprintf(&sb, "\n%s: wall %.2f ms (runs: min %.2f, max %.2f), %d launches\n", c.name, ms(wall), ms(walls[idx[0]]), ms(walls[idx[runs-1]]), len(seq))
			type agg struct {
				n int
				d time.Duration
			}
			per := map[string]*agg{}
			var order []string
			var sum, gaps time.Duration
			for i, l := range seq {
				d := time.Duration(l.end - l.start)
				a := per[l.kernel]
				if a == nil {
					a = &agg{}
					per[l.kernel] = a
					order = append(order, l.kernel)
				}
				a.n++
				a.d += d
				sum += d
				if i > 0 && l.start > seq[i-1].end {
					gaps += time.Duration(l.start - seq[i-1].end)
				}
				fmt.Fprintf(&sb, "  #%-2d %-18s %8.3f ms\n", i, l.kernel, ms(d))
			}
			slices.SortFunc(order, func(a, b string) int { return int(per[b].d - per[a].d) })
			fmt.Fprintf(&sb, "  | kernel | launches | ms | share of wall |\n")
			for _, k := range order {
				fmt.Fprintf(&sb, "  | %s | %d | %.2f | %.1f %% |\n", k, per[k].n, ms(per[k].d), 100*float64(per[k].d)/float64(wall))
			}
			span := time.Duration(0)
			if len(seq) > 0 {
				span = time.Duration(seq[len(seq)-1].end - seq[0].start)
			}
			fmt.Fprintf(&sb, "  kernels %.2f ms (%.1f %% of wall); device idle between kernels %.2f ms; first start to last end %.2f ms; wall − kernels %.2f ms\n",
				ms(sum), 100*float64(sum)/float64(wall), ms(gaps), ms(span), ms(wall-sum))
			t.Log(sb.String())
		})
	}
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// blockingShuffle is the Backend as it shuffled before the order was
// double-buffered: its Shuffle waits for the queue to drain first, as the
// blocking write of the order did.
type blockingShuffle struct{ *Backend }

func (b blockingShuffle) Shuffle(perm []int) error {
	if err := b.Sync(); err != nil {
		return err
	}
	return b.Backend.Shuffle(perm)
}

// TestProfileMiniBatch measures, in one process and alternated, for
// docs/PERF.md: the batch gather from the feature-major data (gather_cols,
// as before) against the gather from the example-major copy
// (gather_cols_t), as kernel times; and mini-batch epochs of engine.Train
// with the order written without waiting against a Shuffle that waits for
// the queue first (the blocking write of before). Medians of 15. It runs
// only with CLTRAIN_PROFILE_STEPS=1.
func TestProfileMiniBatch(t *testing.T) {
	if os.Getenv("CLTRAIN_PROFILE_STEPS") != "1" {
		t.Skip("skipping: set CLTRAIN_PROFILE_STEPS=1 to profile the mini-batch path")
	}
	const nx, nh, m, batch, rounds = 784, 256, 8192, 1024, 15
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := backendtest.Problem(rng, nx, m)
	model := engine.NewModel(nx, nh)
	p, err := model.Init(engine.Course, rng)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(cltest.Device(t), Options{Profile: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Load(model, x, y, p); err != nil {
		t.Fatal(err)
	}
	if err := b.Prepare(batch); err != nil {
		t.Fatal(err)
	}
	if err := b.Shuffle(rng.Perm(m)); err != nil {
		t.Fatal(err)
	}
	if err := b.Profile(true); err != nil {
		t.Fatal(err)
	}
	dst := cols(b.xb, batch)
	var old, gathered []time.Duration
	for range rounds {
		for i, f := range []func() error{
			func() error { return b.ops.GatherCols(b.x, b.orders[b.cur], batch, dst) },
			func() error { return b.ops.GatherColsT(b.xt, b.orders[b.cur], batch, dst) },
		} {
			if err := f(); err != nil {
				t.Fatal(err)
			}
			d, err := b.KernelTime()
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				old = append(old, d)
			} else {
				gathered = append(gathered, d)
			}
		}
	}
	t.Logf("gather 784×1024 of 8192: gather_cols %.3f ms, gather_cols_t %.3f ms (medians of %d)", ms(median(old)), ms(median(gathered)), rounds)
	if err := b.Profile(false); err != nil {
		t.Fatal(err)
	}
	const epochs = 4
	cfg := engine.Config{Iters: epochs * m / batch, LR: 0.01, Batch: batch, LogEvery: 1 << 20, Shuffle: func(m int) []int { return rng.Perm(m) }}
	var wait, async []time.Duration
	for range rounds {
		for i, be := range []engine.Backend{blockingShuffle{b}, b} {
			if err := b.Load(model, x, y, p); err != nil {
				t.Fatal(err)
			}
			if err := b.Shuffle(rng.Perm(m)); err != nil { // allocates the orders untimed
				t.Fatal(err)
			}
			if err := b.Sync(); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if _, err := engine.Train(t.Context(), be, m, cfg, engine.Hooks{}); err != nil {
				t.Fatal(err)
			}
			d := time.Since(start) / epochs
			if i == 0 {
				wait = append(wait, d)
			} else {
				async = append(async, d)
			}
		}
	}
	t.Logf("epoch of 8 batches of 1024 (engine.Train, %d epochs a run, per epoch): shuffle waiting %.2f ms, without waiting %.2f ms (medians of %d)", epochs, ms(median(wait)), ms(median(async)), rounds)
}
