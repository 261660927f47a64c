package opencl

import (
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/engine"
	"github.com/cltrain/cltrain/engine/backendtest"
	"github.com/cltrain/cltrain/internal/cltest"
)

// launchCounts returns how many launches of each kernel o recorded since
// the last DropEvents, and drops them.
func launchCounts(t *testing.T, o *Ops) map[string]int {
	t.Helper()
	if err := o.c.Finish(); err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, l := range o.Events() {
		n[l.Kernel]++
	}
	o.DropEvents()
	return n
}

// TestImmutablePackedOnce checks the packed copies of Immutable buffers:
// a marked operand is packed at its first product and not again at the
// next ones that read it the same way (as op(B), NN and NT; as op(A), TN),
// with results bit for bit those of an unmarked copy of it, which is
// packed at every call; a view of other shape packs anew; pack_a with row
// sums (GemmUpdate) runs at every call even on a marked A; Mutable frees
// the copies, and the buffer's new values are packed after it.
func TestImmutablePackedOnce(t *testing.T) {
	c := cpuContext(t)
	o, err := NewOps(c, DefaultGemm)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Release() })
	o.Profile(true)
	p := DefaultGemm.Resolve(c.Device)
	rng := rand.New(rand.NewPCG(13, 2))
	rnd := func(n int) []float32 { return uniform(rng, n) }
	newMat := func(rows, cols int, v []float32) Mat {
		if v == nil {
			v = rnd(rows * cols)
		}
		return uploadMat(t, c, rows, cols, v)
	}
	read := func(m Mat) []float32 { return readMat(t, m) }
	const nx, m, nh = 129, 257, 37 // X is nx×m; W nh×nx; D nh×m
	xv := rnd(nx * m)
	x, xu := newMat(nx, m, xv), newMat(nx, m, xv) // marked, and an unmarked twin
	o.Immutable(x.Buf)
	w, d, e := newMat(nh, nx, nil), newMat(nh, m, nil), newMat(nx, 50, nil)
	for _, s := range [][5]int{{nh, m, nx, 0, 0}, {nh, nx, m, 0, 1}, {m, 50, nx, 1, 0}} {
		if !usePacked(p, s[3] == 1, s[4] == 1, s[0], s[1], s[2]) {
			t.Fatalf("%v does not take the packed GEMM", s)
		}
	}
	// The products reading X: W·X (op(B) = X), D·Xᵀ (op(B) = Xᵀ), Xᵀ·E
	// (op(A) = Xᵀ), each with X or its twin.
	products := []struct {
		name string
		pack string // the packing of X it launches
		run  func(x Mat) ([]float32, error)
	}{
		{"W·X", "pack_b", func(x Mat) ([]float32, error) {
			out := newMat(nh, m, nil)
			err := o.Gemm(false, false, 1, w, x, 0, out)
			return read(out), err
		}},
		{"D·Xᵀ", "pack_b", func(x Mat) ([]float32, error) {
			out := newMat(nh, nx, nil)
			err := o.Gemm(false, true, 0.5, d, x, 0, out)
			return read(out), err
		}},
		{"Xᵀ·E", "pack_a", func(x Mat) ([]float32, error) {
			out := newMat(m, 50, nil)
			err := o.Gemm(true, false, 1, x, e, 0, out)
			return read(out), err
		}},
	}
	for _, pr := range products {
		var want []float32
		for call := range 3 {
			got, err := pr.run(xu)
			if err != nil {
				t.Fatal(err)
			}
			if n := launchCounts(t, o)[pr.pack]; n != 1 {
				t.Errorf("%s, unmarked X, call %d: %d %s launches, want 1", pr.name, call+1, n, pr.pack)
			}
			want = got
		}
		for call := range 3 {
			got, err := pr.run(x)
			if err != nil {
				t.Fatal(err)
			}
			wantPacks := 0
			if call == 0 {
				wantPacks = 1
			}
			if n := launchCounts(t, o)[pr.pack]; n != wantPacks {
				t.Errorf("%s, marked X, call %d: %d %s launches, want %d", pr.name, call+1, n, pr.pack, wantPacks)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s, marked X, call %d: the product differs from the unmarked one's", pr.name, call+1)
			}
		}
	}
	if n, floats := o.packedCopies(); n != 3 || floats < 3*nx*m {
		t.Errorf("%d packed copies of %d floats, want 3 of at least %d", n, floats, 3*nx*m)
	}
	// X's buffer read as a matrix of another shape (nx×250, its first
	// floats) is another operand: packed anew, once, and right.
	const vc = 250
	if !usePacked(p, false, false, nh, vc, nx) {
		t.Fatal("the view's product does not take the packed GEMM")
	}
	view, viewU := Mat{Buf: x.Buf, Rows: nx, Cols: vc}, Mat{Buf: xu.Buf, Rows: nx, Cols: vc}
	for call := range 2 {
		out, outU := newMat(nh, vc, nil), newMat(nh, vc, nil)
		if err := o.Gemm(false, false, 1, w, viewU, 0, outU); err != nil {
			t.Fatal(err)
		}
		launchCounts(t, o)
		if err := o.Gemm(false, false, 1, w, view, 0, out); err != nil {
			t.Fatal(err)
		}
		if n := launchCounts(t, o)["pack_b"]; n != 1-call {
			t.Errorf("W·view call %d: %d pack_b launches, want %d", call+1, n, 1-call)
		}
		if !slices.Equal(read(out), read(outU)) {
			t.Errorf("W·view call %d: differs from the unmarked one's", call+1)
		}
	}
	// pack_a with row sums: at every call, and the sums right.
	for call := range 2 {
		dz := newMat(nh, m, nil)
		o.Immutable(dz.Buf)
		ww, wwU := newMat(nh, nx, nil), newMat(nh, nx, nil)
		bias := rnd(nh)
		b, bU := newMat(nh, 1, bias), newMat(nh, 1, bias)
		if err := wwU.Buf.Write(read(ww)); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := o.GemmUpdate(dz, x, 0.01, ww, b.Buf); err != nil {
				t.Fatal(err)
			}
			if n := launchCounts(t, o)["pack_a"]; n != 1 {
				t.Errorf("GemmUpdate with a marked dZ, round %d: %d pack_a launches, want 1", call+1, n)
			}
			if err := o.Mutable(dz.Buf); err != nil {
				t.Fatal(err)
			}
			if err := o.GemmUpdate(dz, xu, 0.01, wwU, bU.Buf); err != nil {
				t.Fatal(err)
			}
			o.Immutable(dz.Buf)
			launchCounts(t, o)
		}
		if !slices.Equal(read(ww), read(wwU)) || !slices.Equal(read(b), read(bU)) {
			t.Errorf("GemmUpdate round %d: W or b differ with the marked operands", call+1)
		}
		if err := o.Mutable(dz.Buf); err != nil {
			t.Fatal(err)
		}
	}
	// Mutable frees X's copies; new values are then packed and used.
	if err := o.Mutable(x.Buf); err != nil {
		t.Fatal(err)
	}
	if n, _ := o.packedCopies(); n != 0 {
		t.Errorf("%d packed copies after Mutable, want 0", n)
	}
	xv2 := rnd(nx * m)
	for _, b := range []Mat{x, xu} {
		if err := b.Buf.Write(xv2); err != nil {
			t.Fatal(err)
		}
	}
	o.Immutable(x.Buf)
	for _, pr := range products {
		want, err := pr.run(xu)
		if err != nil {
			t.Fatal(err)
		}
		launchCounts(t, o)
		got, err := pr.run(x)
		if err != nil {
			t.Fatal(err)
		}
		if n := launchCounts(t, o)[pr.pack]; n != 1 {
			t.Errorf("%s after new values: %d %s launches, want 1", pr.name, n, pr.pack)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s after new values: the product differs from the unmarked one's", pr.name)
		}
	}
	// Release drops the copies and the marks.
	if err := o.Release(); err != nil {
		t.Fatal(err)
	}
	if n, _ := o.packedCopies(); n != 0 || o.immutable != nil {
		t.Errorf("%d packed copies and marks %v after Release", n, o.immutable)
	}
}

// packedKinds are models whose X products (W1·X and dZ1·Xᵀ) take the
// packed GEMM at packedM examples: fused SGD, and Adam with L2 and a
// softmax, whose unfused update stores dW1 = dZ1·Xᵀ.
var packedKinds = []trainKind{
	kindOf("tanh-sigmoid-sgd", []int{64, 32, 1}, engine.Tanh, engine.Sigmoid, engine.SGD, 0, 0.5),
	kindOf("relu-softmax4-adam-l2", []int{64, 24, 4}, engine.ReLU, engine.Softmax, engine.Adam, 0.3, 0.01),
}

const packedM = 701

// TestFullBatchPackedX trains full-batch with X's packed copies kept
// across steps, fused and unfused, and checks: the costs of 20 steps and
// the final parameters against the float64 CPU reference; the same run
// with X unmarked (packed at every step) bit for bit; X packed only at the
// first step (two pack_b launches, none after); and after a Load of other
// data, steps that equal a fresh backend's on that data bit for bit (the
// old copies are not used).
func TestFullBatchPackedX(t *testing.T) {
	if cltest.Device(t).Type != device.CPU {
		t.Skip("skipping: the packed GEMM runs on CPU devices")
	}
	rng := rand.New(rand.NewPCG(17, 3))
	const iters = 20
	for _, k := range packedKinds {
		for _, noFusion := range []bool{false, true} {
			name := k.name
			if noFusion {
				name += "/unfused"
			}
			t.Run(name, func(t *testing.T) {
				x, y := problemFor(rng, k.model, packedM)
				p := backendtest.Params(t, rng, k.model.Sizes)
				open := func(x, y *mat.Dense, p engine.Params) *Backend {
					b, err := New(cltest.Device(t), Options{Profile: true})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { b.Close() })
					b.NoFusion = noFusion
					if err := b.Load(k.model, x, y, p); err != nil {
						t.Fatal(err)
					}
					return b
				}
				train := func(b engine.Backend) engine.Result {
					res, err := engine.Train(t.Context(), b, packedM, engine.Config{Iters: iters, LR: k.lr, LogEvery: 1}, engine.Hooks{})
					if err != nil {
						t.Fatal(err)
					}
					return res
				}
				ref := engine.NewCPU()
				if err := ref.Load(k.model, x, y, p); err != nil {
					t.Fatal(err)
				}
				want := train(ref)

				b := open(x, y, p)
				if err := b.Profile(true); err != nil {
					t.Fatal(err)
				}
				for step := range 3 {
					if _, err := b.Step(engine.Batch{Size: packedM}, 0, false); err != nil {
						t.Fatal(err)
					}
					wantPacks := 0
					if step == 0 {
						wantPacks = 2 // X for W1·X, Xᵀ for dZ1·Xᵀ
					}
					if n := launchCounts(t, b.ops)["pack_b"]; n != wantPacks {
						t.Errorf("step %d: %d pack_b launches, want %d", step+1, n, wantPacks)
					}
				}
				if err := b.Profile(false); err != nil {
					t.Fatal(err)
				}
				if n, _ := b.ops.packedCopies(); n != 2 {
					t.Errorf("%d packed copies of X, want 2", n)
				}
				// The steps at a learning rate of 0 moved Adam's moments:
				// load afresh.
				if err := b.Load(k.model, x, y, p); err != nil {
					t.Fatal(err)
				}
				if n, _ := b.ops.packedCopies(); n != 0 {
					t.Errorf("%d packed copies after Load, want 0", n)
				}
				got := train(b)
				for i, r := range got.Records {
					if !scalar.EqualWithinRel(r.Cost, want.Records[i].Cost, 1e-4) {
						t.Fatalf("step %d: cost %.9g, float64 reference %.9g", r.Step, r.Cost, want.Records[i].Cost)
					}
				}
				for l := range p.W {
					if e := relErr(got.Params.W[l].RawMatrix().Data, want.Params.W[l].RawMatrix().Data); !(e <= 1e-3) {
						t.Errorf("W%d off the reference by %.3g", l+1, e)
					}
				}

				// X unmarked: packed at every step, the same bits.
				u := open(x, y, p)
				if err := u.ops.Mutable(u.x.Buf); err != nil {
					t.Fatal(err)
				}
				unmarked := train(u)
				if n, _ := u.ops.packedCopies(); n != 0 {
					t.Errorf("%d packed copies of an unmarked X", n)
				}
				sameParams(t, "unmarked X", got.Params, unmarked.Params)

				// Other data loaded into the trained backend: its steps
				// are a fresh backend's.
				x2, y2 := problemFor(rng, k.model, packedM)
				p2 := backendtest.Params(t, rng, k.model.Sizes)
				if err := b.Load(k.model, x2, y2, p2); err != nil {
					t.Fatal(err)
				}
				again := train(b)
				fresh := train(open(x2, y2, p2))
				for i, r := range again.Records {
					if r.Cost != fresh.Records[i].Cost {
						t.Fatalf("after Load of X2, step %d: cost %.9g, a fresh backend's %.9g", r.Step, r.Cost, fresh.Records[i].Cost)
					}
				}
				sameParams(t, "after Load of X2", again.Params, fresh.Params)
			})
		}
	}
}

// sameParams fails t unless the parameters are equal bit for bit.
func sameParams(t *testing.T, what string, got, want engine.Params) {
	t.Helper()
	for l := range want.W {
		if !mat.Equal(got.W[l], want.W[l]) || !mat.Equal(got.B[l], want.B[l]) {
			t.Errorf("%s: layer %d's parameters differ", what, l+1)
		}
	}
}

// TestProfilePackedX measures, for docs/PERF.md ("X packed once"), the
// full-batch step of 784-256-1 on 8192 examples with X's packed copies
// kept and with X unmarked (packed at every step), alternated in one
// process: the median wall time of an evaluated step, and of pack_b.
// It runs only with CLTRAIN_PROFILE_STEPS=1.
func TestProfilePackedX(t *testing.T) {
	if os.Getenv("CLTRAIN_PROFILE_STEPS") != "1" {
		t.Skip("skipping: set CLTRAIN_PROFILE_STEPS=1 to profile the training steps")
	}
	for _, c := range []struct {
		name  string
		model engine.Model
		m, k  int
	}{
		{"784-256-1 m=8192", engine.NewModel(784, 256), 8192, 0},
		{"784-256-10 relu softmax adam m=8192", engine.Model{Sizes: []int{784, 256, 10}, Hidden: engine.ReLU, Output: engine.Softmax, Optimizer: engine.Adam, Hyper: engine.DefaultHyper}, 8192, 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 1))
			x, y := backendtest.Problem(rng, c.model.Sizes[0], c.m)
			if c.k > 0 {
				x, y = backendtest.ProblemK(rng, c.model.Sizes[0], c.m, c.k)
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
			if err := b.Prepare(0); err != nil {
				t.Fatal(err)
			}
			const rounds = 9
			var walls, packs [2][]time.Duration // 0: kept, 1: unmarked
			for r := range 2 * rounds {
				kept := r%2 == 0
				if kept {
					b.ops.Immutable(b.x.Buf)
					// The first step packs X: not timed.
					if _, err := b.Step(engine.Batch{Size: c.m}, 0.01, true); err != nil {
						t.Fatal(err)
					}
				} else if err := b.ops.Mutable(b.x.Buf); err != nil {
					t.Fatal(err)
				}
				if err := b.Profile(true); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				if _, err := b.Step(engine.Batch{Size: c.m}, 0.01, true); err != nil {
					t.Fatal(err)
				}
				wall := time.Since(start)
				stats, err := b.KernelTimes()
				if err != nil {
					t.Fatal(err)
				}
				var pack time.Duration
				for _, s := range stats {
					if s.Kernel == "pack_b" {
						pack = s.Time
					}
				}
				i := r % 2
				walls[i], packs[i] = append(walls[i], wall), append(packs[i], pack)
			}
			median := func(d []time.Duration) time.Duration {
				s := slices.Clone(d)
				slices.Sort(s)
				return s[len(s)/2]
			}
			t.Logf("X packed once:   step %v (%v … %v), pack_b %v", median(walls[0]), slices.Min(walls[0]), slices.Max(walls[0]), median(packs[0]))
			t.Logf("X packed always: step %v (%v … %v), pack_b %v", median(walls[1]), slices.Min(walls[1]), slices.Max(walls[1]), median(packs[1]))
		})
	}
}
