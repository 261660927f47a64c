package opencl

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/engine"
)

// Parallel trains one model on several OpenCL devices at once, by data
// parallelism: every device holds a replica of the parameters and the whole
// training set; each step's examples are split across the devices in
// proportion to their measured speed, each device computes the gradients of
// its share (scaled by the whole batch), the host sums them and writes the
// sum back, and every device applies the same update, so the replicas stay
// identical. Devices of different platforms work together; the sum goes
// through the host.
type Parallel struct {
	reps   []*Backend
	shares []float64 // fraction of each step's examples per device, summing to 1
	m      int
	sizes  []int
	comm   time.Duration // summing the gradients: read, add, write
	grads  []float32     // host buffer of one replica's gradients
	sum    []float32     // their sum
	even   bool          // keep equal shares (tests: every device computes)
}

var (
	_ engine.Backend  = (*Parallel)(nil)
	_ engine.Preparer = (*Parallel)(nil)
)

// NewParallel opens a backend on each of devs (at least two, each once),
// with the same options.
func NewParallel(devs []device.Device, opts Options) (*Parallel, error) {
	if len(devs) < 2 {
		return nil, fmt.Errorf("parallel training needs at least two devices, got %d", len(devs))
	}
	p := &Parallel{}
	for i, d := range devs {
		for _, prev := range devs[:i] {
			if prev.Index == d.Index {
				return nil, fmt.Errorf("device %d given twice", d.Index)
			}
		}
		b, err := New(d, opts)
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("device %d (%s): %w", d.Index, d.Name, err)
		}
		b.NoFusion = true // the gradients must be stored to be summed
		p.reps = append(p.reps, b)
		p.shares = append(p.shares, 1/float64(len(devs)))
	}
	return p, nil
}

// Name lists the devices.
func (p *Parallel) Name() string {
	names := make([]string, len(p.reps))
	for i, r := range p.reps {
		names[i] = fmt.Sprintf("%d: %s", r.ctx.Device.Index, r.ctx.Device.Name)
	}
	return fmt.Sprintf("opencl ×%d (%s)", len(p.reps), strings.Join(names, "; "))
}

// Devices returns the devices, in the order of the replicas.
func (p *Parallel) Devices() []device.Device {
	devs := make([]device.Device, len(p.reps))
	for i, r := range p.reps {
		devs[i] = r.ctx.Device
	}
	return devs
}

// Shares returns the fraction of each step's examples each device takes.
func (p *Parallel) Shares() []float64 { return append([]float64(nil), p.shares...) }

// CommTime returns the time spent summing gradients across the devices so
// far: reading each device's gradients, adding them, writing the sum back.
func (p *Parallel) CommTime() time.Duration { return p.comm }

// each runs f on every replica, naming the device in its error.
func (p *Parallel) each(f func(r *Backend) error) error {
	for _, r := range p.reps {
		if err := f(r); err != nil {
			return p.deviceErr(r, err)
		}
	}
	return nil
}

func (p *Parallel) deviceErr(r *Backend, err error) error {
	return fmt.Errorf("device %d (%s): %w", r.ctx.Device.Index, r.ctx.Device.Name, err)
}

// Load copies the data and parameters to every device, in the natural
// example order.
func (p *Parallel) Load(m engine.Model, x, y *mat.Dense, params engine.Params) error {
	_, p.m = x.Dims()
	p.sizes = params.Sizes()
	order := make([]int, p.m)
	for i := range order {
		order[i] = i
	}
	n := 0
	for l := range params.W {
		r, c := params.W[l].Dims()
		n += r*c + r
	}
	p.grads, p.sum = make([]float32, n), make([]float32, n)
	return p.each(func(r *Backend) error {
		if err := r.Load(m, x, y, params); err != nil {
			return err
		}
		return r.Shuffle(order) // every share is a window of the order
	})
}

// Shuffle sets the example order on every device.
func (p *Parallel) Shuffle(perm []int) error {
	if err := engine.CheckOrder(perm, p.m); err != nil {
		return err
	}
	return p.each(func(r *Backend) error { return r.Shuffle(perm) })
}

// split returns each device's first position and count of a batch of n.
func (p *Parallel) split(n int) (first, count []int) {
	first, count = make([]int, len(p.reps)), make([]int, len(p.reps))
	at, cum := 0, 0.0
	for i, s := range p.shares {
		cum += s
		end := int(cum*float64(n) + 0.5)
		if i == len(p.shares)-1 {
			end = n
		}
		first[i], count[i] = at, max(0, end-at)
		at += count[i]
	}
	return first, count
}

// Step runs one update of the batch split across the devices.
func (p *Parallel) Step(b engine.Batch, lr float64, eval bool) (engine.Eval, error) {
	if p.m == 0 {
		return engine.Eval{}, errors.New("step: no data loaded")
	}
	if b.Size <= 0 || b.Offset < 0 || b.Offset+b.Size > p.m {
		return engine.Eval{}, fmt.Errorf("batch %+v out of range for %d examples", b, p.m)
	}
	first, count := p.split(b.Size)
	scale := 1 / float32(b.Size)
	penalty := true // the L2 penalty goes into the first share's cost only
	for i, r := range p.reps {
		if count[i] == 0 {
			continue
		}
		x, y, err := r.batch(engine.Batch{Offset: b.Offset + first[i], Size: count[i]})
		if err == nil {
			err = r.gradients(x, y, scale, eval, penalty)
			penalty = false
		}
		if err == nil {
			err = r.ctx.Flush() // start it before the next device's
		}
		if err != nil {
			return engine.Eval{}, p.deviceErr(r, err)
		}
	}
	var e engine.Eval
	if eval {
		for i, r := range p.reps {
			if count[i] == 0 {
				continue
			}
			ri, err := r.readEval(count[i])
			if err != nil {
				return engine.Eval{}, p.deviceErr(r, err)
			}
			w := float64(count[i]) / float64(b.Size)
			e.Cost += w * ri.Cost
			e.Accuracy += w * ri.Accuracy
		}
		e.Accuracy = fraction(e.Accuracy, b.Size)
	}
	if err := p.allReduce(count); err != nil {
		return engine.Eval{}, err
	}
	return e, p.each(func(r *Backend) error { return r.update(lr, b.Size) })
}

// allReduce replaces every device's gradients with their sum over the
// devices that had examples (count), through the host, in the same order on
// every step so that the replicas stay identical.
func (p *Parallel) allReduce(count []int) error {
	if err := p.Sync(); err != nil { // the devices' work is not communication
		return err
	}
	start := time.Now()
	defer func() { p.comm += time.Since(start) }()
	clear(p.sum)
	for i, r := range p.reps {
		if count[i] == 0 {
			continue
		}
		if err := r.readGradients(p.grads); err != nil {
			return p.deviceErr(r, err)
		}
		for k, v := range p.grads {
			p.sum[k] += v
		}
	}
	return p.each(func(r *Backend) error { return r.writeGradients(p.sum) })
}

// Steps runs n full-batch updates, each split across the devices.
func (p *Parallel) Steps(first, n int, lr float64, logEvery int) ([]engine.Eval, error) {
	return engine.StepEach(p, p.m, first, n, lr, logEvery)
}

// Prepare runs each device's kernels once and then measures each device's
// speed on a gradient pass over its share of a batch, setting the split of
// later steps in proportion to it (a GPU beside a CPU takes most examples).
func (p *Parallel) Prepare(batch int) error {
	if batch <= 0 || batch > p.m {
		batch = p.m
	}
	times := make([]float64, len(p.reps))
	for i, r := range p.reps {
		x, y, err := r.batch(engine.Batch{Offset: 0, Size: batch})
		if err != nil {
			return p.deviceErr(r, err)
		}
		for run := range 2 { // the first compiles
			start := time.Now()
			if err := r.gradients(x, y, 1/float32(batch), true, true); err != nil {
				return p.deviceErr(r, err)
			}
			if err := r.Sync(); err != nil {
				return p.deviceErr(r, err)
			}
			if run == 1 {
				times[i] = max(time.Since(start).Seconds(), 1e-9)
			}
		}
		if _, err := r.Evaluate(); err != nil {
			return p.deviceErr(r, err)
		}
	}
	if !p.even {
		total := 0.0
		for _, t := range times {
			total += 1 / t
		}
		for i, t := range times {
			p.shares[i] = (1 / t) / total
		}
	}
	// Once more at each device's share: drivers such as PoCL compile a
	// kernel again for each new work size at its first launch.
	first, count := p.split(batch)
	for i, r := range p.reps {
		if count[i] == 0 {
			continue
		}
		x, y, err := r.batch(engine.Batch{Offset: first[i], Size: count[i]})
		if err == nil {
			err = r.gradients(x, y, 1/float32(batch), true, true)
		}
		if err != nil {
			return p.deviceErr(r, err)
		}
	}
	return p.Sync()
}

// Sync waits for every device.
func (p *Parallel) Sync() error { return p.each(func(r *Backend) error { return r.Sync() }) }

// Evaluate returns the cost and accuracy of the parameters on the whole set,
// computed on the first device (the replicas are identical).
func (p *Parallel) Evaluate() (engine.Eval, error) {
	e, err := p.reps[0].Evaluate()
	if err != nil {
		return e, p.deviceErr(p.reps[0], err)
	}
	return e, nil
}

// Params returns the parameters, from the first device.
func (p *Parallel) Params() (engine.Params, error) {
	q, err := p.reps[0].Params()
	if err != nil {
		return q, p.deviceErr(p.reps[0], err)
	}
	return q, nil
}

// Close frees every device's backend.
func (p *Parallel) Close() error {
	var errs []error
	for _, r := range p.reps {
		errs = append(errs, r.Close())
	}
	return errors.Join(errs...)
}

// readGradients copies dW and db of every layer, in that order, into dst,
// waiting for them.
func (o *Backend) readGradients(dst []float32) error {
	return o.eachGradient(dst, func(buf *device.Buffer, part []float32) error { return buf.Read(part) })
}

// writeGradients replaces dW and db of every layer with src, laid out as
// readGradients gives them.
func (o *Backend) writeGradients(src []float32) error {
	return o.eachGradient(src, func(buf *device.Buffer, part []float32) error { return buf.Write(part) })
}

// eachGradient calls f with each gradient buffer and its part of v.
func (o *Backend) eachGradient(v []float32, f func(*device.Buffer, []float32) error) error {
	if len(o.dw) != len(o.w) {
		return errors.New("gradients: the backend stores none (NoFusion is off)")
	}
	at := 0
	for l := range o.w {
		for _, g := range []Mat{o.dw[l], o.db[l]} {
			n := g.Len()
			if at+n > len(v) {
				return fmt.Errorf("gradients: %d values do not hold layer %d", len(v), l+1)
			}
			if err := f(g.Buf, v[at:at+n]); err != nil {
				return fmt.Errorf("gradients of layer %d: %w", l+1, err)
			}
			at += n
		}
	}
	return nil
}
