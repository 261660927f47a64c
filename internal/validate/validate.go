// Package validate checks every OpenCL kernel against the float64 CPU
// reference (package cpuref) on fresh random inputs, at shapes that are not
// multiples of any tile, with outputs poisoned with NaN before each run so
// that an unwritten element fails.
package validate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/cpuref"
	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/engine"
	"github.com/cltrain/cltrain/engine/opencl"
)

// Tolerances on ‖out − ref‖/‖ref‖, float32 kernels against float64.
const (
	TolElementwise = 1e-6
	TolReduction   = 2e-5
)

// unit32 is float32's unit roundoff, 2⁻²⁴.
const unit32 = 1.0 / (1 << 24)

// SumTol returns the tolerance on ‖out − ref‖/‖ref‖ for a float32 kernel
// whose every output is a sum of n terms (a GEMM's k, a reduction's length).
// The rounding errors of such sums grow like √n·u for inputs of random sign
// (Higham and Mary, "A new approach to probabilistic rounding error
// analysis", 2019), and kernels that block their sums differently land
// anywhere within that: a fixed tolerance would fail correct kernels at
// long enough sums. It is TolReduction up to n ≈ 4400 and 5·√n·u beyond.
func SumTol(n int) float64 {
	return max(TolReduction, 5*math.Sqrt(float64(n))*unit32)
}

// Result is the outcome of one kernel at one shape.
type Result struct {
	Kernel string  `json:"kernel"`
	Shape  string  `json:"shape"`
	RelErr float64 `json:"rel_err"` // ‖out − ref‖/‖ref‖; NaN when out holds NaN
	MaxAbs float64 `json:"max_abs"` // max |out − ref|
	Tol    float64 `json:"tol"`
	Pass   bool    `json:"pass"`
	Err    string  `json:"error,omitempty"` // a launch error, when the kernel did not run
}

// Case is one kernel run at one shape.
type Case struct {
	Kernel string
	Shape  string
	Tol    float64
	run    func(o *opencl.Ops, rng *rand.Rand) (got, want []float64, err error)
}

// OnDevice runs the cases on d, with inputs drawn from seed, under the GEMM
// blockings training uses there: the device's tuning where cltrain tune
// stored one. It returns the results and the number of tuned GEMM classes.
func OnDevice(d device.Device, cases []Case, seed uint64) ([]Result, int, error) {
	ctx, err := device.NewContext(d, device.Plain)
	if err != nil {
		return nil, 0, err
	}
	defer ctx.Close()
	ops, err := opencl.NewOps(ctx, opencl.DefaultGemm)
	if err != nil {
		return nil, 0, err
	}
	defer ops.Release()
	tuning, err := opencl.LoadTuning(d)
	if err != nil {
		return nil, 0, err
	}
	ops.SetTuning(tuning)
	return Run(ops, cases, rand.New(rand.NewPCG(seed, 0))), len(tuning), nil
}

// Run runs every case on o with inputs drawn from rng.
func Run(o *opencl.Ops, cases []Case, rng *rand.Rand) []Result {
	out := make([]Result, 0, len(cases))
	for _, c := range cases {
		r := Result{Kernel: c.Kernel, Shape: c.Shape, Tol: c.Tol}
		got, want, err := c.run(o, rng)
		if err != nil {
			r.Err = err.Error()
			r.RelErr, r.MaxAbs = math.NaN(), math.NaN()
		} else {
			r.RelErr, r.MaxAbs = Compare(got, want)
			r.Pass = r.RelErr <= c.Tol
			if math.IsNaN(r.RelErr) {
				r.Err = "output holds NaN: unwritten or non-finite elements"
			}
		}
		out = append(out, r)
	}
	return out
}

// Compare returns ‖got − want‖/‖want‖ (‖got − want‖ when want is all zero)
// and max |got − want|, in float64. Any NaN in got makes both NaN.
func Compare(got, want []float64) (rel, maxAbs float64) {
	if len(got) != len(want) {
		return math.NaN(), math.NaN()
	}
	var diff, ref float64
	for i := range got {
		d := got[i] - want[i]
		if math.IsNaN(d) {
			return math.NaN(), math.NaN()
		}
		diff += d * d
		ref += want[i] * want[i]
		maxAbs = math.Max(maxAbs, math.Abs(d))
	}
	if ref == 0 {
		return math.Sqrt(diff), maxAbs
	}
	return math.Sqrt(diff / ref), maxAbs
}

// Cases lists the validation runs: every kernel at 1×1, odd primes, sizes
// just past tile multiples, the training shapes of the flower network, a
// GEMM with K ≥ 4096, and products with K = 1 large enough to be cut into
// several runs of rows and columns. quick drops the largest shapes.
func Cases(quick bool) []Case {
	var cs []Case
	type mnk struct{ m, n, k int }
	gemmShapes := []mnk{{1, 1, 1}, {7, 13, 29}, {33, 65, 17}, {129, 127, 65}, {4, 400, 2}, {1, 400, 4}, {4, 2, 400}, {4, 1, 400}, {31, 37, 4099}, {301, 2053, 1}}
	if !quick {
		gemmShapes = append(gemmShapes, mnk{257, 263, 511})
	}
	for _, s := range gemmShapes {
		for _, t := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
			cs = append(cs, gemmCase(s.m, s.n, s.k, t[0], t[1], 1, 0))
		}
	}
	cs = append(cs, gemmCase(33, 65, 17, false, false, -0.5, 0.75), gemmCase(7, 13, 29, true, true, 2, -1), gemmCase(17, 45, 2051, false, false, -0.5, 0.75), gemmCase(301, 2053, 1, true, false, -0.5, 0.75))
	for _, s := range []mnk{{1, 1, 1}, {4, 400, 2}, {1, 400, 4}, {33, 65, 17}, {129, 127, 65}} {
		cs = append(cs, gemmBiasCase(opencl.BiasTanh, s.m, s.n, s.k), gemmBiasCase(opencl.BiasSigmoid, s.m, s.n, s.k))
	}
	for _, s := range []mnk{{1, 1, 1}, {1, 400, 4}, {3, 129, 65}} {
		cs = append(cs, sigmoidSubCase(s.m, s.n, s.k))
	}
	for _, s := range []mnk{{1, 1, 1}, {4, 400, 1}, {7, 13, 29}, {129, 127, 65}, {257, 8195, 1}} {
		cs = append(cs, tanhBackwardCase(s.m, s.n, s.k))
	}
	for _, s := range []mnk{{1, 1, 1}, {4, 2, 400}, {1, 4, 400}, {33, 65, 17}, {31, 37, 4099}} {
		cs = append(cs, updateCase(s.m, s.n, s.k))
	}
	type rc struct{ r, c int }
	matShapes := []rc{{1, 1}, {7, 13}, {4, 400}, {1, 400}, {33, 1001}}
	if !quick {
		matShapes = append(matShapes, rc{3, 100003})
	}
	for _, s := range matShapes {
		cs = append(cs,
			biasActCase("bias_tanh", s.r, s.c),
			biasActCase("bias_sigmoid", s.r, s.c),
			binaryCase("sub", s.r, s.c),
			binaryCase("tanh_backward", s.r, s.c),
			sgdCase(s.r*s.c),
			rowSumsCase(s.r, s.c),
			gatherCase(s.r, s.c, false),
		)
		cs = append(cs, gatherTCases(s.r, s.c)...)
		if s.r == 1 {
			cs = append(cs, costCase(s.c, 1, false), costCase(s.c, 40, false))
		}
	}
	if !quick {
		cs = append(cs, costCase(100003, 1, false))
	}
	// Short wide inputs, cut into many work-groups per row whose partial
	// sums a second launch adds.
	cs = append(cs, rowSumsCase(1, 1<<20+3), rowSumsCase(4, 262147), rowSumsCase(5, 65537), costCase(1<<20+5, 1, false), costCase(65539, 40, false))
	// A nearly fitted model: its loss is small next to Σ max(z, 0) and Σ y·z,
	// which a kernel summing those terms apart loses to cancellation.
	cs = append(cs, costCase(1<<20+5, 40, true))
	cs = append(cs, tinyCase(1, 1, 1, 3, 1), tinyCase(2, 4, 400, 10, 16), tinyCase(5, 7, 397, 25, 16), tinyCase(3, 16, 1001, 5, 16))
	cs = append(cs, trainCases(quick)...)
	return cs
}

// Sets names the case sets CasesFor takes, the default first.
var Sets = []string{"full", "quick", "oclgrind"}

// CasesFor returns the named case set: "full" is Cases(false), "quick"
// Cases(true), and "oclgrind" OclgrindCases.
func CasesFor(set string) ([]Case, error) {
	switch set {
	case "full":
		return Cases(false), nil
	case "quick":
		return Cases(true), nil
	case "oclgrind":
		return OclgrindCases(), nil
	}
	return nil, fmt.Errorf("case set %q: want one of %s", set, strings.Join(Sets, ", "))
}

// Kernels lists the kernels every case set covers, by the names the cases
// carry.
var Kernels = []string{
	"gemm_NN", "gemm_NT", "gemm_TN", "gemm_TT", "gemm_bias_tanh", "gemm_bias_sigmoid", "gemm_sigmoid_sub",
	"gemm_tanh_backward", "gemm_update", "bias_tanh", "bias_sigmoid", "sub", "tanh_backward", "sgd",
	"row_sums", "gather_cols", "transpose", "gather_cols_t", "bce_cost", "tiny_train",
	// The kinds beyond tanh/sigmoid/SGD (train.go).
	"gemm_bias_relu", "gemm_relu_backward", "bias_relu", "relu_backward", "bias_softmax", "softmax_sub",
	"softmax_cost", "sgd_l2", "momentum", "adam", "sum_squares",
}

// OclgrindCases is a set small enough for Oclgrind, the OpenCL simulator
// that checks every memory access (it interprets each work-item, some
// thousand times slower than a CPU device), that still runs every kernel and
// every GEMM form: each transpose and epilogue at 1×1×1 and at 33×35×17,
// just past the default tiles (32×32, stepping 16 along K) in M, N and K;
// the reductions over more columns than a work-group of 256 has; and the
// one-launch trainer at a GPU's work-group sizes, a full 256 and an odd 37.
// It takes about 6 s on Oclgrind.
func OclgrindCases() []Case {
	var cs []Case
	for _, t := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
		cs = append(cs, gemmCase(1, 1, 1, t[0], t[1], 1, 0), gemmCase(33, 35, 17, t[0], t[1], 1, 0))
	}
	cs = append(cs, gemmCase(33, 35, 17, false, false, -0.5, 0.75), gemmCase(7, 13, 29, true, true, 2, -1))
	for _, ep := range []opencl.Epilogue{opencl.BiasTanh, opencl.BiasSigmoid} {
		cs = append(cs, gemmBiasCase(ep, 1, 1, 1), gemmBiasCase(ep, 33, 35, 17))
	}
	cs = append(cs,
		sigmoidSubCase(1, 1, 1), sigmoidSubCase(1, 37, 4),
		tanhBackwardCase(1, 1, 1), tanhBackwardCase(33, 35, 17),
		updateCase(1, 1, 1), updateCase(33, 35, 17),
	)
	for _, s := range [][2]int{{1, 1}, {3, 301}} {
		r, c := s[0], s[1]
		cs = append(cs, biasActCase("bias_tanh", r, c), biasActCase("bias_sigmoid", r, c), binaryCase("sub", r, c),
			binaryCase("tanh_backward", r, c), sgdCase(r*c), rowSumsCase(r, c), gatherCase(r, c, false))
		cs = append(cs, gatherTCases(r, c)...)
	}
	cs = append(cs, costCase(1, 1, false), costCase(301, 1, false), costCase(301, 40, false))
	// Past four vectors of 4 per work-item of a group of 256: more than one
	// work-group per row, and the launch that adds their partial sums.
	cs = append(cs, rowSumsCase(2, 8209), costCase(8209, 1, false))
	cs = append(cs, trainOclgrindCases()...)
	return append(cs, tinyCase(1, 1, 1, 3, 1), tinyCase(2, 4, 300, 4, 256), tinyCase(3, 5, 37, 4, 37))
}

func gemmCase(m, n, k int, tA, tB bool, alpha, beta float32) Case {
	name := fmt.Sprintf("gemm_%s%s", tChar(tA), tChar(tB))
	shape := fmt.Sprintf("%d×%d×%d", m, n, k)
	if alpha != 1 || beta != 0 {
		shape += fmt.Sprintf(" α=%g β=%g", alpha, beta)
	}
	return Case{Kernel: name, Shape: shape, Tol: SumTol(k), run: func(o *opencl.Ops, rng *rand.Rand) ([]float64, []float64, error) {
		ar, ac := m, k
		if tA {
			ar, ac = k, m
		}
		br, bc := k, n
		if tB {
			br, bc = n, k
		}
		a, b, c := randn(rng, ar*ac, 1), randn(rng, br*bc, 1), randn(rng, m*n, 1)
		want := widen(c)
		cpuref.Gemm(trans(tA), trans(tB), float64(alpha), general(widen(a), ar, ac), general(widen(b), br, bc), float64(beta), general(want, m, n))
		init := c
		if beta == 0 {
			init = nan(m * n)
		}
		got, err := onDevice(o, [][]float32{a, b, init}, 2, func(bufs []*device.Buffer) error {
			return o.Gemm(tA, tB, alpha, opencl.Mat{Buf: bufs[0], Rows: ar, Cols: ac}, opencl.Mat{Buf: bufs[1], Rows: br, Cols: bc}, beta, opencl.Mat{Buf: bufs[2], Rows: m, Cols: n})
		})
		return got, want, err
	}}
}

func gemmBiasCase(ep opencl.Epilogue, m, n, k int) Case {
	name, act := "gemm_bias_tanh", cpuref.BiasTanh
	if ep == opencl.BiasSigmoid {
		name, act = "gemm_bias_sigmoid", cpuref.BiasSigmoid
	}
	return Case{Kernel: name, Shape: fmt.Sprintf("%d×%d×%d", m, n, k), Tol: SumTol(k), run: func(o *opencl.Ops, rng *rand.Rand) ([]float64, []float64, error) {
		a, b, bias := randn(rng, m*k, 1), randn(rng, k*n, 1), randn(rng, m, 1)
		want := make([]float64, m*n)
		cpuref.Gemm(blas.NoTrans, blas.NoTrans, 1, general(widen(a), m, k), general(widen(b), k, n), 0, general(want, m, n))
		act(general(want, m, n), widen(bias), general(want, m, n))
		got, err := onDevice(o, [][]float32{a, b, bias, nan(m * n)}, 3, func(bufs []*device.Buffer) error {
			return o.GemmBias(ep, opencl.Mat{Buf: bufs[0], Rows: m, Cols: k}, opencl.Mat{Buf: bufs[1], Rows: k, Cols: n}, bufs[2], opencl.Mat{Buf: bufs[3], Rows: m, Cols: n})
		})
		return got, want, err
	}}
}

// sigmoidSubCase checks c = σ(a·b + bias) − y, the output layer's fused
// forward pass and gradient.
func sigmoidSubCase(m, n, k int) Case {
	return Case{Kernel: "gemm_sigmoid_sub", Shape: fmt.Sprintf("%d×%d×%d", m, n, k), Tol: SumTol(k), run: func(o *opencl.Ops, rng *rand.Rand) ([]float64, []float64, error) {
		a, b, bias, y := randn(rng, m*k, 1), randn(rng, k*n, 1), randn(rng, m, 1), randu(rng, m*n)
		want := make([]float64, m*n)
		cpuref.Gemm(blas.NoTrans, blas.NoTrans, 1, general(widen(a), m, k), general(widen(b), k, n), 0, general(want, m, n))
		cpuref.BiasSigmoid(general(want, m, n), widen(bias), general(want, m, n))
		cpuref.Sub(general(want, m, n), general(widen(y), m, n), general(want, m, n))
		got, err := onDevice(o, [][]float32{a, b, bias, y, nan(m * n)}, 4, func(bufs []*device.Buffer) error {
			return o.GemmSigmoidSub(opencl.Mat{Buf: bufs[0], Rows: m, Cols: k}, opencl.Mat{Buf: bufs[1], Rows: k, Cols: n}, bufs[2], opencl.Mat{Buf: bufs[3], Rows: m, Cols: n}, opencl.Mat{Buf: bufs[4], Rows: m, Cols: n})
		})
		return got, want, err
	}}
}

// tanhBackwardCase checks c = (wᵀ·dz) ⊙ (1 − t²) with w k×m, dz k×n.
func tanhBackwardCase(m, n, k int) Case {
	return Case{Kernel: "gemm_tanh_backward", Shape: fmt.Sprintf("%d×%d×%d", m, n, k), Tol: SumTol(k), run: func(o *opencl.Ops, rng *rand.Rand) ([]float64, []float64, error) {
		w, dz, act := randn(rng, k*m, 1), randn(rng, k*n, 1), randu(rng, m*n)
		want := make([]float64, m*n)
		cpuref.Gemm(blas.Trans, blas.NoTrans, 1, general(widen(w), k, m), general(widen(dz), k, n), 0, general(want, m, n))
		cpuref.TanhBackward(general(want, m, n), general(widen(act), m, n), general(want, m, n))
		got, err := onDevice(o, [][]float32{w, dz, act, nan(m * n)}, 3, func(bufs []*device.Buffer) error {
			return o.GemmTanhBackward(opencl.Mat{Buf: bufs[0], Rows: k, Cols: m}, opencl.Mat{Buf: bufs[1], Rows: k, Cols: n}, opencl.Mat{Buf: bufs[2], Rows: m, Cols: n}, opencl.Mat{Buf: bufs[3], Rows: m, Cols: n})
		})
		return got, want, err
	}}
}

// updateCase checks the fused SGD update of an m×n layer from its gradient
// dz (m×k) and input a (n×k): w −= s·dz·aᵀ, b −= s·Σ_j dz[:, j]. Both come
// back in one vector, w then b.
func updateCase(m, n, k int) Case {
	return Case{Kernel: "gemm_update", Shape: fmt.Sprintf("%d×%d×%d", m, n, k), Tol: SumTol(k), run: func(o *opencl.Ops, rng *rand.Rand) ([]float64, []float64, error) {
		dz, a, w, b := randn(rng, m*k, 1), randn(rng, n*k, 1), randn(rng, m*n, 1), randn(rng, m, 1)
		scale := float32(1.2) / float32(k)
		wantW, wantB := widen(w), widen(b)
		cpuref.Gemm(blas.NoTrans, blas.Trans, -float64(scale), general(widen(dz), m, k), general(widen(a), n, k), 1, general(wantW, m, n))
		db := make([]float64, m)
		cpuref.RowSums(general(widen(dz), m, k), float64(scale), db)
		cpuref.SGDVec(wantB, db, 1)
		var gotB []float64
		gotW, err := onDevice(o, [][]float32{dz, a, w, b}, 2, func(bufs []*device.Buffer) error {
			if err := o.GemmUpdate(opencl.Mat{Buf: bufs[0], Rows: m, Cols: k}, opencl.Mat{Buf: bufs[1], Rows: n, Cols: k}, scale, opencl.Mat{Buf: bufs[2], Rows: m, Cols: n}, bufs[3]); err != nil {
				return err
			}
			v := make([]float32, m)
			err := bufs[3].Read(v)
			gotB = widen(v)
			return err
		})
		return append(gotW, gotB...), append(wantW, wantB...), err
	}}
}

func biasActCase(name string, rows, cols int) Case {
	return Case{Kernel: name, Shape: fmt.Sprintf("%d×%d", rows, cols), Tol: TolElementwise, run: func(o *opencl.Ops, rng *rand.Rand) ([]float64, []float64, error) {
		z, bias := randn(rng, rows*cols, 3), randn(rng, rows, 1)
		want := make([]float64, rows*cols)
		launch := o.BiasTanh
		if name == "bias_sigmoid" {
			cpuref.BiasSigmoid(general(widen(z), rows, cols), widen(bias), general(want, rows, cols))
			launch = o.BiasSigmoid
		} else {
			cpuref.BiasTanh(general(widen(z), rows, cols), widen(bias), general(want, rows, cols))
		}
		got, err := onDevice(o, [][]float32{z, bias, nan(rows * cols)}, 2, func(bufs []*device.Buffer) error {
			return launch(opencl.Mat{Buf: bufs[0], Rows: rows, Cols: cols}, bufs[1], opencl.Mat{Buf: bufs[2], Rows: rows, Cols: cols})
		})
		return got, want, err
	}}
}

func binaryCase(name string, rows, cols int) Case {
	return Case{Kernel: name, Shape: fmt.Sprintf("%d×%d", rows, cols), Tol: TolElementwise, run: func(o *opencl.Ops, rng *rand.Rand) ([]float64, []float64, error) {
		n := rows * cols
		a, b := randn(rng, n, 1), randu(rng, n)
		want := make([]float64, n)
		launch := o.Sub
		if name == "tanh_backward" {
			cpuref.TanhBackward(general(widen(a), rows, cols), general(widen(b), rows, cols), general(want, rows, cols))
			launch = o.TanhBackward
		} else {
			cpuref.Sub(general(widen(a), rows, cols), general(widen(b), rows, cols), general(want, rows, cols))
		}
		got, err := onDevice(o, [][]float32{a, b, nan(n)}, 2, func(bufs []*device.Buffer) error {
			m := func(i int) opencl.Mat { return opencl.Mat{Buf: bufs[i], Rows: rows, Cols: cols} }
			return launch(m(0), m(1), m(2))
		})
		return got, want, err
	}}
}

func sgdCase(n int) Case {
	return Case{Kernel: "sgd", Shape: fmt.Sprint(n), Tol: TolElementwise, run: func(o *opencl.Ops, rng *rand.Rand) ([]float64, []float64, error) {
		const lr = 1.2
		w, dw := randn(rng, n, 1), randn(rng, n, 1)
		want := widen(w)
		cpuref.SGDVec(want, widen(dw), float64(float32(lr)))
		got, err := onDevice(o, [][]float32{dw, w}, 1, func(bufs []*device.Buffer) error {
			return o.SGD(bufs[1], bufs[0], n, lr)
		})
		return got, want, err
	}}
}

func rowSumsCase(rows, cols int) Case {
	return Case{Kernel: "row_sums", Shape: fmt.Sprintf("%d×%d", rows, cols), Tol: SumTol(cols), run: func(o *opencl.Ops, rng *rand.Rand) ([]float64, []float64, error) {
		a := randn(rng, rows*cols, 1)
		for i := range a {
			a[i] += 0.5 // a mean away from zero keeps the reference sum away from cancellation
		}
		scale := float32(1) / float32(cols)
		want := make([]float64, rows)
		cpuref.RowSums(general(widen(a), rows, cols), float64(scale), want)
		got, err := onDevice(o, [][]float32{a, nan(rows)}, 1, func(bufs []*device.Buffer) error {
			return o.RowSums(opencl.Mat{Buf: bufs[0], Rows: rows, Cols: cols}, scale, bufs[1])
		})
		return got, want, err
	}}
}

// costCase checks the cross-entropy and accuracy of m logits of spread
// scale; scale 40 saturates σ in float32, where the textbook formula on A2
// overflows. Labels are random, or with fitted the logits' sign: every
// example right, the loss small next to its terms max(z, 0) and y·z, and
// only the loss compared.
func costCase(m int, scale float64, fitted bool) Case {
	shape := fmt.Sprintf("1×%d |z|~%g", m, scale)
	if fitted {
		shape += " fitted"
	}
	return Case{Kernel: "bce_cost", Shape: shape, Tol: SumTol(m), run: func(o *opencl.Ops, rng *rand.Rand) ([]float64, []float64, error) {
		z, bias := randn(rng, m, scale), randn(rng, 1, 1)
		zb := widen(z)
		for j := range zb {
			zb[j] += float64(bias[0])
		}
		y := make([]float32, m)
		for j := range y {
			switch {
			case !fitted:
				y[j] = float32(rng.IntN(2))
			case zb[j] > 0:
				y[j] = 1
			}
		}
		right := 0
		for j := range zb {
			if (zb[j] > 0) == (y[j] > 0.5) {
				right++
			}
		}
		want := []float64{cpuref.CostFromLogits(general(zb, 1, m), general(widen(y), 1, m)), float64(right) / float64(m)}
		got, err := onDevice(o, [][]float32{z, bias, y, nan(2)}, 3, func(bufs []*device.Buffer) error {
			return o.Cost(opencl.Mat{Buf: bufs[0], Rows: 1, Cols: m}, bufs[1], opencl.Mat{Buf: bufs[2], Rows: 1, Cols: m}, bufs[3])
		})
		if fitted && err == nil {
			// The accuracy, 1, would dwarf the small loss in the norm.
			return got[:1], want[:1], nil
		}
		return got, want, err
	}}
}

// tinyCase runs the one-launch training kernel in a work-group of wg
// work-items for steps iterations (every third evaluated) and compares the
// cost of the evaluated steps and the final parameters with the float64
// reference backend.
func tinyCase(nx, nh, m, steps, wg int) Case {
	const lr, every = 0.5, 3
	return Case{Kernel: "tiny_train", Shape: fmt.Sprintf("%d-%d-1 m=%d %d steps wg %d", nx, nh, m, steps, wg), Tol: TolReduction, run: func(o *opencl.Ops, rng *rand.Rand) ([]float64, []float64, error) {
		x, y := randn(rng, nx*m, 1), make([]float32, m)
		for j := range y {
			y[j] = float32(rng.IntN(2))
		}
		params := [][]float32{randn(rng, nh*nx, 1), randn(rng, nh, 0.1), randn(rng, nh, 1), randn(rng, 1, 0.1)}
		ref := engine.NewCPU()
		p := engine.Params{
			W: []*mat.Dense{mat.NewDense(nh, nx, widen(params[0])), mat.NewDense(1, nh, widen(params[2]))},
			B: []*mat.Dense{mat.NewDense(nh, 1, widen(params[1])), mat.NewDense(1, 1, widen(params[3]))},
		}
		if err := ref.Load(engine.Model{Sizes: p.Sizes()}, mat.NewDense(nx, m, widen(x)), mat.NewDense(1, m, widen(y)), p); err != nil {
			return nil, nil, err
		}
		evals, err := ref.Steps(0, steps, lr, every)
		if err != nil {
			return nil, nil, err
		}
		final, _ := ref.Params()
		var want []float64
		for _, e := range evals {
			want = append(want, e.Cost, e.Accuracy)
		}
		for _, l := range []int{0, 1} {
			want = append(want, final.W[l].RawMatrix().Data...)
			want = append(want, final.B[l].RawMatrix().Data...)
		}
		logged := opencl.Evaluated(0, steps, every)
		host := append([][]float32{x, y}, params...)
		host = append(host, nan(2*logged))
		bufs, release, err := upload(o.Context(), host)
		defer release()
		if err != nil {
			return nil, nil, err
		}
		mk := func(i, r, c int) opencl.Mat { return opencl.Mat{Buf: bufs[i], Rows: r, Cols: c} }
		if err := o.TinyTrain(mk(0, nx, m), mk(1, 1, m), mk(2, nh, nx), mk(3, nh, 1), mk(4, 1, nh), mk(5, 1, 1), 0, steps, every, lr, wg, bufs[6]); err != nil {
			return nil, nil, err
		}
		var got []float64
		for _, i := range []int{6, 2, 3, 4, 5} {
			v := make([]float32, len(host[i]))
			if err := bufs[i].Read(v); err != nil {
				return nil, nil, err
			}
			got = append(got, widen(v)...)
		}
		return got, want, nil
	}}
}

// onDevice uploads each host slice to a fresh buffer, runs launch, and reads
// back buffer out. Every buffer is released.
func onDevice(o *opencl.Ops, host [][]float32, out int, launch func([]*device.Buffer) error) ([]float64, error) {
	bufs, release, err := upload(o.Context(), host)
	defer release()
	if err != nil {
		return nil, err
	}
	if err := launch(bufs); err != nil {
		return nil, err
	}
	res := make([]float32, len(host[out]))
	if err := bufs[out].Read(res); err != nil {
		return nil, err
	}
	return widen(res), nil
}

// upload copies each host slice to a fresh buffer; release frees them all,
// also after an error.
func upload(c *device.Context, host [][]float32) ([]*device.Buffer, func(), error) {
	bufs := make([]*device.Buffer, 0, len(host))
	release := func() {
		for _, b := range bufs {
			b.Release()
		}
	}
	for _, h := range host {
		b, err := c.NewBuffer(len(h))
		if err != nil {
			return nil, release, err
		}
		bufs = append(bufs, b)
		if err := b.Write(h); err != nil {
			return nil, release, err
		}
	}
	return bufs, release, nil
}

func randn(rng *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64() * scale)
	}
	return v
}

// randu draws from (−1, 1), the range of a tanh output.
func randu(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(2*rng.Float64() - 1)
	}
	return v
}

func nan(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(math.NaN())
	}
	return v
}

func widen(v []float32) []float64 {
	w := make([]float64, len(v))
	for i, x := range v {
		w[i] = float64(x)
	}
	return w
}

func general(data []float64, rows, cols int) blas64.General {
	return blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: data}
}

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

func tChar(t bool) string {
	if t {
		return "T"
	}
	return "N"
}
