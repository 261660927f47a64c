package bench

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cltrain/cltrain/device"
)

// sampleReport is a small report of every group, with a kernel time, a
// backend that failed and a crossover.
func sampleReport() *Report {
	r := &Report{
		Device:   device.Info{Index: 0, Name: "dev", Platform: "plat", Type: device.CPU, ComputeUnits: 2},
		Backends: []BackendInfo{{CPU32Gonum, "cpu float32 (gonum)"}, {OpenCL, "cltrain's kernels on dev"}},
		Notes:    []string{"CLBlast left out: clblast: library unavailable: cannot open x"},
		OpenBLAS: ptr(kernelSet("OpenBLAS 0.3.21 DYNAMIC_ARCH Haswell MAX_THREADS=64", "Haswell", 3)),
		Peak: Peak{GFLOPS: 100, VectorWidth: 16, CopyGBps: 10, CopyBytes: 64 << 20,
			Hardware: HardwarePeak{GFLOPS: 400, ISA: "AVX-512 VFMADD231PS on ZMM", Threads: 2}},
		Runs: 3, Warmup: 1, CPUs: 2, Seconds: 1.5,
		Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Rows: []Row{
			row(GroupGemm, "NN 64×64×64", CPU32Gonum, 1, 2*64*64*64, 0),
			row(GroupGemm, "NN 64×64×64", OpenCL, 0.5, 2*64*64*64, 0),
			row(GroupElementwise, "sub 4×16", CPU32Gonum, 0.01, 0, 3*64*4),
			row(GroupStep, "2-4-400", CPU32Gonum, 1, 1e6, 0),
			row(GroupStep, "2-4-400", OpenCL, 0.5, 1e6, 0),
			row(GroupFlower, "2-4-1 m=400, 20 iterations", OpenCL, 3, 2e7, 0),
			{Group: GroupStep, Case: "2-4-400", Op: "step", Shape: []int{2, 4, 400}, Backend: CLBlast, Error: "setup: out of memory"},
		},
	}
	r.Rows[0].Op, r.Rows[0].Shape = "NN", []int{64, 64, 64}
	r.Rows[1].Op, r.Rows[1].Shape = "NN", []int{64, 64, 64}
	r.Rows[1].Kernel = &Summary{Median: 0.4, Min: 0.3, Max: 0.45}
	r.derive()
	return r
}

func ptr[T any](v T) *T { return &v }

func TestJSONRoundTrip(t *testing.T) {
	r := sampleReport()
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("parse JSON back: %v\n%s", err, buf.String())
	}
	if !reflect.DeepEqual(&back, r) {
		t.Errorf("JSON round trip changed the report:\n got %+v\nwant %+v", back, *r)
	}
	// The field names the documentation promises.
	var raw map[string]any
	if err := json.Unmarshal(buf.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"device", "backends", "openblas", "notes", "peak", "runs", "warmup", "rows", "crossovers", "started", "seconds", "cpus"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	first := raw["rows"].([]any)[1].(map[string]any)
	for _, k := range []string{"group", "case", "op", "shape", "backend", "runs", "wall_ms", "kernel_ms", "flops", "unit", "rate", "kernel_rate", "vs_cpu32", "of_peak", "of_hardware_peak"} {
		if _, ok := first[k]; !ok {
			t.Errorf("JSON row lacks %q: %v", k, first)
		}
	}
}

func TestCSVRoundTrip(t *testing.T) {
	r := sampleReport()
	var buf bytes.Buffer
	if err := r.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("parse CSV back: %v", err)
	}
	if !slices.Equal(recs[0], CSVHeader) {
		t.Fatalf("header %v, want %v", recs[0], CSVHeader)
	}
	if len(recs) != len(r.Rows)+1 {
		t.Fatalf("%d records, want a header and %d rows", len(recs), len(r.Rows))
	}
	col := func(rec []string, name string) string { return rec[slices.Index(CSVHeader, name)] }
	num := func(rec []string, name string) float64 {
		v, err := strconv.ParseFloat(col(rec, name), 64)
		if err != nil {
			t.Fatalf("column %s: %v", name, err)
		}
		return v
	}
	for i, row := range r.Rows {
		rec := recs[i+1]
		if col(rec, "group") != row.Group || col(rec, "case") != row.Case || col(rec, "backend") != row.Backend || col(rec, "error") != row.Error {
			t.Errorf("record %d %v does not name row %+v", i, rec, row)
		}
		if row.Runs == 0 {
			if col(rec, "wall_median_ms") != "" || col(rec, "rate") != "" {
				t.Errorf("record %d of a failed backend has figures: %v", i, rec)
			}
			continue
		}
		if num(rec, "wall_median_ms") != row.Wall.Median || num(rec, "wall_max_ms") != row.Wall.Max || num(rec, "rate") != row.Rate {
			t.Errorf("record %d figures %v, want %+v", i, rec, row)
		}
		if (col(rec, "kernel_median_ms") != "") != (row.Kernel != nil) {
			t.Errorf("record %d: kernel time %q for a row with kernel %v", i, col(rec, "kernel_median_ms"), row.Kernel)
		}
	}
	if got := col(recs[2], "shape"); got != "64x64x64" {
		t.Errorf("shape %q, want 64x64x64", got)
	}
	if got := num(recs[2], "kernel_median_ms"); got != 0.4 {
		t.Errorf("kernel median %v, want 0.4", got)
	}
}

func TestTable(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"peak: 100.0 GFLOP/s", "copy 10.0 GB/s", "note: CLBlast left out",
		"GEMM:", "Elementwise", "Training step", "Flower run",
		"crossover against cpu32-gonum: OpenCL is faster from 2-4-400 up",
		"error: setup: out of memory", "2.00×",
		"hardware FMA peak: 400.0 GFLOP/s (AVX-512 VFMADD231PS on ZMM, 2 threads at once",
		"openblas: kernel set Haswell (this CPU's best: SkylakeX), set by OPENBLAS_CORETYPE=Haswell\n",
		"\nwarning: OpenBLAS runs its Haswell kernels (older than this CPU runs; forced by OPENBLAS_CORETYPE=Haswell)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// The fraction of the hardware peak is a column of the GEMM section
	// only, and only where that peak is known.
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "CASE ") && strings.HasSuffix(l, "%HW") != strings.HasPrefix(lines[i-1], "GEMM:") {
			t.Errorf("header %q under %q: want %%HW exactly under GEMM", l, lines[i-1])
		}
	}
	r := sampleReport()
	r.Peak.Hardware = HardwarePeak{}
	r.derive()
	buf.Reset()
	if err := r.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "%HW") || strings.Contains(buf.String(), "hardware FMA peak") {
		t.Errorf("table without a hardware peak has its column or line:\n%s", buf.String())
	}
	// Every data line of a section has its columns aligned: the BACKEND
	// column starts at the same place.
	for i, l := range lines {
		if strings.HasPrefix(l, "CASE ") {
			at := strings.Index(l, "BACKEND")
			for _, d := range lines[i+1:] {
				if d == "" || strings.HasPrefix(d, "crossover") {
					break
				}
				rest := string([]rune(d)[at:])
				if !slices.ContainsFunc(backendOrder, func(b string) bool { return strings.HasPrefix(rest, b+" ") }) {
					t.Errorf("line %q: no backend at column %d", d, at)
				}
			}
		}
	}
}
