package opencl

import (
	"fmt"

	"github.com/cltrain/cltrain/device"
)

// The packed GEMM (kernels/gemm_packed.cl) serves the large products of
// CPU devices: op(A) and op(B) are first copied into row blocks and column
// panels that the product then reads as two contiguous streams, for every
// transpose but TT.

// packedSplitK is the length of the passes a K over twice as long is split
// into, so that a work-group's GM row blocks and one column panel of a pass
// (GM·RM + CN floats per k: 1 MiB at 2048) come from a core's L2 rather
// than memory. Shorter K runs in one pass: the passes' extra reads and
// writes of C cost more there than they save (docs/PERF.md, "GEMM toward
// the ceiling").
const packedSplitK = 2048

// packK is the run of k one packing work-item copies (PK in the kernel).
const packK = 256

// packRows is the run of rows of an untransposed B one pack_b work-item
// copies whole, into every panel (PR in the kernel).
const packRows = 8

// usePacked reports whether the CPU device runs the product in the packed
// form: every form but TT, once op(A) fills a row block and the work
// (M·N·K) is worth two extra launches; smaller and skinnier products keep
// gemm_outer and gemm_dot, which specialise the row block to the rows
// there are.
func usePacked(p GemmParams, tA, tB bool, m, n, k int) bool {
	return !(tA && tB) && m >= p.RM && n >= 2 && k >= 1 && int64(m)*int64(n)*int64(k) >= 1<<20
}

// packBuffer returns the Ops' packing buffer i (0: op(A), 1: op(B)) holding
// at least n floats, regrown when it is smaller.
func (o *Ops) packBuffer(i, n int) (*device.Buffer, error) {
	if b := o.pack[i]; b != nil && b.Len() >= n {
		return b, nil
	}
	if o.pack[i] != nil {
		if err := o.pack[i].Release(); err != nil {
			return nil, err
		}
		o.pack[i] = nil
	}
	b, err := o.c.NewBuffer(n)
	if err != nil {
		return nil, fmt.Errorf("gemm packing buffer: %w", err)
	}
	o.pack[i] = b
	return b, nil
}

// releasePack frees the packing buffers and the kept packed copies, and
// forgets which buffers were marked Immutable.
func (o *Ops) releasePack() error {
	var first error
	for i, b := range o.pack {
		if b != nil {
			if err := b.Release(); err != nil && first == nil {
				first = err
			}
			o.pack[i] = nil
		}
	}
	for key, b := range o.packed {
		if err := b.Release(); err != nil && first == nil {
			first = err
		}
		delete(o.packed, key)
	}
	o.immutable = nil
	return first
}

// packKey names a kept packed copy of an Immutable buffer: the buffer, the
// operand it was packed as (0: op(A), 1: op(B)), whether op transposes it,
// op's shape (M×K for A, K×N for B) and the blocking that fixes the
// layout. A copy is used only for the very same key.
type packKey struct {
	buf        *device.Buffer
	role       int
	trans      bool
	rows, cols int
	rm, nv, vw int
}

// Immutable marks buf as holding values that will not change until
// Mutable(buf) is called or the Ops is released. The packed GEMM then packs
// it once per role, transpose, shape and blocking, into buffers of its own,
// and reuses that copy in the later products that read it the same way;
// every buffer not marked is packed at every call. The caller must call
// Mutable before it writes to buf or releases it. The backend marks its
// full-batch training set, which Load writes once.
func (o *Ops) Immutable(buf *device.Buffer) {
	if buf == nil {
		return
	}
	if o.immutable == nil {
		o.immutable = map[*device.Buffer]bool{}
	}
	o.immutable[buf] = true
}

// Mutable unmarks buf and frees its kept packed copies (products already
// queued keep them alive until they are done, by OpenCL's reference count).
func (o *Ops) Mutable(buf *device.Buffer) error {
	delete(o.immutable, buf)
	var first error
	for key, b := range o.packed {
		if key.buf == buf {
			if err := b.Release(); err != nil && first == nil {
				first = err
			}
			delete(o.packed, key)
		}
	}
	return first
}

// packedCopies returns how many packed copies of Immutable buffers the Ops
// keeps, and their floats.
func (o *Ops) packedCopies() (copies, floats int) {
	for _, b := range o.packed {
		copies++
		floats += b.Len()
	}
	return copies, floats
}

// packTarget returns the buffer operand i (0: op(A), 1: op(B)), stored in
// buf and of shape rows×cols after op, is to be packed into, holding n
// floats, and whether it holds that packing already: buf's kept copy when
// buf is marked Immutable and keep is set (packed into it first when new),
// else the shared packing buffer i.
func (o *Ops) packTarget(i int, buf *device.Buffer, trans bool, rows, cols, n int, defs map[string]int, keep bool) (*device.Buffer, bool, error) {
	if !keep || !o.immutable[buf] || buf.Handle() == 0 {
		b, err := o.packBuffer(i, n)
		return b, false, err
	}
	key := packKey{buf: buf, role: i, trans: trans, rows: rows, cols: cols, rm: defs["RM"], nv: defs["NV"], vw: defs["VW"]}
	if b, ok := o.packed[key]; ok {
		return b, true, nil
	}
	b, err := o.c.NewBuffer(n)
	if err != nil {
		return nil, false, fmt.Errorf("gemm packed copy: %w", err)
	}
	if o.packed == nil {
		o.packed = map[packKey]*device.Buffer{}
	}
	o.packed[key] = b
	return b, false, nil
}

// dropPacked forgets and frees the kept copy b when packing into it failed.
func (o *Ops) dropPacked(b *device.Buffer) {
	for key, v := range o.packed {
		if v == b {
			delete(o.packed, key)
			b.Release()
		}
	}
}

// gemmPacked runs g (an m×n×k product, usePacked) as pack_a, pack_b and
// gemm_packed, with bias and aux the epilogue's buffers.
func (o *Ops) gemmPacked(g gemmCall, p GemmParams, m, n, k int, bias, aux *device.Buffer) error {
	defs := p.packedDefines()
	rm, cn := defs["RM"], defs["NV"]*defs["VW"]
	mb, nb := ceilDiv(m, rm), ceilDiv(n, cn)
	// pack_a with row sums has work besides the copy: never skipped.
	// A new kept copy is packed before anything else can fail, or
	// dropped.
	ap, aDone, err := o.packTarget(0, g.a.Buf, g.tA, m, k, mb*rm*k, defs, g.rowsum == nil)
	if err != nil {
		return err
	}
	if !aDone {
		if err := o.packA(g, defs, m, k, mb, ap); err != nil {
			o.dropPacked(ap)
			return err
		}
	}
	bp, bDone, err := o.packTarget(1, g.b.Buf, g.tB, k, n, nb*cn*k, defs, true)
	if err != nil {
		return err
	}
	if !bDone {
		if err := o.packB(g, defs, n, k, nb, bp); err != nil {
			o.dropPacked(bp)
			return err
		}
	}
	mDefs := map[string]int{"RM": rm, "VW": defs["VW"], "NV": defs["NV"], "EPILOGUE": int(g.ep)}
	kern, err := o.kernel("gemm_packed "+Defines(mDefs), "gemm_packed", mDefs, "epilogue.cl", "gemm_packed.cl")
	if err != nil {
		return err
	}
	gm, gn := packedGroup(mb, nb, defs["GM"], defs["GN"], o.c.Device.ComputeUnits)
	global := []int{ceilDiv(mb, gm) * gm, ceilDiv(nb, gn) * gn}
	pass := k
	if g.alpha != 0 && k > 2*packedSplitK {
		pass = ceilDiv(k, ceilDiv(k, packedSplitK))
	}
	for k0 := 0; k0 < k; k0 += pass {
		k1 := min(k0+pass, k)
		if err := o.launch(kern, global, []int{gm, gn}, int32(m), int32(n), int32(k), g.alpha, ap, bp, g.beta, g.c.Buf, bias, aux, int32(k0), int32(k1)); err != nil {
			return fmt.Errorf("gemm: %w", err)
		}
	}
	return nil
}

// packA queues pack_a of g's op(A) (m×k, mb row blocks) into ap, with the
// row sums when g has them.
func (o *Ops) packA(g gemmCall, defs map[string]int, m, k, mb int, ap *device.Buffer) error {
	rm := defs["RM"]
	aDefs := map[string]int{"RM": rm, "VW": defs["VW"], "NV": defs["NV"], "TRANS_A": b2i(g.tA), "ROWSUM": b2i(g.rowsum != nil)}
	packA, err := o.kernel("pack_a "+Defines(aDefs), "pack_a", aDefs, "epilogue.cl", "gemm_packed.cl")
	if err != nil {
		return err
	}
	rowsum := g.c.Buf
	kchunks := ceilDiv(k, packK)
	if g.rowsum != nil {
		rowsum, kchunks = g.rowsum, 1
	}
	if err := o.launch(packA, []int{kchunks, mb}, []int{1, 1}, int32(m), int32(k), g.alpha, g.a.Buf, ap, g.beta, rowsum); err != nil {
		return fmt.Errorf("gemm pack_a: %w", err)
	}
	return nil
}

// packB queues pack_b of g's op(B) (k×n, nb column panels) into bp: by
// runs of k and panels when B is transposed, by whole rows of B when not.
func (o *Ops) packB(g gemmCall, defs map[string]int, n, k, nb int, bp *device.Buffer) error {
	rm := defs["RM"]
	bDefs := map[string]int{"RM": rm, "VW": defs["VW"], "NV": defs["NV"], "TRANS_B": b2i(g.tB)}
	packB, err := o.kernel("pack_b "+Defines(bDefs), "pack_b", bDefs, "epilogue.cl", "gemm_packed.cl")
	if err != nil {
		return err
	}
	global := []int{ceilDiv(k, packK), nb}
	if !g.tB {
		global = []int{ceilDiv(k, packRows), 1}
	}
	if err := o.launch(packB, global, []int{1, 1}, int32(n), int32(k), g.b.Buf, bp); err != nil {
		return fmt.Errorf("gemm pack_b: %w", err)
	}
	return nil
}

// packedDefines returns the packed kernels' blocking, resolved: the
// register block (VW, RM, NV, as gemm_outer's) and the work-group of
// GM×GN work-items.
func (p GemmParams) packedDefines() map[string]int {
	r := p.withDefaults()
	return map[string]int{"VW": r.VW, "RM": r.RM, "NV": r.NV, "GM": 8, "GN": 8}
}

// packedGroup returns the work-group (gm × gn work-items) the packed GEMM
// runs a grid of mb row blocks × nb column panels in: the blocking's
// gm0 × gn0 where that gives at least 8 work-groups per compute unit, so
// that uneven edge groups even out among many. A smaller grid is cut into
// equal groups instead, a whole number of them per unit, of 32 to 128
// work-items and sides within 4× of each other (about as many as
// gm0 × gn0 and with about as much reuse), the squarest such shape; when
// there is none, gm0 × gn0 again. (dZ1·Xᵀ of 784-256-8192, 22 × 25: eight
// groups of 8 × 8 and four smaller ones before, ten of 11 × 5 now, about a
// fifth faster: docs/PERF.md.)
func packedGroup(mb, nb, gm0, gn0, units int) (gm, gn int) {
	gm, gn = min(gm0, mb), min(gn0, nb)
	units = max(units, 1)
	if ceilDiv(mb, gm)*ceilDiv(nb, gn) >= 8*units {
		return gm, gn
	}
	best := 0.25
	for a := 1; a <= mb; a++ {
		for b := 1; b <= nb; b++ {
			size := a * b
			if mb%a != 0 || nb%b != 0 || size < 32 || size > 128 || (mb/a)*(nb/b)%units != 0 {
				continue
			}
			// Squareness: 1 for a = b, smaller the more unequal.
			sq := float64(min(a, b)) / float64(max(a, b))
			if sq >= best {
				best, gm, gn = sq, a, b
			}
		}
	}
	return gm, gn
}
