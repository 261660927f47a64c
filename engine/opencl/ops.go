package opencl

import (
	"fmt"
	"strings"
	"time"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/kernels"
)

// GEMM kernels.
const (
	GemmTiled = "tiled" // gemm.cl: local-memory tiles, for GPUs
	GemmCPU   = "cpu"   // gemm_cpu.cl: register blocks of explicit vectors, for CPU devices
)

// GemmParams choose the GEMM kernel and its blocking. Kernel "" picks
// GemmCPU on CPU devices and GemmTiled elsewhere. The tiled kernel's
// work-group computes a TM×TN tile of C stepping TK along K, each work-item a
// WM×WN block. The CPU kernel's work-item computes RM rows × NV vectors of VW
// floats (NN, TN) or DR×DC dot products (NT). A zero field means
// DefaultGemm's value (see Resolve).
type GemmParams struct {
	Kernel             string
	TM, TN, TK, WM, WN int
	VW, RM, NV, DR, DC int
}

// DefaultGemm is the GEMM configuration used when none is given, and the
// value of every zero field of a GemmParams: the kernel by device type;
// for the tiled kernel tiles of 8×8 work-items of 4×4 outputs each, for the
// CPU kernel 12 rows × 2 vectors of 16 floats (NN, TN) or 4×4 dot products
// (NT) per work-item. It is the one table of defaults: the host passes
// every blocking parameter to the kernels as a -D option, and the kernels'
// own #ifndef defaults (for compiling a file on its own) are checked
// against it by TestGemmDefaultsMatchKernels.
var DefaultGemm = GemmParams{TM: 32, TN: 32, TK: 16, WM: 4, WN: 4, VW: 16, RM: 12, NV: 2, DR: 4, DC: 4}

// Resolve returns p with every zero blocking field replaced by DefaultGemm's
// and the kernel it picks on d named: the configuration that actually runs.
// It is the one place where a zero means "the default".
func (p GemmParams) Resolve(d device.Device) GemmParams {
	r := p.withDefaults()
	r.Kernel = p.kernelFor(d)
	return r
}

// IsDefault reports whether p runs as DefaultGemm does on d.
func (p GemmParams) IsDefault(d device.Device) bool {
	return p.Resolve(d) == DefaultGemm.Resolve(d)
}

// withDefaults returns p with every zero blocking field replaced by
// DefaultGemm's; the kernel is left as it is.
func (p GemmParams) withDefaults() GemmParams {
	def := DefaultGemm
	for _, f := range []struct{ v, def *int }{
		{&p.TM, &def.TM}, {&p.TN, &def.TN}, {&p.TK, &def.TK}, {&p.WM, &def.WM}, {&p.WN, &def.WN},
		{&p.VW, &def.VW}, {&p.RM, &def.RM}, {&p.NV, &def.NV}, {&p.DR, &def.DR}, {&p.DC, &def.DC},
	} {
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
	return p
}

// kernelFor returns the kernel the parameters pick on d.
func (p GemmParams) kernelFor(d device.Device) string {
	if p.Kernel != "" {
		return p.Kernel
	}
	if d.Type == device.CPU {
		return GemmCPU
	}
	return GemmTiled
}

// checkCPU refuses CPU blockings whose accumulators would not fit in 24
// AVX-512 registers (RM·NV·VW or DR·DC·VW floats over 384): they spill to
// the work-item's stack, run slowly, and the widest crash PoCL's compiled
// kernels.
func (p GemmParams) checkCPU() error {
	if p.RM < 0 || p.NV < 0 || p.DR < 0 || p.DC < 0 || p.VW < 0 {
		return fmt.Errorf("gemm blocking %+v: sizes must not be negative", p)
	}
	r := p.withDefaults()
	if r.VW != 4 && r.VW != 8 && r.VW != 16 {
		return fmt.Errorf("gemm vector width %d: want 4, 8 or 16", r.VW)
	}
	if r.RM*r.NV*r.VW > 384 || r.DR*r.DC*r.VW > 384 {
		return fmt.Errorf("gemm blocking %+v: more than 384 accumulators per work-item", p)
	}
	return nil
}

// cpuDefines returns the CPU kernel's blocking defines, resolved: VW, RM
// and NV for gemm_outer, VW, DR and DC for gemm_dot (dot), so that a
// blocking the kernel ignores builds no second program.
func (p GemmParams) cpuDefines(dot bool) map[string]int {
	r := p.withDefaults()
	if dot {
		return map[string]int{"VW": r.VW, "DR": r.DR, "DC": r.DC}
	}
	return map[string]int{"VW": r.VW, "RM": r.RM, "NV": r.NV}
}

// Validate checks that the configuration names a kernel, that the tiling
// divides evenly and fits the device (the tiled kernel also serves the
// transposes the CPU kernel lacks), and that the CPU blocking is sane. Zero
// fields are checked as their defaults.
func (p GemmParams) Validate(d device.Device) error {
	if k := p.kernelFor(d); k != GemmTiled && k != GemmCPU {
		return fmt.Errorf("gemm kernel %q: want %q or %q", p.Kernel, GemmTiled, GemmCPU)
	}
	if err := p.checkCPU(); err != nil {
		return err
	}
	if p.TM < 0 || p.TN < 0 || p.TK < 0 || p.WM < 0 || p.WN < 0 {
		return fmt.Errorf("gemm tiling %+v: sizes must not be negative", p)
	}
	r := p.withDefaults()
	if r.TM%r.WM != 0 || r.TN%r.WN != 0 {
		return fmt.Errorf("gemm tiling %+v: tiles must be multiples of the per-item block", p)
	}
	if wg := (r.TM / r.WM) * (r.TN / r.WN); wg > d.MaxWorkGroupSize {
		return fmt.Errorf("gemm tiling %+v: %d work-items per group, device %s allows %d", p, wg, d.Name, d.MaxWorkGroupSize)
	}
	if local := int64(4 * r.TK * (r.TM + r.TN)); local > d.LocalMemBytes {
		return fmt.Errorf("gemm tiling %+v: %d bytes of local memory, device %s has %d", p, local, d.Name, d.LocalMemBytes)
	}
	return nil
}

// tiledDefines returns the tiled kernel's blocking defines, resolved.
func (p GemmParams) tiledDefines() map[string]int {
	r := p.withDefaults()
	return map[string]int{"TM": r.TM, "TN": r.TN, "TK": r.TK, "WM": r.WM, "WN": r.WN}
}

// Epilogue selects what the GEMM writes (kernels/epilogue.cl).
type Epilogue int

// The GEMM epilogues.
const (
	Linear       Epilogue = iota // C = alpha·op(A)·op(B) + beta·C
	BiasTanh                     // C = tanh(A·B + bias)
	BiasSigmoid                  // C = σ(A·B + bias)
	TanhBackward                 // C = (Aᵀ·B) ⊙ (1 − T²), T the tanh output
	SigmoidSub                   // C = σ(A·B + bias) − Y
	BiasReLU                     // C = max(A·B + bias, 0)
	ReLUBackward                 // C = (Aᵀ·B) where T > 0, else 0; T the ReLU output
)

// Ops launches cltrain's kernels on one context. Programs are built on first
// use and kept, one per set of source files and defines, and every kernel
// of that set is created from the one program, so that a context holds
// each program once. Launches are queued without waiting; Finish or a read
// waits.
type Ops struct {
	c       *device.Context
	gemm    GemmParams
	kernels map[string]*device.Kernel
	// programs holds the built programs by programKey.
	programs map[string]*device.Program
	reduceWG int
	scratch  *device.Buffer // the reductions' partial sums, grown on demand
	tuning   Tuning

	pack [2]*device.Buffer // the packed GEMM's copies of op(A) and op(B) (gemm_packed.go)
	// Buffers marked Immutable, and the packed copies of them kept across
	// calls (gemm_packed.go).
	immutable map[*device.Buffer]bool
	packed    map[packKey]*device.Buffer

	profiling bool
	events    []TimedLaunch
}

// TimedLaunch is one kernel launch recorded while profiling.
type TimedLaunch struct {
	Kernel string
	Event  *device.Event
}

// NewOps prepares the launchers for c with the given GEMM tiling.
func NewOps(c *device.Context, gemm GemmParams) (*Ops, error) {
	if err := gemm.Validate(c.Device); err != nil {
		return nil, err
	}
	wg := 256
	if c.Device.MaxWorkGroupSize < wg {
		wg = c.Device.MaxWorkGroupSize
	}
	return &Ops{c: c, gemm: gemm, kernels: map[string]*device.Kernel{}, programs: map[string]*device.Program{}, reduceWG: wg}, nil
}

// Context returns the context the ops run on.
func (o *Ops) Context() *device.Context { return o.c }

// Release frees every kernel and program built so far.
func (o *Ops) Release() error {
	var first error
	keep := func(err error) {
		if first == nil {
			first = err
		}
	}
	for _, k := range o.kernels {
		keep(k.Release())
	}
	for _, p := range o.programs {
		keep(p.Release())
	}
	if o.scratch != nil {
		keep(o.scratch.Release())
	}
	keep(o.releasePack())
	o.kernels, o.programs, o.scratch = map[string]*device.Kernel{}, map[string]*device.Program{}, nil
	o.DropEvents()
	return first
}

// Profile turns recording of launch events on or off.
func (o *Ops) Profile(on bool) { o.profiling = on }

// Events returns the launches recorded since the last DropEvents.
func (o *Ops) Events() []TimedLaunch { return o.events }

// KernelTime returns the summed run time of the launches recorded since
// the last DropEvents, which must have finished, and drops them.
func (o *Ops) KernelTime() (time.Duration, error) {
	defer o.DropEvents()
	var sum time.Duration
	for _, l := range o.events {
		d, err := l.Event.Duration()
		if err != nil {
			return 0, fmt.Errorf("kernel %s: %w", l.Kernel, err)
		}
		sum += d
	}
	return sum, nil
}

// DropEvents releases the recorded launch events.
func (o *Ops) DropEvents() {
	for _, e := range o.events {
		e.Event.Release()
	}
	o.events = nil
}

// kernel returns the named kernel of files built with defines, creating
// it on first use from the program of those files and defines, which is
// built once (see program) and shared by all its kernels. key identifies
// the variant.
func (o *Ops) kernel(key, name string, defines map[string]int, files ...string) (*device.Kernel, error) {
	if k, ok := o.kernels[key]; ok {
		return k, nil
	}
	p, err := o.program(defines, files...)
	if err != nil {
		return nil, err
	}
	k, err := p.Kernel(name) // the error names the program and the kernel
	if err != nil {
		return nil, err
	}
	o.kernels[key] = k
	return k, nil
}

// programKey names the program of files built with defines: the files in
// order, then the sorted defines.
func programKey(defines map[string]int, files []string) string {
	key := strings.Join(files, "+")
	if d := Defines(defines); d != "" {
		key += " " + d
	}
	return key
}

// program returns the program of files built with defines, building and
// keeping it on first use. Its binary is cached by the device package
// under its source and options, as before.
func (o *Ops) program(defines map[string]int, files ...string) (*device.Program, error) {
	key := programKey(defines, files)
	if p, ok := o.programs[key]; ok {
		return p, nil
	}
	src, err := kernels.Source(files...)
	if err != nil {
		return nil, fmt.Errorf("program %s: %w", key, err)
	}
	p, err := o.c.Build(key, src, "-cl-fast-relaxed-math "+Defines(defines))
	if err != nil {
		return nil, err
	}
	o.programs[key] = p
	return p, nil
}

// paramsFor returns the GEMM configuration for a product's shape class,
// resolved (Resolve): the tuned one when there is one, else the Ops' own.
func (o *Ops) paramsFor(tA, tB bool, m, n, k int) GemmParams {
	if p, ok := o.tuning[ShapeClass(tA, tB, m, n, k)]; ok && p.Validate(o.c.Device) == nil {
		return p.Resolve(o.c.Device)
	}
	return o.gemm.Resolve(o.c.Device)
}

// SetTuning makes the GEMM use t's configuration for the shape classes t
// holds.
func (o *Ops) SetTuning(t Tuning) { o.tuning = t }

func (o *Ops) launch(k *device.Kernel, global, local []int, args ...any) error {
	if err := k.SetArgs(args...); err != nil {
		return err
	}
	if !o.profiling {
		return o.c.Launch(k, global, local)
	}
	ev, err := o.c.LaunchTimed(k, global, local)
	if err != nil {
		return err
	}
	o.events = append(o.events, TimedLaunch{Kernel: k.Name, Event: ev})
	return nil
}

// Gemm computes c = alpha·op(a)·op(b) + beta·c, op transposing when tA or tB.
// beta = 0 never reads c.
func (o *Ops) Gemm(tA, tB bool, alpha float32, a, b Mat, beta float32, c Mat) error {
	return o.runGemm(gemmCall{ep: Linear, tA: tA, tB: tB, alpha: alpha, a: a, b: b, beta: beta, c: c})
}

// GemmBias computes c = act(a·b + bias) for the BiasTanh, BiasSigmoid and
// BiasReLU epilogues, bias holding one value per row of c.
func (o *Ops) GemmBias(act Epilogue, a, b Mat, bias *device.Buffer, c Mat) error {
	if act != BiasTanh && act != BiasSigmoid && act != BiasReLU {
		return fmt.Errorf("gemm epilogue %d: want BiasTanh, BiasSigmoid or BiasReLU", act)
	}
	if bias == nil || bias.Len() < c.Rows {
		return fmt.Errorf("gemm bias: need %d values", c.Rows)
	}
	return o.runGemm(gemmCall{ep: act, alpha: 1, a: a, b: b, c: c, bias: bias})
}

// GemmSigmoidSub computes c = σ(a·b + bias) − y: the output layer's forward
// pass and its gradient dZ = A − Y in one kernel.
func (o *Ops) GemmSigmoidSub(a, b Mat, bias *device.Buffer, y, c Mat) error {
	if bias == nil || bias.Len() < c.Rows || y.Rows != c.Rows || y.Cols != c.Cols {
		return fmt.Errorf("gemm sigmoid-sub: C %s needs %d biases and labels of its shape, got %s", c, c.Rows, y)
	}
	return o.runGemm(gemmCall{ep: SigmoidSub, alpha: 1, a: a, b: b, c: c, bias: bias, aux: y.Buf})
}

// GemmTanhBackward computes c = (wᵀ·dz) ⊙ (1 − t²), the gradient of a tanh
// layer's pre-activation from the next layer's, t being the layer's output.
func (o *Ops) GemmTanhBackward(w, dz, t, c Mat) error {
	if t.Rows != c.Rows || t.Cols != c.Cols {
		return fmt.Errorf("gemm tanh-backward: C %s and activations %s differ", c, t)
	}
	return o.runGemm(gemmCall{ep: TanhBackward, tA: true, alpha: 1, a: w, b: dz, c: c, aux: t.Buf})
}

// GemmUpdate applies the SGD update of a layer from its pre-activation
// gradient: w −= scale·dz·aᵀ and b −= scale·Σ_j dz[:, j], with scale = lr/m,
// without storing dW or db. On CPU devices one kernel does both.
func (o *Ops) GemmUpdate(dz, a Mat, scale float32, w Mat, b *device.Buffer) error {
	if b == nil || b.Len() < w.Rows {
		return fmt.Errorf("gemm update: W %s needs %d biases", w, w.Rows)
	}
	call := gemmCall{ep: Linear, tB: true, alpha: -scale, a: dz, b: a, beta: 1, c: w, rowsum: b}
	if o.paramsFor(false, true, w.Rows, w.Cols, dz.Cols).kernelFor(o.c.Device) != GemmCPU {
		call.rowsum = nil
		if err := o.runGemm(call); err != nil {
			return err
		}
		return o.rowSums(dz, -scale, 1, b)
	}
	return o.runGemm(call)
}

// splitK is the length of the passes the CPU kernel's outer-product form
// splits a longer K into, so that a panel of B (splitK × its column block)
// stays in the L2 cache.
const splitK = 1024

// gemmCall is one GEMM launch: its epilogue, operands and the extra buffers
// the epilogue reads (bias, aux) or the row sums it writes.
type gemmCall struct {
	ep          Epilogue
	tA, tB      bool
	alpha, beta float32
	a, b, c     Mat
	bias, aux   *device.Buffer
	rowsum      *device.Buffer
}

func (o *Ops) runGemm(g gemmCall) error {
	m, k := g.a.Rows, g.a.Cols
	if g.tA {
		m, k = k, m
	}
	kb, n := g.b.Rows, g.b.Cols
	if g.tB {
		kb, n = n, kb
	}
	if k != kb || g.c.Rows != m || g.c.Cols != n {
		return fmt.Errorf("gemm shapes: op(A) %d×%d, op(B) %d×%d, C %s do not match", m, k, kb, n, g.c)
	}
	// Unused pointer arguments must still be valid buffers.
	bias, aux := g.bias, g.aux
	if bias == nil {
		bias = g.c.Buf
	}
	if aux == nil {
		aux = g.c.Buf
	}
	p := o.paramsFor(g.tA, g.tB, m, n, k)
	cpu := p.kernelFor(o.c.Device) == GemmCPU
	if cpu && useRank1(k, g.rowsum != nil) {
		return o.gemmRank1(g, m, n, bias, aux)
	}
	if cpu && usePacked(p, g.tA, g.tB, m, n, k) {
		return o.gemmPacked(g, p, m, n, k, bias, aux)
	}
	var kern *device.Kernel
	var global, local []int
	var err error
	switch {
	case p.kernelFor(o.c.Device) == GemmCPU && !g.tB:
		// Skinny products (the output layer's single row) get a kernel
		// specialised to a row block of 1, 2, 4 or 8 rather than a padded
		// block of RM.
		defs := p.cpuDefines(false)
		rm := defs["RM"]
		for _, small := range []int{1, 2, 4, 8} {
			if m <= small && small < rm {
				rm = small
				break
			}
		}
		defs["RM"], defs["TRANS_A"], defs["EPILOGUE"] = rm, b2i(g.tA), int(g.ep)
		if g.rowsum != nil {
			return fmt.Errorf("gemm: row sums need the NT form")
		}
		if kern, err = o.kernel("gemm_outer "+Defines(defs), "gemm_outer", defs, "epilogue.cl", "gemm_cpu.cl"); err != nil {
			return err
		}
		global = []int{ceilDiv(m, rm), ceilDiv(n, defs["NV"]*defs["VW"])}
		pass := k
		if g.alpha != 0 && k > splitK {
			pass = splitK
		}
		for k0 := 0; k0 < k; k0 += pass {
			k1 := min(k0+pass, k)
			if err := o.launch(kern, global, nil, int32(m), int32(n), int32(k), g.alpha, g.a.Buf, g.b.Buf, g.beta, g.c.Buf, bias, aux, int32(k0), int32(k1)); err != nil {
				return fmt.Errorf("gemm: %w", err)
			}
		}
		return nil
	case p.kernelFor(o.c.Device) == GemmCPU && !g.tA && g.ep == Linear:
		defs := p.cpuDefines(true)
		global = []int{ceilDiv(n, defs["DC"]), ceilDiv(m, defs["DR"])}
		defs["ROWSUM"] = b2i(g.rowsum != nil)
		kern, err = o.kernel("gemm_dot "+Defines(defs), "gemm_dot", defs, "epilogue.cl", "gemm_cpu.cl")
		if g.rowsum != nil {
			aux = g.rowsum
		}
	default:
		if g.rowsum != nil {
			return fmt.Errorf("gemm: row sums need the %s kernel's NT form", GemmCPU)
		}
		defs := p.tiledDefines()
		defs["TRANS_A"], defs["TRANS_B"], defs["EPILOGUE"] = b2i(g.tA), b2i(g.tB), int(g.ep)
		kern, err = o.kernel("gemm "+Defines(defs), "gemm", defs, "epilogue.cl", "gemm.cl")
		rn, rm := p.TN/p.WN, p.TM/p.WM
		global = []int{ceilDiv(n, p.TN) * rn, ceilDiv(m, p.TM) * rm}
		local = []int{rn, rm}
	}
	if err != nil {
		return err
	}
	if err := o.launch(kern, global, local, int32(m), int32(n), int32(k), g.alpha, g.a.Buf, g.b.Buf, g.beta, g.c.Buf, bias, aux); err != nil {
		return fmt.Errorf("gemm: %w", err)
	}
	return nil
}

// BiasTanh computes out = tanh(z + bias) with one bias value per row.
func (o *Ops) BiasTanh(z Mat, bias *device.Buffer, out Mat) error {
	return o.biasAct("bias_tanh", z, bias, out)
}

// BiasSigmoid computes out = σ(z + bias) with one bias value per row.
func (o *Ops) BiasSigmoid(z Mat, bias *device.Buffer, out Mat) error {
	return o.biasAct("bias_sigmoid", z, bias, out)
}

func (o *Ops) biasAct(name string, z Mat, bias *device.Buffer, out Mat) error {
	if z.Rows != out.Rows || z.Cols != out.Cols || bias == nil || bias.Len() < z.Rows {
		return fmt.Errorf("%s: z %s, out %s and a bias of %d rows do not match", name, z, out, z.Rows)
	}
	k, err := o.kernel(name, name, nil, "elementwise.cl")
	if err != nil {
		return err
	}
	return o.launch(k, []int{z.Cols, z.Rows}, nil, int32(z.Rows), int32(z.Cols), z.Buf, bias, out.Buf)
}

// Sub computes out = a − b.
func (o *Ops) Sub(a, b, out Mat) error {
	return o.binary("sub", a, b, out)
}

// TanhBackward computes out = da ⊙ (1 − a²), a being tanh's output.
func (o *Ops) TanhBackward(da, a, out Mat) error {
	return o.binary("tanh_backward", da, a, out)
}

func (o *Ops) binary(name string, a, b, out Mat) error {
	if a.Rows != b.Rows || a.Cols != b.Cols || a.Rows != out.Rows || a.Cols != out.Cols {
		return fmt.Errorf("%s: shapes %s, %s, %s differ", name, a, b, out)
	}
	k, err := o.kernel(name, name, nil, "elementwise.cl")
	if err != nil {
		return err
	}
	return o.launch(k, []int{a.Len()}, nil, int32(a.Len()), a.Buf, b.Buf, out.Buf)
}

// SGD computes w −= lr·dw over the first n elements.
func (o *Ops) SGD(w, dw *device.Buffer, n int, lr float32) error {
	if w.Len() < n || dw.Len() < n {
		return fmt.Errorf("sgd: %d elements, buffers hold %d and %d", n, w.Len(), dw.Len())
	}
	k, err := o.kernel("sgd", "sgd", nil, "elementwise.cl")
	if err != nil {
		return err
	}
	return o.launch(k, []int{n}, nil, int32(n), lr, w, dw)
}

// GatherCols copies the columns idx[off], …, idx[off+dst.Cols−1] of src into
// dst.
func (o *Ops) GatherCols(src Mat, idx *device.Buffer, off int, dst Mat) error {
	if src.Rows != dst.Rows || off < 0 || idx.Len() < off+dst.Cols {
		return fmt.Errorf("gather_cols: src %s, dst %s, indices %d+%d of %d", src, dst, off, dst.Cols, idx.Len())
	}
	k, err := o.kernel("gather_cols", "gather_cols", nil, "elementwise.cl")
	if err != nil {
		return err
	}
	return o.launch(k, []int{dst.Cols, dst.Rows}, nil, int32(dst.Rows), int32(dst.Cols), int32(src.Cols), idx, int32(off), src.Buf, dst.Buf)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TinyMaxParams bounds the networks TinyTrain takes: every work-item keeps
// a share of each of the network's parameters' gradients in registers.
const TinyMaxParams = 256

// TinyFits reports whether TinyTrain can train a network of nx inputs and nh
// hidden units.
func TinyFits(nx, nh int) bool { return nx > 0 && nh > 0 && nh*(nx+2)+1 <= TinyMaxParams }

// TinyVector returns the columns a work-item of TinyTrain handles at once on
// d: a vector of 16 on CPU devices, one on GPUs (whose work-items are the
// lanes).
func TinyVector(d device.Device) int {
	if d.Type == device.CPU {
		return 16
	}
	return 1
}

// TinyTrain runs steps full-batch iterations of a one-hidden-layer network
// (W1 nh×nx, b1 nh×1, W2 1×nh, b2 1×1) on x (nx×m) and y (1×m) in one launch
// of one work-group of wg work-items. Iteration s counts as step first+s;
// the cost and accuracy of each step divisible by logEvery are written to
// evals as pairs, in order.
func (o *Ops) TinyTrain(x, y Mat, w1, b1, w2, b2 Mat, first, steps, logEvery int, lr float32, wg int, evals *device.Buffer) error {
	nx, m := x.Rows, x.Cols
	nh := w1.Rows
	if !TinyFits(nx, nh) || w1.Cols != nx || b1.Rows != nh || w2.Rows != 1 || w2.Cols != nh || b2.Len() != 1 || y.Cols != m {
		return fmt.Errorf("tiny_train: x %s, y %s, W1 %s, b1 %s, W2 %s, b2 %s do not form a fitting one-hidden-layer network", x, y, w1, b1, w2, b2)
	}
	logged := Evaluated(first, steps, logEvery)
	if evals.Len() < 2*logged {
		return fmt.Errorf("tiny_train: %d evaluated steps need %d values, the buffer holds %d", logged, 2*logged, evals.Len())
	}
	defs := map[string]int{"NX": nx, "NH": nh, "TVW": TinyVector(o.c.Device)}
	k, err := o.kernel("tiny_train "+Defines(defs), "tiny_train", defs, "tiny.cl")
	if err != nil {
		return err
	}
	nr := nh*(nx+2) + 1 + 2
	return o.launch(k, []int{wg}, []int{wg}, int32(m), int32(first), int32(steps), int32(logEvery), lr,
		x.Buf, y.Buf, w1.Buf, b1.Buf, w2.Buf, b2.Buf, evals, device.Local(4*wg*nr))
}

// Evaluated returns how many of the steps first … first+steps−1 are
// divisible by logEvery.
func Evaluated(first, steps, logEvery int) int {
	if steps <= 0 {
		return 0
	}
	upTo := func(n int) int { // multiples of logEvery in 0 … n−1
		if n <= 0 {
			return 0
		}
		return (n-1)/logEvery + 1
	}
	return upTo(first+steps) - upTo(first)
}
