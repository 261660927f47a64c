package opencl_test

import (
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"

	"github.com/cltrain/cltrain/cpuref/openblas"
	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/engine/opencl"
)

// gemmPeakShapes are the products of issue 13's GEMM goal: the square
// sizes and the training products of the 784-256-8192 and 1024-4096-4096
// steps (W1·X, dZ1·Xᵀ, W2ᵀ·dZ2), as transposes and M×N×K.
var gemmPeakShapes = []benchShape{
	{"NN", 1024, 1024, 1024}, {"NT", 1024, 1024, 1024}, {"TN", 1024, 1024, 1024},
	{"NN", 2048, 2048, 2048}, {"NT", 2048, 2048, 2048}, {"TN", 2048, 2048, 2048},
	{"NN", 256, 8192, 784}, {"NT", 256, 784, 8192}, {"TN", 256, 8192, 1},
	{"NN", 4096, 4096, 1024}, {"NT", 4096, 1024, 4096}, {"TN", 4096, 4096, 1},
}

// BenchmarkGemmPeak times each GEMM of gemmPeakShapes alternately with
// PoCL's FMA peak kernel (kernels/peak.cl, which matches the hardware's
// FMA loop within noise on PoCL: docs/PERF.md) in the same process, and
// reports the GEMM's median rate (wall time of the whole call, every pass
// included, waited for) and its median ratio to the peak measured right
// before it (of-peak). On a shared machine only that ratio compares runs.
// Where OpenBLAS is installed, each shape has an openblas row too: its
// cblas_sgemm on host operands of the same shape, timed and compared with
// the peak kernel the same way, so that both ratios come from the same
// minutes. Its log names the OpenBLAS build with its kernel set, and
// OPENBLAS_CORETYPE, which can hold it to an older set than the CPU's.
// CLTRAIN_GEMM_SHAPES=NN:1024x1024x1024,… picks other shapes.
func BenchmarkGemmPeak(b *testing.B) {
	impl, blasErr := openblas.Load()
	for _, s := range benchShapes(b) {
		b.Run("opencl/"+s.form+"/"+shape(s.m, s.n, s.k), func(b *testing.B) {
			t := newBench(b)
			t.ops.Profile(false)
			againstPeak(b, t.c, s, gemmCall(t, s.form, s.m, s.n, s.k), 0)
		})
		b.Run("openblas/"+s.form+"/"+shape(s.m, s.n, s.k), func(b *testing.B) {
			if blasErr != nil {
				b.Skip(blasErr)
			}
			b.Logf("%s, OPENBLAS_CORETYPE=%q", impl.Name(), os.Getenv("OPENBLAS_CORETYPE"))
			t := newBench(b)
			againstPeak(b, t.c, s, sgemmCall(t, impl, s), blasSettle)
		})
	}
}

// blasSettle is how long the openblas rows wait after each product before
// the next peak run: OpenBLAS's threads keep spinning for a while after a
// call, waiting for the next, and took cores from the peak kernel timed
// right after (ratios of 1.6–1.7 of the peak). A peak run after the pause
// is left untimed: the first launch after a pause runs slow.
const blasSettle = 200 * time.Millisecond

// againstPeak times gemm, the product s, in b's loop, each run right after
// a run of PoCL's peak kernel on c, and reports the median rate and the
// median ratio to the peak. With settle, each round first waits that long
// after the last product and runs the peak kernel once untimed.
func againstPeak(b *testing.B, c *device.Context, s benchShape, gemm func(), settle time.Duration) {
	peak := newPeak(b, c)
	timed := func() time.Duration {
		start := time.Now()
		gemm()
		return time.Since(start)
	}
	timed()
	var rates, ratios []float64
	for b.Loop() {
		if settle > 0 {
			time.Sleep(settle)
			peak() // untimed: PoCL's threads are slower to start after a pause
		}
		p := peak()
		r := gemmFlops(s.m, s.n, s.k) / timed().Seconds() / 1e9
		rates, ratios = append(rates, r), append(ratios, r/p)
	}
	b.ReportMetric(median(rates), "GFLOP/s")
	b.ReportMetric(median(ratios), "of-peak")
}

// sgemmCall makes host operands of the product s, random in [−1, 1), and
// returns a function that runs it through impl's Sgemm.
func sgemmCall(t *bench, impl *openblas.Implementation, s benchShape) func() {
	tA, tB, lda, ldb := blas.NoTrans, blas.NoTrans, s.k, s.n
	if s.form[0] == 'T' {
		tA, lda = blas.Trans, s.m
	}
	if s.form[1] == 'T' {
		tB, ldb = blas.Trans, s.k
	}
	a, bm, c := t.values(s.m*s.k, false), t.values(s.k*s.n, false), make([]float32, s.m*s.n)
	return func() { impl.Sgemm(tA, tB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n) }
}

// BenchmarkGemmLaunches times each GEMM of gemmPeakShapes (or
// CLTRAIN_GEMM_SHAPES) and reports, as medians over the runs, the wall
// time of the call (wall-ms, every launch waited for), the device time of
// each kernel it launched (ms-pack_a, ms-gemm_packed, …: where the call's
// time goes) and the wall time left between and around them (ms-gaps).
func BenchmarkGemmLaunches(b *testing.B) {
	for _, s := range benchShapes(b) {
		b.Run("opencl/"+s.form+"/"+shape(s.m, s.n, s.k), func(b *testing.B) {
			t := newBench(b)
			gemm := gemmCall(t, s.form, s.m, s.n, s.k)
			gemm()
			t.ops.DropEvents()
			var walls, gaps []float64
			kernels := map[string][]float64{}
			for b.Loop() {
				start := time.Now()
				gemm()
				wall := time.Since(start).Seconds() * 1e3
				stats, err := t.ops.KernelTimes()
				if err != nil {
					b.Fatal(err)
				}
				gap := wall
				for _, k := range stats {
					ms := k.Time.Seconds() * 1e3
					kernels[k.Kernel] = append(kernels[k.Kernel], ms)
					gap -= ms
				}
				walls, gaps = append(walls, wall), append(gaps, gap)
			}
			b.ReportMetric(median(walls), "wall-ms")
			b.ReportMetric(median(gaps), "ms-gaps")
			for name, v := range kernels {
				b.ReportMetric(median(v), "ms-"+name)
			}
		})
	}
}

// benchShape is one GEMM of the benchmarks: its transposes and M×N×K.
type benchShape struct {
	form    string
	m, n, k int
}

// benchShapes returns gemmPeakShapes, or the shapes CLTRAIN_GEMM_SHAPES
// names (FORM:MxNxK,…).
func benchShapes(b *testing.B) []benchShape {
	shapes := gemmPeakShapes
	if env := os.Getenv("CLTRAIN_GEMM_SHAPES"); env != "" {
		shapes = nil
		for _, s := range strings.Split(env, ",") {
			form, dims, _ := strings.Cut(s, ":")
			d := strings.Split(dims, "x")
			if len(d) != 3 || !slices.Contains([]string{"NN", "NT", "TN"}, form) {
				b.Fatalf("CLTRAIN_GEMM_SHAPES entry %q: want FORM:MxNxK, FORM one of NN, NT, TN", s)
			}
			var v [3]int
			for i := range d {
				n, err := strconv.Atoi(d[i])
				if err != nil {
					b.Fatalf("CLTRAIN_GEMM_SHAPES entry %q: %v", s, err)
				}
				v[i] = n
			}
			shapes = append(shapes, benchShape{form, v[0], v[1], v[2]})
		}
	}
	return shapes
}

// gemmCall makes device operands of an M×N×K product in the transposes
// form names, random in [−1, 1), and returns a function that runs
// op(A)·op(B) into C on them and waits for it.
func gemmCall(t *bench, form string, m, n, k int) func() {
	tA, tB := form[0] == 'T', form[1] == 'T'
	ar, ac := m, k
	if tA {
		ar, ac = ac, ar
	}
	br, bc := k, n
	if tB {
		br, bc = bc, br
	}
	x, y, z := t.mat(ar, ac, false), t.mat(br, bc, false), t.mat(m, n, false)
	return func() {
		if err := t.ops.Gemm(tA, tB, 1, x, y, 0, z); err != nil {
			t.b.Fatal(err)
		}
		if err := t.c.Finish(); err != nil {
			t.b.Fatal(err)
		}
	}
}

// newPeak returns a function that runs PoCL's peak FMA kernel for about
// 20 ms and returns its rate in GFLOP/s.
func newPeak(b testing.TB, c *device.Context) func() float64 {
	p, err := opencl.BuildPeak(c, 16)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Release() })
	k, err := p.Kernel("peak_fma")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { k.Release() })
	global := max(c.Device.ComputeUnits, 1) * 1024
	out, err := c.NewBuffer(global)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { out.Release() })
	run := func(iters int) time.Duration {
		if err := k.SetArgs(int32(iters), float32(0.999), float32(0.001), out); err != nil {
			b.Fatal(err)
		}
		ev, err := c.LaunchTimed(k, []int{global}, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer ev.Release()
		d, err := ev.Duration()
		if err != nil {
			b.Fatal(err)
		}
		return d
	}
	iters := 16
	for d := run(iters); d < 5*time.Millisecond; d = run(iters) {
		iters *= 2
	}
	iters *= 4
	return func() float64 {
		return 2 * 16 * 32 * float64(iters) * float64(global) / run(iters).Seconds() / 1e9
	}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}
