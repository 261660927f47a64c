package opencl

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/engine"
)

// Backend is the OpenCL training backend. Data, parameters, activations and gradients
// stay on the device for the whole run; the host reads back only the cost of
// the iterations asked for and the parameters.
type Backend struct {
	ctx *device.Context
	ops *Ops

	sizes []int
	m     int
	x, y  Mat // the training set
	// The example order (int32), once shuffled, double-buffered: Shuffle
	// writes the next epoch's order into orders[1−cur], the buffer the
	// batches queued last do not read, without waiting for the device;
	// orderUp[i] holds the host slice of that write until the queue has
	// done it.
	orders  [2]*device.Buffer
	orderUp [2]*device.Upload
	cur     int
	xt      Mat // the data example-major (m×n_x), what batches are gathered from
	xb      Mat // the gathered batch, room for the largest batch so far
	yb      Mat

	model  engine.Model
	w, b   []Mat // parameters per layer
	dw, db []Mat // their gradients, when NoFusion or the update is not fused (fusedUpdate)
	a      []Mat // activations per layer, m columns of room
	dz     []Mat // pre-activation gradients per layer
	logits Mat   // output pre-activation without bias (K×m), for the cost
	evalB  *device.Buffer
	// slots[k] holds the optimizer's k-th tensor (Momentum's velocity;
	// Adam's first, then second moments) of every parameter, in the order
	// W1, b1, W2, b2, …; steps counts the updates applied (Adam's t − 1).
	slots [][]Mat
	steps int

	owned     []Mat
	shuffled  bool
	tinyEvals *device.Buffer

	// NoFusion, set before Load, makes every op its own kernel: no GEMM
	// epilogues, no fused update, no one-launch training of small networks.
	NoFusion bool
	// TinyWG sets the work-group size of the one-launch kernel (0: by device).
	TinyWG int

	profiled bool // the queue records kernel times
}

var (
	_ engine.Backend  = (*Backend)(nil)
	_ engine.Preparer = (*Backend)(nil)
	_ engine.Profiler = (*Backend)(nil)
)

// Options configure the OpenCL backend; the zero value is the
// default.
type Options struct {
	// Gemm is the GEMM configuration; the zero value means
	// DefaultGemm. The device's tuning, where cltrain tune stored
	// one, applies on top of it.
	Gemm GemmParams
	// Profile makes the device queue record each kernel's run time, for
	// engine.Profiler; it costs a little per launch on some drivers.
	Profile bool
	// OnCompile, when set, is called before a kernel program is compiled
	// from source, which takes seconds on some drivers and happens once per
	// device and driver (the binaries are cached).
	OnCompile func(program string)
}

// New opens a context on dev and prepares its kernels. Kernel
// programs are built when a run first needs them.
func New(dev device.Device, opts Options) (*Backend, error) {
	gemm := opts.Gemm
	if gemm == (GemmParams{}) {
		gemm = DefaultGemm
	}
	queue := device.Plain
	if opts.Profile {
		queue = device.Profiled
	}
	ctx, err := device.NewContext(dev, queue)
	if err != nil {
		return nil, err
	}
	ctx.OnCompile = opts.OnCompile
	ops, err := NewOps(ctx, gemm)
	if err != nil {
		ctx.Close()
		return nil, err
	}
	tuning, err := LoadTuning(dev)
	if err != nil {
		ctx.Close()
		return nil, err
	}
	ops.SetTuning(tuning)
	return &Backend{ctx: ctx, ops: ops, profiled: opts.Profile}, nil
}

// Profile turns the recording of kernel times on or off, forgetting what
// was recorded. It needs a backend opened with Options.Profile.
func (o *Backend) Profile(on bool) error {
	if on && !o.profiled {
		return errors.New("profile: the backend was opened without Options.Profile")
	}
	o.ops.DropEvents()
	o.ops.Profile(on)
	return nil
}

// KernelTime returns the summed device time of the kernels launched since
// profiling was turned on or KernelTime last called, waiting for them, and
// forgets them.
func (o *Backend) KernelTime() (time.Duration, error) {
	if err := o.Sync(); err != nil {
		return 0, err
	}
	return o.ops.KernelTime()
}

// Prepare runs every kernel of a training step once, with a learning rate
// of 0 so that the parameters keep their every bit (the optimizer's state,
// which such a step moves, is saved and put back), and an evaluation, then
// waits for the device: the programs are built (or loaded from the binary
// cache) and the driver has finished compiling each kernel before the run
// is timed. A mini-batch run's first batch order is the natural one here;
// Train sets its own.
func (o *Backend) Prepare(batch int) error {
	if o.x.Buf == nil {
		return errors.New("prepare: no data loaded")
	}
	restore, err := o.saveState()
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	if batch <= 0 || batch >= o.m {
		if _, err := o.Steps(0, 1, 0, 1); err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
	} else {
		order := make([]int, o.m)
		for i := range order {
			order[i] = i
		}
		if err := o.Shuffle(order); err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		if _, err := o.Step(engine.Batch{Offset: 0, Size: batch}, 0, true); err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
	}
	if _, err := o.Evaluate(); err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	if err := restore(); err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	return o.Sync()
}

// Name describes the backend and its device.
func (o *Backend) Name() string {
	return fmt.Sprintf("opencl (%s, %s)", o.ctx.Device.Name, o.ctx.Device.Platform)
}

// Sync waits for the device to finish everything queued.
func (o *Backend) Sync() error { return o.ctx.Finish() }

// Device returns the device the backend runs on.
func (o *Backend) Device() device.Device { return o.ctx.Device }

func (o *Backend) alloc(rows, cols int) (Mat, error) {
	m, err := NewMat(o.ctx, rows, cols)
	if err != nil {
		return m, err
	}
	o.owned = append(o.owned, m)
	return m, nil
}

func (o *Backend) upload(d *mat.Dense) (Mat, error) {
	r, c := d.Dims()
	m, err := o.alloc(r, c)
	if err != nil {
		return m, err
	}
	return m, m.Buf.Write(toF32(d))
}

// Load allocates every buffer of the run and copies the data, the
// parameters and the optimizer's state (zeros when fresh) to the device.
func (o *Backend) Load(m engine.Model, x, y *mat.Dense, p engine.Params) error {
	if err := engine.CheckLoad("opencl backend", m, x, y, p, []engine.Activation{engine.Tanh, engine.ReLU},
		[]engine.Output{engine.Sigmoid, engine.Softmax}, []engine.Optimizer{engine.SGD, engine.Momentum, engine.Adam}); err != nil {
		return err
	}
	o.free()
	var err error
	o.model = m
	o.model.Sizes = slices.Clone(m.Sizes)
	o.sizes = p.Sizes()
	_, o.m = x.Dims()
	if o.x, err = o.upload(x); err != nil {
		return fmt.Errorf("load data: %w", err)
	}
	// X is written once, here: the packed GEMM keeps its packed copies
	// across steps, until free unmarks it.
	o.ops.Immutable(o.x.Buf)
	if o.y, err = o.upload(y); err != nil {
		return fmt.Errorf("load labels: %w", err)
	}
	for l := range p.W {
		rows, cols := p.W[l].Dims()
		w, err := o.upload(p.W[l])
		if err != nil {
			return fmt.Errorf("load W%d: %w", l+1, err)
		}
		b, err := o.upload(p.B[l])
		if err != nil {
			return fmt.Errorf("load b%d: %w", l+1, err)
		}
		if o.NoFusion || !o.fusedUpdate() { // the fused update never stores dW and db
			dw, err := o.alloc(rows, cols)
			if err != nil {
				return fmt.Errorf("allocate dW%d: %w", l+1, err)
			}
			db, err := o.alloc(rows, 1)
			if err != nil {
				return fmt.Errorf("allocate db%d: %w", l+1, err)
			}
			o.dw, o.db = append(o.dw, dw), append(o.db, db)
		}
		a, err := o.alloc(rows, o.m)
		if err != nil {
			return fmt.Errorf("allocate A%d: %w", l+1, err)
		}
		dz, err := o.alloc(rows, o.m)
		if err != nil {
			return fmt.Errorf("allocate dZ%d: %w", l+1, err)
		}
		o.w, o.b = append(o.w, w), append(o.b, b)
		o.a, o.dz = append(o.a, a), append(o.dz, dz)
	}
	if o.logits, err = o.alloc(o.sizes[len(o.sizes)-1], o.m); err != nil {
		return fmt.Errorf("allocate logits: %w", err)
	}
	if o.evalB, err = o.ctx.NewBuffer(2); err != nil {
		return fmt.Errorf("allocate cost: %w", err)
	}
	return o.loadState(p)
}

// loadState allocates the optimizer's state and copies p's to it, zeros
// when p's is fresh.
func (o *Backend) loadState(p engine.Params) error {
	o.steps = p.Opt.Steps
	for k := range o.model.Optimizer.Slots() {
		var slot []Mat
		for l := range p.W {
			for i, param := range []*mat.Dense{p.W[l], p.B[l]} {
				r, c := param.Dims()
				what := [2]string{"W", "b"}[i]
				buf, err := o.alloc(r, c)
				if err != nil {
					return fmt.Errorf("allocate optimizer state %d of %s%d: %w", k+1, what, l+1, err)
				}
				v := make([]float32, r*c)
				if len(p.Opt.Slots) > 0 {
					src := p.Opt.Slots[k].B[l]
					if i == 0 {
						src = p.Opt.Slots[k].W[l]
					}
					v = toF32(src)
				}
				if err := buf.Buf.Write(v); err != nil {
					return fmt.Errorf("load optimizer state %d of %s%d: %w", k+1, what, l+1, err)
				}
				slot = append(slot, buf)
			}
		}
		o.slots = append(o.slots, slot)
	}
	return nil
}

// fusedUpdate reports whether the update is plain SGD without L2, which the
// fused step applies inside the dW GEMM (GemmUpdate) without storing dW;
// other updates store dW and db and run the optimizer's kernel.
func (o *Backend) fusedUpdate() bool {
	return o.model.Optimizer == engine.SGD && o.model.L2 == 0
}

// Shuffle uploads the example order; later batches are gathered through
// it. It does not wait for the device: the order goes to the order buffer
// the batches queued so far do not read, by a write queued after them.
func (o *Backend) Shuffle(perm []int) error {
	if err := engine.CheckOrder(perm, o.m); err != nil {
		return err
	}
	if o.orders[0] == nil {
		for i := range o.orders {
			var err error
			if o.orders[i], err = o.ctx.NewBuffer(o.m); err != nil {
				return fmt.Errorf("allocate example order: %w", err)
			}
		}
		// Gathering a batch's columns from the feature-major data
		// reads nearly every cache line of it; from the example-major
		// copy, only the batch's examples.
		xt, err := NewMat(o.ctx, o.m, o.sizes[0])
		if err != nil {
			return fmt.Errorf("allocate the data example-major: %w", err)
		}
		o.xt = xt
		if err := o.ops.Transpose(o.x, o.xt); err != nil {
			return fmt.Errorf("transpose the data: %w", err)
		}
	}
	next := 1 - o.cur
	// The slice of the write before last into this buffer, once the
	// queue is done with it.
	idx, err := o.orderUp[next].Reclaim()
	if err != nil {
		return fmt.Errorf("example order: %w", err)
	}
	if len(idx) != len(perm) {
		idx = make([]int32, len(perm))
	}
	for i, v := range perm {
		idx[i] = int32(v)
	}
	up, err := o.orders[next].WriteInt32Async(idx)
	if err != nil {
		return fmt.Errorf("upload example order: %w", err)
	}
	o.orderUp[next], o.cur = up, next
	o.shuffled = true
	return nil
}

// batchRoom returns the gathered batch's matrices with room for n columns
// at least, regrowing them (launches queued before keep the old buffers
// alive until they are done, by OpenCL's reference count).
func (o *Backend) batchRoom(n int) error {
	if o.xb.Buf != nil && o.xb.Cols >= n {
		return nil
	}
	o.xb.Release()
	o.yb.Release()
	o.xb, o.yb = Mat{}, Mat{}
	var err error
	if o.xb, err = NewMat(o.ctx, o.sizes[0], n); err != nil {
		return fmt.Errorf("allocate batch: %w", err)
	}
	if o.yb, err = NewMat(o.ctx, o.y.Rows, n); err != nil {
		return fmt.Errorf("allocate batch labels: %w", err)
	}
	return nil
}

// cols returns a view of m with n columns (its buffer holds at least that).
func cols(m Mat, n int) Mat { return Mat{Buf: m.Buf, Rows: m.Rows, Cols: n} }

// batch returns the input and label matrices of b.
func (o *Backend) batch(b engine.Batch) (x, y Mat, err error) {
	if b.Size <= 0 || b.Offset < 0 || b.Offset+b.Size > o.m {
		return x, y, fmt.Errorf("batch %+v out of range for %d examples", b, o.m)
	}
	if !o.shuffled {
		if b.Offset != 0 || b.Size != o.m {
			return x, y, fmt.Errorf("batch %+v: a window needs an example order (Shuffle) first", b)
		}
		return o.x, o.y, nil
	}
	if err := o.batchRoom(b.Size); err != nil {
		return x, y, err
	}
	x, y = cols(o.xb, b.Size), cols(o.yb, b.Size)
	order := o.orders[o.cur]
	if err := o.ops.GatherColsT(o.xt, order, b.Offset, x); err != nil {
		return x, y, err
	}
	return x, y, o.ops.GatherCols(o.y, order, b.Offset, y)
}

// hidden queues the hidden layers' forward pass over the columns of x.
func (o *Backend) hidden(x Mat) error {
	act := BiasTanh
	if o.model.Hidden == engine.ReLU {
		act = BiasReLU
	}
	in := x
	for l := 0; l < len(o.w)-1; l++ {
		out := cols(o.a[l], x.Cols)
		if err := o.ops.GemmBias(act, o.w[l], in, o.b[l].Buf, out); err != nil {
			return fmt.Errorf("forward layer %d: %w", l+1, err)
		}
		in = out
	}
	return nil
}

// logitsOf queues the output layer's logits without the bias, W_L·in, and
// returns them.
func (o *Backend) logitsOf(in Mat) (Mat, error) {
	z := cols(o.logits, in.Cols)
	if err := o.ops.Gemm(false, false, 1, o.w[len(o.w)-1], in, 0, z); err != nil {
		return z, fmt.Errorf("output logits: %w", err)
	}
	return z, nil
}

// evalCost queues the cost and accuracy of the logits z (without the bias)
// against y into the eval buffer, with the L2 penalty λ/(2n)·Σ‖W‖² of the
// current weights when penalty is set, n being z's columns.
func (o *Backend) evalCost(z, y Mat, penalty bool) error {
	bias := o.b[len(o.b)-1].Buf
	var err error
	if o.model.Output == engine.Softmax {
		err = o.ops.SoftmaxCost(z, bias, y, o.evalB)
	} else {
		err = o.ops.Cost(z, bias, y, o.evalB)
	}
	if err != nil {
		return fmt.Errorf("cost: %w", err)
	}
	if penalty && o.model.L2 != 0 {
		if err := o.ops.AddSumSquares(o.w, float32(o.model.L2/(2*float64(z.Cols))), o.evalB); err != nil {
			return fmt.Errorf("L2 penalty: %w", err)
		}
	}
	return nil
}

// cost queues the output logits from the last hidden activation in and the
// cost and accuracy kernels against y (evalCost).
func (o *Backend) cost(in, y Mat, penalty bool) error {
	z, err := o.logitsOf(in)
	if err != nil {
		return err
	}
	return o.evalCost(z, y, penalty)
}

// forward queues the whole forward pass over the columns of x, storing every
// activation, and when eval the cost against y (with the L2 penalty when
// penalty is set).
func (o *Backend) forward(x, y Mat, eval, penalty bool) error {
	if err := o.hidden(x); err != nil {
		return err
	}
	last := len(o.w) - 1
	in := x
	if last > 0 {
		in = cols(o.a[last-1], x.Cols)
	}
	out := cols(o.a[last], x.Cols)
	if o.model.Output == engine.Softmax {
		z, err := o.logitsOf(in)
		if err != nil {
			return err
		}
		if eval {
			if err := o.evalCost(z, y, penalty); err != nil {
				return err
			}
		}
		if err := o.ops.BiasSoftmax(z, o.b[last].Buf, out); err != nil {
			return fmt.Errorf("forward output layer: %w", err)
		}
		return nil
	}
	if err := o.ops.GemmBias(BiasSigmoid, o.w[last], in, o.b[last].Buf, out); err != nil {
		return fmt.Errorf("forward output layer: %w", err)
	}
	if !eval {
		return nil
	}
	return o.cost(in, y, penalty)
}

// readEval waits for the cost kernel over n examples and returns its result.
func (o *Backend) readEval(n int) (engine.Eval, error) {
	v := make([]float32, 2)
	if err := o.evalB.Read(v); err != nil {
		return engine.Eval{}, fmt.Errorf("read cost: %w", err)
	}
	return engine.Eval{Cost: shortest(v[0]), Accuracy: fraction(float64(v[1]), n)}, nil
}

// shortest returns the float64 that prints as the shortest decimal of the
// float32 v, so that a float32 cost of 0.2177555 reads as that and not as
// 0.21775546669960022, its exact binary value.
func shortest(v float32) float64 {
	f, err := strconv.ParseFloat(strconv.FormatFloat(float64(v), 'g', -1, 32), 64)
	if err != nil {
		return float64(v) // NaN and infinities parse; nothing else reaches here
	}
	return f
}

// fraction returns the accuracy the device computed in float32 as the
// nearest fraction k/n in float64, so that 363 right of 400 reads 0.9075,
// not 0.9074999690055847. The float32 value is within half an example of
// the count for any n below 2²⁴.
func fraction(acc float64, n int) float64 {
	return math.Round(acc*float64(n)) / float64(n)
}

// Step queues one iteration; it waits for the device only when eval is set.
func (o *Backend) Step(b engine.Batch, lr float64, eval bool) (engine.Eval, error) {
	if o.x.Buf == nil {
		return engine.Eval{}, errors.New("step: no data loaded")
	}
	x, y, err := o.batch(b)
	if err != nil {
		return engine.Eval{}, err
	}
	if o.NoFusion {
		err = o.stepUnfused(x, y, lr, eval)
	} else {
		err = o.stepFused(x, y, lr, eval)
	}
	if err != nil || !eval {
		return engine.Eval{}, err
	}
	return o.readEval(y.Cols)
}

// stepFused queues an iteration in 2L+1 launches (L layers) for plain SGD:
// the hidden layers' forward GEMMs with bias and the activation, the
// output's with the sigmoid and the subtraction of Y giving dZ_L (for the
// softmax: the logits' GEMM and a column-wise kernel giving dZ_L), then per
// layer the GEMM that carries the gradient back through the activation and
// the GEMM that applies the update (weights and biases) without storing dW
// or db. Other optimizers, and L2, store dW and db instead and run the
// optimizer's kernel per parameter.
func (o *Backend) stepFused(x, y Mat, lr float64, eval bool) error {
	n := x.Cols
	L := len(o.w)
	if err := o.hidden(x); err != nil {
		return err
	}
	in := x
	if L > 1 {
		in = cols(o.a[L-2], n)
	}
	dz := cols(o.dz[L-1], n)
	if o.model.Output == engine.Softmax {
		z, err := o.logitsOf(in)
		if err != nil {
			return err
		}
		if eval {
			if err := o.evalCost(z, y, true); err != nil {
				return err
			}
		}
		if err := o.ops.SoftmaxSub(z, o.b[L-1].Buf, y, dz); err != nil {
			return fmt.Errorf("output layer gradient: %w", err)
		}
	} else {
		if eval {
			if err := o.cost(in, y, true); err != nil {
				return err
			}
		}
		if err := o.ops.GemmSigmoidSub(o.w[L-1], in, o.b[L-1].Buf, y, dz); err != nil {
			return fmt.Errorf("forward output layer: %w", err)
		}
	}
	fused := o.fusedUpdate()
	scale := float32(lr) / float32(n)
	for l := L - 1; l >= 0; l-- {
		prev := x
		if l > 0 {
			prev = cols(o.a[l-1], n)
			// Uses W_l before its update.
			if err := o.backwardAct(o.w[l], dz, prev, cols(o.dz[l-1], n)); err != nil {
				return fmt.Errorf("backward dZ%d: %w", l, err)
			}
		}
		if fused {
			if err := o.ops.GemmUpdate(dz, prev, scale, o.w[l], o.b[l].Buf); err != nil {
				return fmt.Errorf("update layer %d: %w", l+1, err)
			}
		} else {
			if err := o.layerGradients(l, dz, prev, 1/float32(n)); err != nil {
				return err
			}
			if err := o.applyUpdate(l, lr, n); err != nil {
				return err
			}
		}
		if l > 0 {
			dz = cols(o.dz[l-1], n)
		}
	}
	o.steps++
	return nil
}

// backwardAct queues c = (wᵀ·dz) ⊙ act'(t), the gradient of a hidden
// layer's pre-activation from the next layer's, t being its output, in one
// GEMM with the activation's epilogue.
func (o *Backend) backwardAct(w, dz, t, c Mat) error {
	if o.model.Hidden == engine.ReLU {
		return o.ops.GemmReLUBackward(w, dz, t, c)
	}
	return o.ops.GemmTanhBackward(w, dz, t, c)
}

// layerGradients queues dW_l = scale·dz·prevᵀ and db_l = scale·Σ_j dz[:, j].
func (o *Backend) layerGradients(l int, dz, prev Mat, scale float32) error {
	if err := o.ops.Gemm(false, true, scale, dz, prev, 0, o.dw[l]); err != nil {
		return fmt.Errorf("backward dW%d: %w", l+1, err)
	}
	if err := o.ops.RowSums(dz, scale, o.db[l].Buf); err != nil {
		return fmt.Errorf("backward db%d: %w", l+1, err)
	}
	return nil
}

// applyUpdate queues the model's optimizer on layer l from the gradients in
// dW_l and db_l of a batch of n examples, the L2 term (λ/n)·W_l folded into
// the weights' gradient. It is update number steps+1.
func (o *Backend) applyUpdate(l int, lr float64, n int) error {
	w, b, dw, db := o.w[l], o.b[l], o.dw[l], o.db[l]
	l2 := o.model.L2 / float64(n)
	hy := o.model.Hyper
	var errW, errB error
	switch o.model.Optimizer {
	case engine.Momentum:
		v := o.slots[0]
		errW = o.ops.Momentum(w.Buf, dw.Buf, v[2*l].Buf, w.Len(), float32(lr), float32(hy.Momentum), float32(l2))
		errB = o.ops.Momentum(b.Buf, db.Buf, v[2*l+1].Buf, b.Len(), float32(lr), float32(hy.Momentum), 0)
	case engine.Adam:
		m, v := o.slots[0], o.slots[1]
		s := AdamStep{LR: lr, Beta1: hy.Beta1, Beta2: hy.Beta2, Eps: hy.Eps, L2: l2, T: o.steps + 1}
		errW = o.ops.Adam(w.Buf, dw.Buf, m[2*l].Buf, v[2*l].Buf, w.Len(), s)
		s.L2 = 0
		errB = o.ops.Adam(b.Buf, db.Buf, m[2*l+1].Buf, v[2*l+1].Buf, b.Len(), s)
	default:
		if l2 != 0 {
			errW = o.ops.SGDL2(w.Buf, dw.Buf, w.Len(), float32(lr), float32(l2))
		} else {
			errW = o.ops.SGD(w.Buf, dw.Buf, w.Len(), float32(lr))
		}
		errB = o.ops.SGD(b.Buf, db.Buf, b.Len(), float32(lr))
	}
	if errW != nil {
		return fmt.Errorf("update W%d: %w", l+1, errW)
	}
	if errB != nil {
		return fmt.Errorf("update b%d: %w", l+1, errB)
	}
	return nil
}

// stepUnfused queues an iteration with one launch per op: the forward GEMMs
// with their activations, A − Y, dW, db, dA and the activation's gradient
// per layer, and one optimizer launch per parameter.
func (o *Backend) stepUnfused(x, y Mat, lr float64, eval bool) error {
	if err := o.gradients(x, y, 1/float32(x.Cols), eval, true); err != nil {
		return err
	}
	return o.update(lr, x.Cols)
}

// gradients queues the forward pass over the columns of x (and the cost
// against y when eval) and the backward pass, leaving scale·Σ over the
// columns of each layer's gradient in dW and db, without the L2 term (the
// update folds it in): scale is 1/n for the mean over n columns, or 1/N
// when the columns are one device's share of a batch of N (Parallel). The
// cost carries the L2 penalty, as λ/(2n)·Σ‖W‖² for n columns, only when
// penalty is set: Parallel weighs each device's cost by its share and sets
// it on one device. It needs the buffers of NoFusion.
func (o *Backend) gradients(x, y Mat, scale float32, eval, penalty bool) error {
	if err := o.forward(x, y, eval, penalty); err != nil {
		return err
	}
	n := x.Cols
	L := len(o.w)
	dz := cols(o.dz[L-1], n)
	if err := o.ops.Sub(cols(o.a[L-1], n), y, dz); err != nil {
		return fmt.Errorf("backward: %w", err)
	}
	for l := L - 1; l >= 0; l-- {
		prev := x
		if l > 0 {
			prev = cols(o.a[l-1], n)
		}
		if err := o.ops.Gemm(false, true, scale, dz, prev, 0, o.dw[l]); err != nil {
			return fmt.Errorf("backward dW%d: %w", l+1, err)
		}
		if err := o.ops.RowSums(dz, scale, o.db[l].Buf); err != nil {
			return fmt.Errorf("backward db%d: %w", l+1, err)
		}
		if l == 0 {
			break
		}
		da := cols(o.dz[l-1], n)
		if err := o.ops.Gemm(true, false, 1, o.w[l], dz, 0, da); err != nil {
			return fmt.Errorf("backward dA%d: %w", l, err)
		}
		var err error
		if o.model.Hidden == engine.ReLU {
			err = o.ops.ReLUBackward(da, prev, da)
		} else {
			err = o.ops.TanhBackward(da, prev, da)
		}
		if err != nil {
			return fmt.Errorf("backward dZ%d: %w", l, err)
		}
		dz = da
	}
	return nil
}

// update queues the model's optimizer on every layer from the gradients in
// dW and db of a batch of n examples (applyUpdate).
func (o *Backend) update(lr float64, n int) error {
	for l := range o.w {
		if err := o.applyUpdate(l, lr, n); err != nil {
			return err
		}
	}
	o.steps++
	return nil
}

// Evaluate runs the forward pass over the whole training set.
func (o *Backend) Evaluate() (engine.Eval, error) {
	if o.x.Buf == nil {
		return engine.Eval{}, errors.New("evaluate: no data loaded")
	}
	if err := o.hidden(o.x); err != nil {
		return engine.Eval{}, err
	}
	in := o.x
	if L := len(o.w); L > 1 {
		in = cols(o.a[L-2], o.m)
	}
	if err := o.cost(in, o.y, true); err != nil {
		return engine.Eval{}, err
	}
	return o.readEval(o.m)
}

// Params reads the parameters and the optimizer's state back from the
// device.
func (o *Backend) Params() (engine.Params, error) {
	var p engine.Params
	for l := range o.w {
		w, err := download(o.w[l])
		if err != nil {
			return engine.Params{}, fmt.Errorf("read W%d: %w", l+1, err)
		}
		b, err := download(o.b[l])
		if err != nil {
			return engine.Params{}, fmt.Errorf("read b%d: %w", l+1, err)
		}
		p.W, p.B = append(p.W, w), append(p.B, b)
	}
	p.Opt.Steps = o.steps
	for k, slot := range o.slots {
		var s engine.Params
		for i, m := range slot {
			d, err := download(m)
			if err != nil {
				return engine.Params{}, fmt.Errorf("read optimizer state %d of layer %d: %w", k+1, i/2+1, err)
			}
			if i%2 == 0 {
				s.W = append(s.W, d)
			} else {
				s.B = append(s.B, d)
			}
		}
		p.Opt.Slots = append(p.Opt.Slots, s)
	}
	return p, nil
}

// saveState returns a function that puts the optimizer's state (its
// tensors and step count) back as it is now, for Prepare, whose step at a
// learning rate of 0 keeps the parameters but moves the state.
func (o *Backend) saveState() (restore func() error, err error) {
	steps := o.steps
	var saved [][]float32
	for _, slot := range o.slots {
		for _, m := range slot {
			v := make([]float32, m.Len())
			if err := m.Buf.Read(v); err != nil {
				return nil, fmt.Errorf("save optimizer state: %w", err)
			}
			saved = append(saved, v)
		}
	}
	return func() error {
		o.steps = steps
		i := 0
		for _, slot := range o.slots {
			for _, m := range slot {
				if err := m.Buf.Write(saved[i]); err != nil {
					return fmt.Errorf("restore optimizer state: %w", err)
				}
				i++
			}
		}
		return nil
	}, nil
}

func (o *Backend) free() {
	if o.x.Buf != nil {
		o.ops.Mutable(o.x.Buf) // before X is released: its packed copies go with it
	}
	for _, m := range o.owned {
		m.Release()
	}
	for i := range o.orders {
		o.orderUp[i].Wait() // the queue's last use of the host slice
		o.orders[i].Release()
	}
	o.xt.Release()
	o.xb.Release()
	o.yb.Release()
	o.evalB.Release()
	o.tinyEvals.Release()
	*o = Backend{ctx: o.ctx, ops: o.ops, NoFusion: o.NoFusion, TinyWG: o.TinyWG, profiled: o.profiled}
}

// Close releases every buffer, the kernels and the context.
func (o *Backend) Close() error {
	if o.ctx == nil {
		return nil
	}
	o.free()
	err := o.ops.Release()
	if e := o.ctx.Close(); err == nil {
		err = e
	}
	o.ctx = nil
	return err
}

func toF32(d *mat.Dense) []float32 {
	r, c := d.Dims()
	out := make([]float32, 0, r*c)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			out = append(out, float32(d.At(i, j)))
		}
	}
	return out
}

func download(m Mat) (*mat.Dense, error) {
	v := make([]float32, m.Len())
	if err := m.Buf.Read(v); err != nil {
		return nil, err
	}
	d := make([]float64, len(v))
	for i, x := range v {
		d[i] = float64(x)
	}
	return mat.NewDense(m.Rows, m.Cols, d), nil
}
