package opencl

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/internal/atomicfile"
	"github.com/cltrain/cltrain/kernels"
)

// Tuning maps GEMM shape classes (see ShapeClass) to the configuration that
// ran fastest there on one device. A class it lacks runs the default.
type Tuning map[string]GemmParams

// ShapeClass names the tuning class of an M×N×K product with the given
// transposes: its form ("NN", "NT", "TN", "TT") and "small" when its work
// (M·N·K) is under 2^24, else "large".
func ShapeClass(tA, tB bool, m, n, k int) string {
	form := map[[2]bool]string{{false, false}: "NN", {false, true}: "NT", {true, false}: "TN", {true, true}: "TT"}[[2]bool{tA, tB}]
	if int64(m)*int64(n)*int64(k) < 1<<24 {
		return form + "/small"
	}
	return form + "/large"
}

// gemmFiles are the kernel files the GEMM builds (runGemm), after
// common.cl: a tuning holds for these sources only.
var gemmFiles = []string{"epilogue.cl", "gemm.cl", "gemm_cpu.cl", "gemm_packed.cl"}

// gemmSourceHash returns a short hash of the GEMM's kernel sources as
// source (kernels.Source) joins them: editing any other kernel file leaves
// it alone.
func gemmSourceHash(source func(files ...string) (string, error)) (string, error) {
	src, err := source(gemmFiles...)
	if err != nil {
		return "", fmt.Errorf("gemm sources: %w", err)
	}
	h := sha256.Sum256([]byte(src))
	return hex.EncodeToString(h[:8]), nil
}

// tuningName returns the name of the file holding the tuning of device d,
// its driver and the GEMM sources of hash sources.
func tuningName(d device.Device, sources string) string {
	h := sha256.Sum256([]byte(d.Platform + "\x00" + d.Name + "\x00" + d.DriverVersion + "\x00" + sources))
	return hex.EncodeToString(h[:8]) + ".json"
}

// tuningDir returns the folder of the tuning files: cltrain/tuning in the
// user cache folder.
func tuningDir() (string, error) {
	dir := device.CacheDir()
	if dir == "" {
		return "", errors.New("no user cache folder (or the cache is off)")
	}
	return filepath.Join(filepath.Dir(dir), "tuning"), nil
}

// tuningFile is what a tuning file holds: the tuning and the facts its
// lookup matches on.
type tuningFile struct {
	Platform string      `json:"platform"`
	Device   string      `json:"device"`
	Vendor   string      `json:"vendor"`
	Type     device.Kind `json:"type"`
	Driver   string      `json:"driver_version"`
	Sources  string      `json:"gemm_sources"` // gemmSourceHash
	Saved    time.Time   `json:"saved"`
	Classes  Tuning      `json:"classes"`
}

// exact reports whether f was tuned on d, its driver and the GEMM sources
// of hash sources.
func (f tuningFile) exact(d device.Device, sources string) bool {
	return f.Sources == sources && f.Platform == d.Platform && f.Device == d.Name && f.Driver == d.DriverVersion
}

// similar reports whether f was tuned on the GEMM sources of hash sources
// on a device of d's vendor and type.
func (f tuningFile) similar(d device.Device, sources string) bool {
	return f.Sources == sources && f.Vendor == d.Vendor && f.Type == d.Type && f.Classes != nil
}

// TuningMatch says how a stored tuning matched a device.
type TuningMatch int

// The matches, worst first.
const (
	// Untuned: no stored tuning matched; the defaults apply.
	Untuned TuningMatch = iota
	// SimilarDevice: tuned on another device of the same vendor and type
	// (or the same device under another driver or platform), with the same
	// GEMM sources.
	SimilarDevice
	// ThisDevice: tuned on this device and driver, with the same GEMM
	// sources.
	ThisDevice
)

// TuningSource says where LoadTuningFrom found a device's tuning.
type TuningSource struct {
	Match  TuningMatch
	Path   string    // the tuning file; "" when Untuned
	Device string    // the device it was tuned on
	Saved  time.Time // when it was saved
}

// String says where the tuning came from in a few words.
func (s TuningSource) String() string {
	switch s.Match {
	case ThisDevice:
		return "tuned on this device (" + s.Path + ")"
	case SimilarDevice:
		return fmt.Sprintf("tuned on %s, a device of the same vendor and type (%s)", s.Device, s.Path)
	}
	return "untuned"
}

// LoadTuning returns the tuning LoadTuningFrom finds for d, or an empty
// Tuning when none matches.
func LoadTuning(d device.Device) (Tuning, error) {
	t, _, err := LoadTuningFrom(d)
	return t, err
}

// LoadTuningFrom returns the tuning stored for d and where it came from.
// Only tunings of the current GEMM kernel sources count. It looks up, in
// order: the tuning of d itself (its platform, name and driver); else,
// among the stored tunings of devices of d's vendor and type, one of a
// device of d's name (another driver or platform) if there is one, else
// the most recently saved; else none, an empty Tuning (the defaults). A
// damaged file of d's own is an error; a damaged file of another device is
// skipped.
func LoadTuningFrom(d device.Device) (Tuning, TuningSource, error) {
	dir, err := tuningDir()
	if err != nil {
		return Tuning{}, TuningSource{}, nil
	}
	sources, err := gemmSourceHash(kernels.Source)
	if err != nil {
		return nil, TuningSource{}, fmt.Errorf("load tuning: %w", err)
	}
	own := filepath.Join(dir, tuningName(d, sources))
	f, err := readTuningFile(own)
	switch {
	case err == nil && f.exact(d, sources):
		return nonNil(f.Classes), TuningSource{Match: ThisDevice, Path: own, Device: f.Device, Saved: f.Saved}, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, TuningSource{}, err
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, TuningSource{}, fmt.Errorf("load tuning: %w", err)
	}
	sort.Strings(paths) // ties of name and time go to the first path
	var best TuningSource
	var bestClasses Tuning
	for _, p := range paths {
		f, err := readTuningFile(p)
		if err != nil || p == own || !f.similar(d, sources) {
			continue
		}
		s := TuningSource{Match: SimilarDevice, Path: p, Device: f.Device, Saved: f.Saved}
		if best.Match == Untuned || closer(s, best, d.Name) {
			best, bestClasses = s, f.Classes
		}
	}
	if best.Match == Untuned {
		return Tuning{}, TuningSource{}, nil
	}
	return bestClasses, best, nil
}

// closer reports whether tuning source a is a better stand-in than b for
// the device named name: the same name first, then the more recent.
func closer(a, b TuningSource, name string) bool {
	if (a.Device == name) != (b.Device == name) {
		return a.Device == name
	}
	return a.Saved.After(b.Saved)
}

func nonNil(t Tuning) Tuning {
	if t == nil {
		return Tuning{}
	}
	return t
}

// readTuningFile reads and decodes one tuning file.
func readTuningFile(path string) (tuningFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return tuningFile{}, fmt.Errorf("read tuning: %w", err)
	}
	var f tuningFile
	if err := json.Unmarshal(b, &f); err != nil {
		return tuningFile{}, fmt.Errorf("read tuning %s: %w", path, err)
	}
	return f, nil
}

// Save stores t as the tuning of d, its driver and the current GEMM
// sources, atomically, with what LoadTuningFrom matches on, and returns the
// file's path.
func (t Tuning) Save(d device.Device) (string, error) {
	dir, err := tuningDir()
	if err != nil {
		return "", fmt.Errorf("save tuning: %w", err)
	}
	sources, err := gemmSourceHash(kernels.Source)
	if err != nil {
		return "", fmt.Errorf("save tuning: %w", err)
	}
	path := filepath.Join(dir, tuningName(d, sources))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("save tuning: %w", err)
	}
	f := tuningFile{Platform: d.Platform, Device: d.Name, Vendor: d.Vendor, Type: d.Type, Driver: d.DriverVersion,
		Sources: sources, Saved: time.Now().UTC(), Classes: nonNil(t)}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return "", fmt.Errorf("save tuning: %w", err)
	}
	if err := atomicfile.WriteBytes(path, append(b, '\n')); err != nil {
		return "", fmt.Errorf("save tuning: %w", err)
	}
	return path, nil
}

// TuneOp is the Ops call a TuneCase times.
type TuneOp string

// The calls the tuner times: the GEMMs of a training step (Backend.Step)
// with their epilogues, and the plain product.
const (
	OpGemm     TuneOp = "gemm"     // Gemm, C = op(A)·op(B): the output logits of the cost, or any form
	OpForward  TuneOp = "forward"  // GemmBias with BiasTanh: a hidden layer's W·X (NN)
	OpOutput   TuneOp = "output"   // GemmSigmoidSub: the output layer's W·A and dZ (NN)
	OpBackward TuneOp = "backward" // GemmTanhBackward: Wᵀ·dZ through tanh (TN)
	OpUpdate   TuneOp = "update"   // GemmUpdate: W −= s·dZ·Aᵀ and the biases (NT)
)

// TuneCase is one GEMM the tuner times: an Ops call on an M×N×K product,
// the training step it is part of, and the configurations to try (nil:
// Candidates).
type TuneCase struct {
	Op         TuneOp // "" is OpGemm
	TA, TB     bool   // OpGemm's transposes; the other calls have their own
	M, N, K    int
	Step       string // the step configuration it belongs to, such as "784-256-8192"
	Candidates []GemmParams
}

// form returns the case's transposes.
func (c TuneCase) form() (tA, tB bool) {
	switch c.Op {
	case OpForward, OpOutput:
		return false, false
	case OpBackward:
		return true, false
	case OpUpdate:
		return false, true
	}
	return c.TA, c.TB
}

// Class returns the case's shape class.
func (c TuneCase) Class() string {
	tA, tB := c.form()
	return ShapeClass(tA, tB, c.M, c.N, c.K)
}

// Shape returns the product's size, M×N×K.
func (c TuneCase) Shape() string { return fmt.Sprintf("%d×%d×%d", c.M, c.N, c.K) }

func (c TuneCase) flops() float64 { return 2 * float64(c.M) * float64(c.N) * float64(c.K) }

// TrainingCases returns the GEMMs of one full-batch training step
// (Backend.Step with eval: forward, cost, backward, update) of the network
// with the given layer sizes (inputs, hidden layers, output) on m examples,
// each as the Ops call it is, named after the step as cltrain bench names
// it ("784-256-8192").
func TrainingCases(sizes []int, m int) []TuneCase {
	L := len(sizes) - 1
	names := make([]string, 0, L+1)
	for _, s := range sizes[:L] {
		names = append(names, fmt.Sprint(s))
	}
	step := strings.Join(append(names, fmt.Sprint(m)), "-")
	var cs []TuneCase
	add := func(op TuneOp, rows, cols, k int) {
		cs = append(cs, TuneCase{Op: op, M: rows, N: cols, K: k, Step: step})
	}
	for l := 0; l < L-1; l++ {
		add(OpForward, sizes[l+1], m, sizes[l])
	}
	add(OpGemm, sizes[L], m, sizes[L-1]) // the cost's logits
	add(OpOutput, sizes[L], m, sizes[L-1])
	for l := L - 1; l >= 0; l-- {
		if l > 0 {
			add(OpBackward, sizes[l], m, sizes[l+1])
		}
		add(OpUpdate, sizes[l+1], sizes[l], m)
	}
	return cs
}

// Candidates returns the configurations the tuner tries on d for products
// of the given transposes: register blockings of the CPU kernels on CPU
// devices (rows and vectors for the outer-product forms and the packed
// GEMM, which runs the large products of every form, and the dot-product
// block for NT's small products), tilings of the tiled kernel on other
// devices.
func Candidates(d device.Device, tA, tB bool) []GemmParams {
	var out []GemmParams
	if d.Type == device.CPU && !(tA && tB) {
		for _, vw := range []int{8, 16} {
			if tB { // gemm_dot
				for _, dd := range [][2]int{{2, 2}, {2, 4}, {4, 4}, {4, 8}, {8, 4}} {
					if p := (GemmParams{Kernel: GemmCPU, VW: vw, DR: dd[0], DC: dd[1]}); p.checkCPU() == nil {
						out = append(out, p)
					}
				}
			}
			for _, rm := range []int{4, 6, 8, 12, 16} {
				for _, nv := range []int{1, 2, 4} {
					if p := (GemmParams{Kernel: GemmCPU, VW: vw, RM: rm, NV: nv}); p.checkCPU() == nil {
						out = append(out, p)
					}
				}
			}
		}
		return out
	}
	for _, t := range [][5]int{{32, 32, 16, 4, 4}, {64, 64, 16, 8, 8}, {64, 64, 8, 4, 4}, {128, 64, 16, 8, 8}, {64, 128, 16, 8, 8}, {32, 64, 16, 4, 8}, {16, 16, 16, 2, 2}} {
		p := GemmParams{Kernel: GemmTiled, TM: t[0], TN: t[1], TK: t[2], WM: t[3], WN: t[4]}
		if p.Validate(d) == nil {
			out = append(out, p)
		}
	}
	return out
}

// TuneResult is one configuration's median time on one case.
type TuneResult struct {
	Class   string        `json:"class"`
	Step    string        `json:"step,omitempty"`
	Op      TuneOp        `json:"op"`
	Shape   string        `json:"shape"`
	Params  GemmParams    `json:"params"`
	Default bool          `json:"default"`
	Median  time.Duration `json:"median_ns"`
	GFLOPS  float64       `json:"gflops"`
	// Dropped: the first timed run took over dropFactor times the
	// default's median, so it ran no more; Median is that run.
	Dropped bool `json:"dropped,omitempty"`
	// Confirm: timed in the confirming round, the default against the
	// class's winner.
	Confirm bool   `json:"confirm,omitempty"`
	Err     string `json:"error,omitempty"`
}

// TuneClass is the tuner's verdict on one shape class.
type TuneClass struct {
	Class string `json:"class"`
	Cases int    `json:"cases"`
	// Default is the default's medians summed over the class's cases, Time
	// Best's, both from the confirming round when there was one.
	Default time.Duration `json:"default_ns"`
	Best    GemmParams    `json:"best"`
	Time    time.Duration `json:"best_ns"`
	// Tuned: Best replaces the default; else Best is the default.
	Tuned bool `json:"tuned"`
}

// TuneReport is what Tune found: the tuning to store, a verdict per class
// and every time measured.
type TuneReport struct {
	Tuning  Tuning       `json:"best"`
	Classes []TuneClass  `json:"classes"`
	Results []TuneResult `json:"results"`
}

const (
	// tuneMargin is how much faster than the default over a class's cases
	// a configuration must be to replace it: timing noise must not.
	tuneMargin = 0.05
	// dropFactor stops timing a configuration on a case whose first run
	// takes this many times the default's median.
	dropFactor = 2
)

// Tune chooses, per shape class of the cases, the configuration that runs
// the class's cases fastest, and keeps the default (DefaultGemm) unless one
// is clearly faster. Cases no configuration changes (products with K = 1 on
// CPU devices, which run as gemm_rank1) are left out. Each configuration
// runs each case once to warm up, then runs times; its time on a case is the
// median of the summed kernel times of each run, every launch of the call
// counted (a GEMM split into K passes, the update's row sums). A
// configuration replaces the default for a class only when, over the class's
// cases, it takes under 1 − tuneMargin of the default's time and, summed
// over the cases of each training step (TuneCase.Step), no longer than the
// default — measured once among all candidates and again, in a confirming
// round, against the default alone. progress, when set, sees each result.
func Tune(c *device.Context, cases []TuneCase, runs int, progress func(TuneResult)) (TuneReport, error) {
	if runs < 1 {
		return TuneReport{}, fmt.Errorf("tune: %d runs: want at least 1", runs)
	}
	rep := TuneReport{Tuning: Tuning{}}
	report := func(r TuneResult) {
		rep.Results = append(rep.Results, r)
		if progress != nil {
			progress(r)
		}
	}
	def := DefaultGemm.Resolve(c.Device)
	var order []string
	byClass := map[string][]TuneCase{}
	cands := map[string][]GemmParams{} // per class, of its first case
	for _, tc := range cases {
		if tc.M < 1 || tc.N < 1 || tc.K < 1 {
			return rep, fmt.Errorf("tune: case %s %s: sizes must be positive", tc.Op, tc.Shape())
		}
		if def.kernelFor(c.Device) == GemmCPU && useRank1(tc.K, tc.op() == OpUpdate) {
			// gemm_rank1 whatever the configuration: timing it would
			// only pick a winner by noise for its class.
			continue
		}
		if _, ok := byClass[tc.Class()]; !ok {
			order = append(order, tc.Class())
			cands[tc.Class()] = tc.Candidates
			if tc.Candidates == nil {
				tA, tB := tc.form()
				cands[tc.Class()] = Candidates(c.Device, tA, tB)
			}
		}
		byClass[tc.Class()] = append(byClass[tc.Class()], tc)
	}
	for _, class := range order {
		cs := byClass[class]
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].flops() < cs[j].flops() }) // cheap cases drop the slow first
		configs := []GemmParams{def}
		for _, p := range cands[class] {
			r := p.Resolve(c.Device)
			if !containsParams(configs, r) {
				configs = append(configs, r)
			}
		}
		times, err := timeClass(c, configs, cs, runs, false, report)
		if err != nil {
			return rep, err
		}
		verdict := TuneClass{Class: class, Cases: len(cs), Default: sum(times[0]), Best: def, Time: sum(times[0])}
		if best := pick(times, cs); best > 0 {
			// Confirm against the default alone, the winner timed again.
			again, err := timeClass(c, []GemmParams{def, configs[best]}, cs, runs, true, report)
			if err != nil {
				return rep, err
			}
			verdict.Default, verdict.Time = sum(again[0]), sum(again[0])
			if pick(again, cs) == 1 {
				verdict.Best, verdict.Time, verdict.Tuned = configs[best], sum(again[1]), true
				rep.Tuning[class] = configs[best]
			}
		}
		rep.Classes = append(rep.Classes, verdict)
	}
	return rep, nil
}

func containsParams(ps []GemmParams, p GemmParams) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// timeClass times every configuration on every case, configs[0] being the
// default, and reports each result (marked as confirming when confirm): times[i][j] is configs[i]'s median on cs[j], or -1 once it
// failed or was dropped on a case (it runs no more cases then). An error of
// the default's is the error.
func timeClass(c *device.Context, configs []GemmParams, cs []TuneCase, runs int, confirm bool, report func(TuneResult)) ([][]time.Duration, error) {
	times := make([][]time.Duration, len(configs))
	ops := make([]*Ops, len(configs))
	defer func() {
		for _, o := range ops {
			if o != nil {
				o.Release()
			}
		}
	}()
	for i, p := range configs {
		times[i] = make([]time.Duration, len(cs))
		o, err := NewOps(c, p)
		if err != nil {
			if i == 0 {
				return nil, fmt.Errorf("tune: default gemm: %w", err)
			}
			for j := range cs {
				times[i][j] = -1
			}
			report(TuneResult{Class: cs[0].Class(), Params: p, Confirm: confirm, Err: err.Error()})
			continue
		}
		ops[i] = o
	}
	for j, tc := range cs {
		x, err := newTuneOperands(c, tc)
		if err != nil {
			return nil, err
		}
		for i, p := range configs {
			if ops[i] == nil || (j > 0 && times[i][j-1] < 0) {
				times[i][j] = -1
				continue
			}
			stop := time.Duration(0)
			if i > 0 {
				stop = dropFactor * times[0][j]
			}
			t, err := timeCall(ops[i], func() error { return x.run(ops[i], tc) }, runs, stop)
			d := t.median
			r := TuneResult{Class: tc.Class(), Step: tc.Step, Op: tc.op(), Shape: tc.Shape(), Params: p, Default: i == 0, Median: d, Confirm: confirm}
			switch {
			case err != nil && i == 0:
				x.release()
				return nil, fmt.Errorf("tune: default gemm on %s %s: %w", tc.op(), tc.Shape(), err)
			case err != nil:
				r.Err, d = err.Error(), -1
			case t.runs < runs:
				r.Dropped, d = true, -1
			}
			if d > 0 {
				r.GFLOPS = tc.flops() / d.Seconds() / 1e9
			}
			times[i][j] = d
			report(r)
		}
		x.release()
	}
	return times, nil
}

// pick returns the index of the fastest configuration of times (from
// timeClass) that may replace the default, configs[0]: one that ran every
// case, takes under 1 − tuneMargin of the default's total, and on the cases
// of each step no longer than the default; 0 when none may.
func pick(times [][]time.Duration, cs []TuneCase) int {
	best, bestTotal := 0, time.Duration(float64(sum(times[0]))*(1-tuneMargin))
	for i := 1; i < len(times); i++ {
		if total := sum(times[i]); total >= 0 && total < bestTotal && noStepSlower(times[i], times[0], cs) {
			best, bestTotal = i, total
		}
	}
	return best
}

// noStepSlower reports whether t takes no longer than def summed over the
// cases of each step of cs.
func noStepSlower(t, def []time.Duration, cs []TuneCase) bool {
	steps := map[string]time.Duration{}
	for j, tc := range cs {
		steps[tc.Step] += t[j] - def[j]
	}
	for _, d := range steps {
		if d > 0 {
			return false
		}
	}
	return true
}

// sum returns the total of ts, or -1 when one is negative.
func sum(ts []time.Duration) time.Duration {
	var s time.Duration
	for _, t := range ts {
		if t < 0 {
			return -1
		}
		s += t
	}
	return s
}

// callTime is what timeCall measured.
type callTime struct {
	median   time.Duration // of the runs' summed kernel times
	runs     int           // runs timed
	launches int           // kernel launches of the last run
}

// timeCall runs call once to warm up (and build its kernels), then up to
// runs times, each waited for, and returns the median of the summed kernel
// times of every launch a run made, how many runs were timed (it stops
// after the first when that took over stop, when stop > 0) and how many
// launches the last made.
func timeCall(o *Ops, call func() error, runs int, stop time.Duration) (callTime, error) {
	c := o.Context()
	o.Profile(false)
	defer o.Profile(false)
	if err := call(); err != nil {
		return callTime{}, err
	}
	if err := c.Finish(); err != nil {
		return callTime{}, err
	}
	o.DropEvents()
	o.Profile(true)
	var t callTime
	times := make([]time.Duration, 0, runs)
	for i := 0; i < runs; i++ {
		if err := call(); err != nil {
			o.DropEvents()
			return callTime{}, err
		}
		if err := c.Finish(); err != nil {
			o.DropEvents()
			return callTime{}, err
		}
		t.launches = len(o.Events())
		d, err := o.KernelTime()
		if err != nil {
			return callTime{}, err
		}
		times = append(times, d)
		if i == 0 && stop > 0 && d > stop {
			break
		}
	}
	t.median, t.runs = median(times), len(times)
	return t, nil
}

// op returns the case's call, OpGemm for "".
func (c TuneCase) op() TuneOp {
	if c.Op == "" {
		return OpGemm
	}
	return c.Op
}

// tuneOperands are the buffers of one case's call.
type tuneOperands struct {
	a, b, c, aux Mat
	bias         *device.Buffer
}

// newTuneOperands allocates and fills the operands of a case: A and B of
// the product, C, and what the epilogue reads (a bias per row of C, labels
// or activations of C's shape).
func newTuneOperands(c *device.Context, tc TuneCase) (x tuneOperands, err error) {
	tA, tB := tc.form()
	ar, ac := tc.M, tc.K
	if tA {
		ar, ac = ac, ar
	}
	br, bc := tc.K, tc.N
	if tB {
		br, bc = bc, br
	}
	fill := func(dst *Mat, r, cols int) error {
		if *dst, err = NewMat(c, r, cols); err != nil {
			return err
		}
		v := make([]float32, r*cols)
		for i := range v {
			v[i] = float32(i%13)/13 - 0.5
		}
		return dst.Buf.Write(v)
	}
	for _, m := range []struct {
		dst  *Mat
		r, c int
	}{{&x.a, ar, ac}, {&x.b, br, bc}, {&x.c, tc.M, tc.N}, {&x.aux, tc.M, tc.N}} {
		if err := fill(m.dst, m.r, m.c); err != nil {
			x.release()
			return x, fmt.Errorf("tune operands of %s %s: %w", tc.op(), tc.Shape(), err)
		}
	}
	var bias Mat
	if err := fill(&bias, tc.M, 1); err != nil {
		x.release()
		return x, fmt.Errorf("tune operands of %s %s: %w", tc.op(), tc.Shape(), err)
	}
	x.bias = bias.Buf
	return x, nil
}

// run queues the case's call on o.
func (x tuneOperands) run(o *Ops, tc TuneCase) error {
	switch tc.op() {
	case OpForward:
		return o.GemmBias(BiasTanh, x.a, x.b, x.bias, x.c)
	case OpOutput:
		return o.GemmSigmoidSub(x.a, x.b, x.bias, x.aux, x.c)
	case OpBackward:
		return o.GemmTanhBackward(x.a, x.b, x.aux, x.c)
	case OpUpdate:
		// A small step, so that repeated runs keep W bounded.
		return o.GemmUpdate(x.a, x.b, 1e-3/float32(tc.K), x.c, x.bias)
	case OpGemm:
		return o.Gemm(tc.TA, tc.TB, 1, x.a, x.b, 0, x.c)
	}
	return fmt.Errorf("tune: unknown call %q", tc.Op)
}

// release frees the operands.
func (x tuneOperands) release() {
	for _, m := range []Mat{x.a, x.b, x.c, x.aux} {
		if m.Buf != nil {
			m.Release()
		}
	}
	if x.bias != nil {
		x.bias.Release()
	}
}
