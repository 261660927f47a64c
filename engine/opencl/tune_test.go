package opencl

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/internal/cltest"
	"github.com/cltrain/cltrain/kernels"
)

func TestShapeClass(t *testing.T) {
	for _, tc := range []struct {
		tA, tB  bool
		m, n, k int
		want    string
	}{
		{false, false, 1024, 1024, 1024, "NN/large"},
		{false, true, 4, 2, 400, "NT/small"},
		{true, false, 256, 256, 256, "TN/large"},
		{true, true, 255, 256, 256, "TT/small"},
	} {
		if got := ShapeClass(tc.tA, tc.tB, tc.m, tc.n, tc.k); got != tc.want {
			t.Errorf("ShapeClass(%v, %v, %d, %d, %d) = %s, want %s", tc.tA, tc.tB, tc.m, tc.n, tc.k, got, tc.want)
		}
	}
}

// kernelDefaults returns the #ifndef NAME / #define NAME value defaults of
// an embedded kernel file.
func kernelDefaults(t *testing.T, file string) map[string]int {
	t.Helper()
	src, err := kernels.Source(file)
	if err != nil {
		t.Fatal(err)
	}
	common, err := kernels.Source()
	if err != nil {
		t.Fatal(err)
	}
	src = strings.TrimPrefix(src, common)
	defs := map[string]int{}
	re := regexp.MustCompile(`(?m)^#ifndef (\w+)\s*\n#define (\w+) (-?\d+)\s*$`)
	for _, m := range re.FindAllStringSubmatch(src, -1) {
		if m[1] != m[2] {
			t.Errorf("%s: #ifndef %s defines %s", file, m[1], m[2])
			continue
		}
		v, _ := strconv.Atoi(m[3])
		defs[m[1]] = v
	}
	return defs
}

// TestGemmDefaultsMatchKernels checks that the GEMM kernels' own #ifndef
// defaults are DefaultGemm's, that DefaultGemm leaves no field to a
// kernel's default, and that the host passes every blocking parameter.
func TestGemmDefaultsMatchKernels(t *testing.T) {
	def := DefaultGemm
	want := map[string]map[string]int{
		"gemm.cl":        {"TM": def.TM, "TN": def.TN, "TK": def.TK, "WM": def.WM, "WN": def.WN},
		"gemm_cpu.cl":    {"VW": def.VW, "RM": def.RM, "NV": def.NV, "DR": def.DR, "DC": def.DC},
		"gemm_packed.cl": {"VW": def.VW, "RM": def.RM, "NV": def.NV},
	}
	for file, w := range want {
		got := kernelDefaults(t, file)
		for name, v := range w {
			if g, ok := got[name]; !ok {
				t.Errorf("%s: no #ifndef default for %s", file, name)
			} else if g != v {
				t.Errorf("%s: #define %s %d, DefaultGemm has %d", file, name, g, v)
			}
		}
	}
	if got := (GemmParams{}).withDefaults(); got != DefaultGemm {
		t.Errorf("the zero GemmParams resolve to %+v, want DefaultGemm %+v", got, DefaultGemm)
	}
	for name, v := range def.withDefaults().tiledDefines() {
		if v == 0 {
			t.Errorf("DefaultGemm leaves %s to the kernel", name)
		}
	}
	for _, dot := range []bool{false, true} {
		defs := (GemmParams{}).cpuDefines(dot)
		for _, name := range map[bool][]string{false: {"VW", "RM", "NV"}, true: {"VW", "DR", "DC"}}[dot] {
			if defs[name] == 0 {
				t.Errorf("cpuDefines(dot=%v) leaves %s to the kernel: %v", dot, name, defs)
			}
		}
	}
	if got := (GemmParams{}).tiledDefines(); len(got) != 5 || got["TM"] != def.TM {
		t.Errorf("tiledDefines of the zero GemmParams = %v", got)
	}
}

func TestIsDefault(t *testing.T) {
	cpu := device.Device{Info: device.Info{Type: device.CPU, MaxWorkGroupSize: 1024, LocalMemBytes: 1 << 20}}
	gpu := device.Device{Info: device.Info{Type: device.GPU, MaxWorkGroupSize: 1024, LocalMemBytes: 1 << 20}}
	for _, tc := range []struct {
		p    GemmParams
		d    device.Device
		want bool
	}{
		{GemmParams{}, cpu, true},
		{DefaultGemm, gpu, true},
		{GemmParams{Kernel: GemmCPU, VW: 16, RM: 12, NV: 2}, cpu, true},
		{GemmParams{Kernel: GemmCPU, VW: 16, RM: 12, NV: 2}, gpu, false}, // the GPU's default kernel is the tiled one
		{GemmParams{Kernel: GemmCPU, RM: 8}, cpu, false},
		{GemmParams{DC: 8}, cpu, false},
		{GemmParams{Kernel: GemmTiled}, cpu, false},
		{GemmParams{TM: 64, WM: 8}, gpu, false},
	} {
		if got := tc.p.IsDefault(tc.d); got != tc.want {
			t.Errorf("%+v.IsDefault(%v) = %v, want %v", tc.p, tc.d.Type, got, tc.want)
		}
	}
}

// TestTuningKeyGemmSourcesOnly checks that the tuning file's name changes
// with the GEMM's kernel sources and with nothing else of the kernels.
func TestTuningKeyGemmSourcesOnly(t *testing.T) {
	common, err := kernels.Source()
	if err != nil {
		t.Fatal(err)
	}
	raw := func(name string) string {
		s, err := kernels.Source(name)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimPrefix(s, common)
	}
	// edited returns kernels.Source over the embedded files, file edited.
	edited := func(file string) func(files ...string) (string, error) {
		return func(files ...string) (string, error) {
			var b strings.Builder
			for _, f := range append([]string{"common.cl"}, files...) {
				s := common
				if f != "common.cl" {
					s = raw(f)
				}
				if f == file {
					s += "// edited\n"
				}
				b.WriteString(s)
			}
			return b.String(), nil
		}
	}
	d := device.Device{Info: device.Info{Platform: "P", Name: "N", DriverVersion: "1"}}
	key := func(source func(files ...string) (string, error)) string {
		h, err := gemmSourceHash(source)
		if err != nil {
			t.Fatal(err)
		}
		return tuningName(d, h)
	}
	base := key(kernels.Source)
	if got := key(edited("")); got != base {
		t.Fatalf("the stand-in sources give key %s, kernels.Source %s", got, base)
	}
	for _, f := range []string{"elementwise.cl", "reduce.cl", "tiny.cl"} {
		if got := key(edited(f)); got != base {
			t.Errorf("editing %s changed the tuning key", f)
		}
	}
	for _, f := range []string{"gemm_cpu.cl", "gemm_packed.cl", "gemm.cl", "epilogue.cl", "common.cl"} {
		if got := key(edited(f)); got == base {
			t.Errorf("editing %s left the tuning key as it was", f)
		}
	}
	other := d
	other.DriverVersion = "2"
	h, _ := gemmSourceHash(kernels.Source)
	if tuningName(other, h) == base {
		t.Error("another driver gives the same tuning key")
	}
}

// TestTuningFallback stores tunings of made-up devices and checks which
// LoadTuningFrom returns: the device's own first, else one of the same
// vendor and type (the same name first, then the most recent), never one
// of another vendor, type or kernel source.
func TestTuningFallback(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv(device.EnvNoCache, "")
	dev := func(name, vendor string, kind device.Kind, driver string) device.Device {
		return device.Device{Info: device.Info{Platform: "Plat", Name: name, Vendor: vendor, Type: kind, DriverVersion: driver}}
	}
	me := dev("Chip A", "Acme", device.CPU, "1.0")
	mark := func(rm int) Tuning { return Tuning{"NN/large": {Kernel: GemmCPU, RM: rm}} }
	save := func(d device.Device, tu Tuning) string {
		t.Helper()
		path, err := tu.Save(d)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // distinct save times
		return path
	}
	check := func(what string, wantMatch TuningMatch, wantRM int, wantPath string) {
		t.Helper()
		tu, src, err := LoadTuningFrom(me)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if src.Match != wantMatch || tu["NN/large"].RM != wantRM || src.Path != wantPath {
			t.Errorf("%s: got %+v from %+v, want match %d, RM %d, path %s", what, tu, src, wantMatch, wantRM, wantPath)
		}
		if lt, err := LoadTuning(me); err != nil || lt["NN/large"].RM != wantRM {
			t.Errorf("%s: LoadTuning = %+v, %v", what, lt, err)
		}
	}
	check("nothing stored", Untuned, 0, "")

	save(dev("Chip Z", "Other", device.CPU, "1.0"), mark(1))
	save(dev("Chip B", "Acme", device.GPU, "1.0"), mark(2))
	dir, _ := tuningDir()
	stale := tuningFile{Platform: "Plat", Device: "Chip C", Vendor: "Acme", Type: device.CPU, Driver: "1.0",
		Sources: "other kernels", Saved: time.Now(), Classes: mark(3)}
	writeJSON(t, filepath.Join(dir, "stale.json"), stale)
	if err := os.WriteFile(filepath.Join(dir, "damaged.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	check("other vendor, other type, other sources, damaged", Untuned, 0, "")

	sameName := save(dev("Chip A", "Acme", device.CPU, "0.9"), mark(4))
	save(dev("Chip D", "Acme", device.CPU, "1.0"), mark(5))
	check("same name under another driver before a more recent other chip", SimilarDevice, 4, sameName)
	if err := os.Remove(sameName); err != nil {
		t.Fatal(err)
	}
	older := save(dev("Chip E", "Acme", device.CPU, "1.0"), mark(6))
	check("the most recent of the same vendor and type", SimilarDevice, 6, older)

	own := save(me, mark(7))
	check("own tuning", ThisDevice, 7, own)
	save(me, Tuning{})
	check("own empty tuning (the defaults measured best)", ThisDevice, 0, own)

	if err := os.WriteFile(own, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadTuningFrom(me); err == nil {
		t.Error("a damaged own tuning file loaded without an error")
	}
}

func writeJSON(t *testing.T, path string, v tuningFile) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTimeCallCountsEveryPass times an NN product long enough in K for
// the CPU kernel's three passes and checks that every pass is counted: the
// launches summed, and a time over that of the last pass alone.
func TestTimeCallCountsEveryPass(t *testing.T) {
	c := cltest.Context(t)
	tc := TuneCase{M: 64, N: 256, K: 3 * splitK}
	x, err := newTuneOperands(c, tc)
	if err != nil {
		t.Fatal(err)
	}
	defer x.release()
	o, err := NewOps(c, GemmParams{Kernel: GemmCPU})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Release()
	call := func() error { return x.run(o, tc) }
	got, err := timeCall(o, call, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got.launches != 3 || got.runs != 3 {
		t.Fatalf("timeCall = %+v, want 3 runs of 3 launches (K = %d in passes of %d)", got, tc.K, splitK)
	}
	// The last pass alone, as the tuner timed it before.
	var last time.Duration
	for i := 0; i < 3; i++ {
		o.Profile(true)
		if err := call(); err != nil {
			t.Fatal(err)
		}
		if err := c.Finish(); err != nil {
			t.Fatal(err)
		}
		ev := o.Events()
		d, err := ev[len(ev)-1].Event.Duration()
		if err != nil {
			t.Fatal(err)
		}
		o.DropEvents()
		if i == 0 || d < last {
			last = d
		}
	}
	o.Profile(false)
	// Three passes of equal work: their sum stays over one pass alone
	// through any plausible noise (the launch count above is the exact check).
	if got.median <= last {
		t.Errorf("timeCall's median %v is not over the last pass alone (%v): passes left out", got.median, last)
	}
}

// TestPick checks the selection rule on made-up times: a configuration
// replaces the default only when clearly faster in all and slower on no
// step.
func TestPick(t *testing.T) {
	cs := []TuneCase{{Step: "a"}, {Step: "a"}, {Step: "b"}}
	ms := func(v ...float64) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x * float64(time.Millisecond))
		}
		return out
	}
	def := ms(1, 1, 10)
	for _, tc := range []struct {
		name  string
		times [][]time.Duration
		want  int
	}{
		{"no candidate", [][]time.Duration{def}, 0},
		{"faster everywhere", [][]time.Duration{def, ms(0.9, 0.9, 8)}, 1},
		{"within the margin", [][]time.Duration{def, ms(1, 1, 9.7)}, 0},
		{"faster in all, slower on step a", [][]time.Duration{def, ms(1.5, 1, 6)}, 0},
		{"slower on a case, not on its step", [][]time.Duration{def, ms(1.2, 0.7, 8)}, 1},
		{"dropped", [][]time.Duration{def, {ms(0.5)[0], -1, -1}}, 0},
		{"the fastest that qualifies", [][]time.Duration{def, ms(0.9, 0.9, 8), ms(2, 2, 5), ms(0.8, 0.8, 7)}, 3},
		{"equal", [][]time.Duration{def, def}, 0},
	} {
		if got := pick(tc.times, cs); got != tc.want {
			t.Errorf("%s: pick = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestTuneKeepsTheDefault tunes a class with one slow candidate and checks
// that the default stays, and that Ops use a stored configuration for its
// class only.
func TestTuneKeepsTheDefault(t *testing.T) {
	c := cltest.Context(t)
	slow := GemmParams{Kernel: GemmTiled, TM: 8, TN: 8, TK: 4, WM: 1, WN: 1}
	if c.Device.Type != device.CPU {
		slow = GemmParams{Kernel: GemmCPU, VW: 4, RM: 1, NV: 1}
	}
	cases := []TuneCase{
		{Op: OpForward, M: 32, N: 512, K: 64, Step: "64-32-512", Candidates: []GemmParams{slow, DefaultGemm}},
		{Op: OpOutput, M: 1, N: 512, K: 32, Step: "64-32-512"},
	}
	var seen []TuneResult
	rep, err := Tune(c, cases, 1, func(r TuneResult) { seen = append(seen, r) })
	if err != nil {
		t.Fatal(err)
	}
	// The default is deduplicated: two configurations on two cases.
	if len(rep.Results) != 4 || len(seen) != 4 {
		t.Fatalf("results %+v, want the default and the slow candidate on both cases", rep.Results)
	}
	for _, r := range rep.Results {
		if r.Err != "" || r.Median <= 0 || r.Default != r.Params.IsDefault(c.Device) {
			t.Errorf("result %+v", r)
		}
	}
	if len(rep.Tuning) != 0 || len(rep.Classes) != 1 || rep.Classes[0].Tuned || !rep.Classes[0].Best.IsDefault(c.Device) {
		t.Fatalf("tuning %+v, classes %+v: want the default kept", rep.Tuning, rep.Classes)
	}
	class := cases[0].Class()
	o, err := NewOps(c, DefaultGemm)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Release()
	o.SetTuning(Tuning{class: slow})
	if got := o.paramsFor(false, false, 32, 512, 64); got != slow.Resolve(c.Device) {
		t.Errorf("paramsFor the tuned class = %+v, want %+v", got, slow)
	}
	if got := o.paramsFor(false, false, 1024, 1024, 1024); !got.IsDefault(c.Device) {
		t.Errorf("paramsFor an untuned class = %+v, want the default", got)
	}
}

// TestTuneLeavesOutRank1 checks that the tuner times no configuration on
// a CPU device's products with K = 1, which run as gemm_rank1 whatever the
// configuration, so that their class gets no winner chosen by noise; the
// update with K = 1 (row sums: the packed or dot form) is still tuned.
func TestTuneLeavesOutRank1(t *testing.T) {
	c := cpuContext(t)
	other := GemmParams{Kernel: GemmCPU, VW: 8, RM: 4, NV: 1, DR: 2, DC: 2}
	cases := []TuneCase{
		{Op: OpBackward, M: 300, N: 4096, K: 1, Step: "x", Candidates: []GemmParams{other}},
		{Op: OpUpdate, M: 300, N: 20, K: 1, Step: "x", Candidates: []GemmParams{other}},
	}
	rep, err := Tune(c, cases, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if r.Op == OpBackward {
			t.Errorf("the rank-one backward product was timed: %+v", r)
		}
	}
	if len(rep.Classes) != 1 || rep.Classes[0].Class != cases[1].Class() || len(rep.Results) < 2 {
		t.Errorf("classes %+v, %d results: want the update's class alone, both configurations timed", rep.Classes, len(rep.Results))
	}
}

// TestTrainingCases checks the GEMMs of a step of a one-hidden-layer
// network, as Backend.Step runs them.
func TestTrainingCases(t *testing.T) {
	got := TrainingCases([]int{784, 256, 1}, 8192)
	want := []struct {
		op      TuneOp
		class   string
		m, n, k int
	}{
		{OpForward, "NN/large", 256, 8192, 784},
		{OpGemm, "NN/small", 1, 8192, 256},
		{OpOutput, "NN/small", 1, 8192, 256},
		{OpBackward, "TN/small", 256, 8192, 1},
		{OpUpdate, "NT/small", 1, 256, 8192},
		{OpUpdate, "NT/large", 256, 784, 8192},
	}
	if len(got) != len(want) {
		t.Fatalf("TrainingCases = %+v", got)
	}
	for i, w := range want {
		g := got[i]
		if g.op() != w.op || g.Class() != w.class || g.M != w.m || g.N != w.n || g.K != w.k || g.Step != "784-256-8192" {
			t.Errorf("case %d = %+v (%s), want %+v", i, g, g.Class(), w)
		}
	}
}

// TestCompareSteps times a small step untuned and tuned.
func TestCompareSteps(t *testing.T) {
	d := cltest.Device(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	st, err := CompareSteps(d, Tuning{"NN/small": {Kernel: GemmCPU, VW: 8, RM: 4, NV: 1}}, []int{8, 16, 1}, 100, 1)
	if err != nil {
		t.Fatal(err)
	}
	if st.Step != "8-16-100" || st.Default <= 0 || st.Tuned <= 0 {
		t.Errorf("CompareSteps = %+v", st)
	}
	if _, err := CompareSteps(d, nil, []int{8, 1}, 100, 1); err == nil {
		t.Error("a network without a hidden layer was timed")
	}
}

// TestCPUBlockingLimit checks that blockings with more accumulators than
// registers are refused, and that the tuner never proposes one.
func TestCPUBlockingLimit(t *testing.T) {
	for _, tc := range []struct {
		p  GemmParams
		ok bool
	}{
		{GemmParams{}, true},
		{GemmParams{VW: 16, RM: 12, NV: 2}, true},
		{GemmParams{VW: 16, RM: 16, NV: 2}, false},
		{GemmParams{VW: 16, DR: 4, DC: 8}, false},
		{GemmParams{VW: 8, DR: 4, DC: 8}, true},
		{GemmParams{RM: 16, NV: 2}, false}, // VW's default, 16, counts
		{GemmParams{VW: 5}, false},
		{GemmParams{RM: -1}, false},
	} {
		if err := tc.p.checkCPU(); (err == nil) != tc.ok {
			t.Errorf("checkCPU(%+v) = %v, want ok=%v", tc.p, err, tc.ok)
		}
	}
	d := cltest.Device(t)
	d.Type = device.CPU
	for _, tB := range []bool{false, true} {
		for _, p := range Candidates(d, false, tB) {
			if err := p.checkCPU(); err != nil {
				t.Errorf("candidate %+v: %v", p, err)
			}
		}
	}
}
