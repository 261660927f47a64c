package opencl

import (
	"fmt"

	"github.com/cltrain/cltrain/device"
)

// The reductions (kernels/reduce.cl) run in two stages: stage one gives
// each chunk of a row a work-group, and when a row has several chunks their
// partial sums go to the Ops' scratch buffer, which a second, small launch
// adds in order. Results are deterministic: the partition depends only on
// the shape and the device.

// reduceGroupsPerUnit is how many work-groups a reduction aims for per
// compute unit, so that every unit has work and the last ones to finish
// wait little.
const reduceGroupsPerUnit = 4

// reduceMinVectors is the fewest vector loads per work-item a chunk is cut
// down to: below it, a work-group's start and its final sum cost more than
// its loads.
const reduceMinVectors = 4

// reducePlan is how a reduction over rows × cols is cut.
type reducePlan struct {
	wg     int // work-items per group
	vw     int // RVW: the vector width of the loads
	chunk  int // columns per work-group, a multiple of vw
	chunks int // work-groups per row; 1 finishes in one launch
}

// planReduce cuts rows × cols for a device of units compute units and
// work-groups of wg items loading vw-wide vectors: one chunk per row when
// the rows alone give every unit reduceGroupsPerUnit groups, otherwise as
// many chunks per row as make up that number, but none shorter than
// reduceMinVectors vectors per work-item.
func planReduce(rows, cols, units, wg, vw int) reducePlan {
	p := reducePlan{wg: wg, vw: vw, chunks: 1}
	target := reduceGroupsPerUnit * max(units, 1)

	if rows < target {
		p.chunks = max(1, min(ceilDiv(target, max(rows, 1)), cols/(wg*vw*reduceMinVectors)))
	}
	p.chunk = max(vw, ceilDiv(ceilDiv(cols, p.chunks), vw)*vw)
	p.chunks = max(1, ceilDiv(cols, p.chunk))
	return p
}

// reducePlanFor returns the plan of a reduction over rows × cols on the
// Ops' device. On CPU devices a work-group is one work-item loading
// 16-wide vectors: PoCL runs a work-group's items one after another on one
// thread, so more items would only stride its walk through the chunk and
// add the barriers of the group's sum (docs/PERF.md, "Speed, round two").
// Elsewhere groups of up to 256 items load 4-wide vectors, neighbours
// reading neighbouring vectors.
func (o *Ops) reducePlanFor(rows, cols int) reducePlan {
	wg, vw := o.reduceWG, 4
	if o.c.Device.Type == device.CPU {
		wg, vw = 1, 16
	}
	return planReduce(rows, cols, o.c.Device.ComputeUnits, wg, vw)
}

// scratchFor returns the Ops' scratch buffer, grown to hold n floats.
func (o *Ops) scratchFor(n int) (*device.Buffer, error) {
	n = max(n, 1)
	if o.scratch != nil && o.scratch.Len() >= n {
		return o.scratch, nil
	}
	b, err := o.c.NewBuffer(max(n, 2*lenOf(o.scratch)))
	if err != nil {
		return nil, fmt.Errorf("reduction scratch of %d floats: %w", n, err)
	}
	if o.scratch != nil {
		// Launches queued before still hold the old buffer; OpenCL frees
		// it once they are done.
		if err := o.scratch.Release(); err != nil {
			b.Release()
			return nil, fmt.Errorf("reduction scratch: %w", err)
		}
	}
	o.scratch = b
	return b, nil
}

func lenOf(b *device.Buffer) int {
	if b == nil {
		return 0
	}
	return b.Len()
}

// reduceKernel returns the named kernel of reduce.cl built for vector
// width vw.
func (o *Ops) reduceKernel(name string, vw int) (*device.Kernel, error) {
	defs := map[string]int{"RVW": vw}
	return o.kernel(name+" "+Defines(defs), name, defs, "reduce.cl")
}

// RowSums computes out[i] = scale·Σ_j a[i, j].
func (o *Ops) RowSums(a Mat, scale float32, out *device.Buffer) error {
	return o.rowSums(a, scale, 0, out)
}

// rowSums computes out[i] = scale·Σ_j a[i, j] + beta·out[i].
func (o *Ops) rowSums(a Mat, scale, beta float32, out *device.Buffer) error {
	if out.Len() < a.Rows {
		return fmt.Errorf("row_sums: %s input, output holds %d", a, out.Len())
	}
	if a.Rows == 0 {
		return nil
	}
	p := o.reducePlanFor(a.Rows, a.Cols)
	k, err := o.reduceKernel("row_sums", p.vw)
	if err != nil {
		return fmt.Errorf("row_sums: %w", err)
	}
	part, err := o.scratchFor(p.chunks * a.Rows)
	if err != nil {
		return fmt.Errorf("row_sums: %w", err)
	}
	if err := o.launch(k, []int{p.chunks * p.wg, a.Rows}, []int{p.wg, 1}, int32(a.Rows), int32(a.Cols), int32(p.chunk),
		scale, beta, a.Buf, out, part, device.Local(4*p.wg)); err != nil {
		return fmt.Errorf("row_sums: %w", err)
	}
	if p.chunks == 1 {
		return nil
	}
	fin, err := o.reduceKernel("row_sums_finish", p.vw)
	if err != nil {
		return fmt.Errorf("row_sums: %w", err)
	}
	if err := o.launch(fin, []int{a.Rows}, nil, int32(a.Rows), int32(p.chunks), scale, beta, part, out); err != nil {
		return fmt.Errorf("row_sums_finish: %w", err)
	}
	return nil
}

// Cost writes to out[0] the binary cross-entropy of labels y (1×m) given the
// logits z + bias[0] (z 1×m), computed stably from the logits, and to out[1]
// the accuracy of the predictions z + bias[0] > 0.
func (o *Ops) Cost(z Mat, bias *device.Buffer, y Mat, out *device.Buffer) error {
	if z.Rows != 1 || y.Rows != 1 || z.Cols != y.Cols || out.Len() < 2 {
		return fmt.Errorf("bce_cost: logits %s and labels %s must both be 1×m, out hold 2 values", z, y)
	}
	p := o.reducePlanFor(1, z.Cols)
	k, err := o.reduceKernel("bce_cost", p.vw)
	if err != nil {
		return fmt.Errorf("bce_cost: %w", err)
	}
	part, err := o.scratchFor(2 * p.chunks)
	if err != nil {
		return fmt.Errorf("bce_cost: %w", err)
	}
	if err := o.launch(k, []int{p.chunks * p.wg}, []int{p.wg}, int32(z.Cols), int32(p.chunk), z.Buf, bias, y.Buf,
		out, part, device.Local(4*p.wg)); err != nil {
		return fmt.Errorf("bce_cost: %w", err)
	}
	if p.chunks == 1 {
		return nil
	}
	fin, err := o.reduceKernel("pair_finish", p.vw)
	if err != nil {
		return fmt.Errorf("bce_cost: %w", err)
	}
	if err := o.launch(fin, []int{1}, nil, int32(z.Cols), int32(p.chunks), part, out); err != nil {
		return fmt.Errorf("bce_cost: pair_finish: %w", err)
	}
	return nil
}
