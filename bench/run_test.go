package bench

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cltrain/cltrain/cpuref/openblas"
	"github.com/cltrain/cltrain/engine"
	"github.com/cltrain/cltrain/internal/cltest"
)

// tinyOptions is a whole run at toy sizes, without CLBlast (TestCLBlastRows
// runs it). The shapes share their row counts so that few kernel variants
// need compiling.
func tinyOptions(t *testing.T) Options {
	o := DefaultOptions(cltest.Device(t))
	o.Runs, o.Warmup, o.MinRuns = 2, 1, 2
	o.GemmSizes = []int{8}
	o.Elements, o.ElementRows = []int{64}, 4
	o.Steps = []StepConfig{{NX: 4, NH: 8, M: 64}, {NX: 4, NH: 8, M: 32}, {NX: 4, NH: 8, M: 32, Hidden: engine.ReLU, Classes: 3, Optimizer: engine.Adam}}
	o.GemmSteps = o.Steps
	o.FlowerIters = 20
	o.PeakTarget, o.CopyElements = time.Millisecond, 1024
	o.CLBlastLibrary = "none"
	return o
}

// TestRunTiny runs every group at toy sizes and checks that every backend
// has a measured row in each, with the derived figures, and that the
// outputs hold them.
func TestRunTiny(t *testing.T) {
	o := tinyOptions(t)
	var log bytes.Buffer
	o.Log = &log
	r, err := Run(o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Peak.GFLOPS <= 0 || r.Peak.CopyGBps <= 0 {
		t.Errorf("peak %+v: want positive rates", r.Peak)
	}
	if loop, _, _ := fmaLoop(); (loop != nil) != (r.Peak.Hardware.GFLOPS > 0) {
		t.Errorf("hardware peak %+v: want one exactly where there is an FMA loop", r.Peak.Hardware)
	}
	want := []string{CPU32Gonum, CPU64Gonum, OpenCL}
	if _, err := openblas.Load(); err == nil {
		want = append(want, CPU32OpenBLAS)
		if r.OpenBLAS == nil || r.OpenBLAS.Name == "" {
			t.Errorf("OpenBLAS loaded, but its kernel set is not named: %+v", r.OpenBLAS)
		}
	}
	for _, b := range r.Backends {
		if b.Name == "" || !slices.Contains(want, b.ID) {
			t.Errorf("backend %+v: unnamed or unexpected", b)
		}
	}
	byGroup := map[string]map[string]int{}
	for _, row := range r.Rows {
		if row.Error != "" || row.Runs != 2 || !(row.Rate > 0) || !(row.OfPeak > 0) || !(row.VsCPU32 > 0) {
			t.Errorf("row %+v: want 2 runs, no error and positive figures", row)
		}
		if (row.Backend == OpenCL) != (row.Kernel != nil) {
			t.Errorf("row %s %s: kernel time %v, want one exactly for opencl", row.Case, row.Backend, row.Kernel)
		}
		if row.Backend == CPU32Gonum && row.VsCPU32 != 1 {
			t.Errorf("row %s: the ratio base is %v times itself", row.Case, row.VsCPU32)
		}
		if byGroup[row.Group] == nil {
			byGroup[row.Group] = map[string]int{}
		}
		byGroup[row.Group][row.Backend]++
	}
	cases := map[string]int{GroupGemm: 3 + 3*len(o.Steps), GroupElementwise: len(elementOps), GroupStep: len(o.Steps), GroupFlower: 1}
	for g, n := range cases {
		for _, b := range want {
			expect := n
			if b == CPU32OpenBLAS && g == GroupElementwise {
				expect = 0
			}
			if got := byGroup[g][b]; got != expect {
				t.Errorf("%s: %d rows of %s, want %d", g, got, b, expect)
			}
		}
	}
	// The steps are ordered by size, so the crossover reads smallest first.
	small := slices.IndexFunc(r.Rows, func(x Row) bool { return x.Case == "4-8-32" })
	large := slices.IndexFunc(r.Rows, func(x Row) bool { return x.Case == "4-8-64" })
	if small < 0 || small > large {
		t.Errorf("step 4-8-32 at row %d, 4-8-64 at %d: want the smaller first", small, large)
	}
	if len(r.Crossovers) == 0 {
		t.Error("no crossover computed")
	}
	// A line for the peak, one per case, and one for the peak again.
	// (A warning on OpenBLAS's kernel set may come first.)
	progress := strings.Count(log.String(), "\n") - strings.Count(log.String(), "bench: warning: ")
	if got, cases := progress, 1+3+3*len(o.Steps)+len(elementOps)+len(o.Steps)+1+1; got != cases {
		t.Errorf("progress log has %d lines, want %d:\n%s", got, cases, log.String())
	}
	var table, js bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "crossover against cpu32-gonum") {
		t.Errorf("table lacks the crossover:\n%s", table.String())
	}
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(js.Bytes()) {
		t.Error("invalid JSON")
	}
	png := filepath.Join(t.TempDir(), "bench.png")
	if err := r.Plot(png); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(png); err != nil || st.Size() < 1000 {
		t.Errorf("plot: %v, %v", st, err)
	}
}

// TestCLBlastRows measures a GEMM case with CLBlast installed and checks its
// row.
func TestCLBlastRows(t *testing.T) {
	o := tinyOptions(t)
	o.CLBlastLibrary = ""
	env, notes, err := newCLEnv(&o)
	if err != nil {
		t.Fatal(err)
	}
	defer env.close()
	if env.blast == nil {
		t.Skipf("skipping: %v", notes)
	}
	rows := measureCase(gemmRun(gemmCase{TB: true, M: 37, N: 53, K: 29}, nil, env, rand.New(rand.NewPCG(1, 1))), o.plan())
	if len(rows) != 2 || rows[0].Backend != OpenCL || rows[1].Backend != CLBlast {
		t.Fatalf("rows %+v: want opencl then clblast", rows)
	}
	if b := rows[1]; b.Runs != o.Runs || b.Error != "" || !(b.Wall.Median > 0) || b.Kernel != nil {
		t.Errorf("clblast row %+v: want %d runs of wall time only", b, o.Runs)
	}
}

// TestCLBlastAbsentNote points the CLBlast library at a missing file and
// checks that the run leaves it out with a one-line note.
func TestCLBlastAbsentNote(t *testing.T) {
	o := tinyOptions(t)
	o.CLBlastLibrary = "/nonexistent/libclblast-absent.so.1"
	env, notes, err := newCLEnv(&o)
	if err != nil {
		t.Fatal(err)
	}
	defer env.close()
	if env.blast != nil {
		t.Fatal("a missing CLBlast loaded")
	}
	i := slices.IndexFunc(notes, func(n string) bool { return strings.Contains(n, "CLBlast") })
	if i < 0 {
		t.Fatalf("notes %q do not mention CLBlast", notes)
	}
	note := notes[i]
	for _, want := range []string{"CLBlast left out", o.CLBlastLibrary, "apt-get install libclblast1"} {
		if !strings.Contains(note, want) {
			t.Errorf("note %q lacks %q", note, want)
		}
	}
	if strings.Contains(note, "\n") {
		t.Errorf("note %q is more than one line", note)
	}
	if infos := backendInfos(nil, env, nil); slices.ContainsFunc(infos, func(b BackendInfo) bool { return b.ID == CLBlast }) {
		t.Errorf("backends %v include CLBlast", infos)
	}
}

func TestOptionsCheck(t *testing.T) {
	d := cltest.Device(t)
	for _, f := range []func(*Options){
		func(o *Options) { o.Groups = []string{"gemm", "fft"} },
		func(o *Options) { o.Runs = 0 },
		func(o *Options) { o.Warmup = -1 },
		func(o *Options) { o.GemmSizes = []int{0} },
		func(o *Options) { o.Elements = []int{1000} }, // not a multiple of 256 rows
		func(o *Options) { o.Steps = []StepConfig{{NX: 0, NH: 4, M: 400}} },
		func(o *Options) { o.FlowerIters = -1 },
	} {
		o := QuickOptions(d)
		f(&o)
		if _, err := Run(o); err == nil {
			t.Errorf("Run accepted options %+v", o)
		}
	}
}
