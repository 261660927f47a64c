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
	"time"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/internal/atomicfile"
	"github.com/cltrain/cltrain/kernels"
)

// Tuning maps GEMM shape classes (see ShapeClass) to the configuration that
// ran fastest there on one device.
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

// tuningPath returns the file holding d's tuning, named by the device, its
// driver and the kernel sources.
func tuningPath(d device.Device) (string, error) {
	dir := device.CacheDir()
	if dir == "" {
		return "", errors.New("no user cache folder (or the cache is off)")
	}
	h := sha256.Sum256([]byte(d.Platform + "\x00" + d.Name + "\x00" + d.DriverVersion + "\x00" + kernels.SourceHash()))
	return filepath.Join(filepath.Dir(dir), "tuning", hex.EncodeToString(h[:8])+".json"), nil
}

// LoadTuning returns the tuning stored for d, or an empty Tuning when none
// was stored.
func LoadTuning(d device.Device) (Tuning, error) {
	path, err := tuningPath(d)
	if err != nil {
		return Tuning{}, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Tuning{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read tuning: %w", err)
	}
	var t Tuning
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("read tuning %s: %w", path, err)
	}
	return t, nil
}

// Save stores t as d's tuning, atomically, and returns the file's path.
func (t Tuning) Save(d device.Device) (string, error) {
	path, err := tuningPath(d)
	if err != nil {
		return "", fmt.Errorf("save tuning: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("save tuning: %w", err)
	}
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return "", err
	}
	if err := atomicfile.WriteBytes(path, append(b, '\n')); err != nil {
		return "", fmt.Errorf("save tuning: %w", err)
	}
	return path, nil
}

// TuneCase is one GEMM the tuner times: a shape standing for its class, and
// the configurations to try (nil: Candidates).
type TuneCase struct {
	TA, TB     bool
	M, N, K    int
	Candidates []GemmParams
}

// Class returns the case's shape class.
func (c TuneCase) Class() string { return ShapeClass(c.TA, c.TB, c.M, c.N, c.K) }

// TuneResult is one candidate's median time on one case.
type TuneResult struct {
	Class  string        `json:"class"`
	Shape  string        `json:"shape"`
	Params GemmParams    `json:"params"`
	Median time.Duration `json:"median_ns"`
	GFLOPS float64       `json:"gflops"`
	Err    string        `json:"error,omitempty"`
}

// Candidates returns the configurations the tuner tries on d for products
// of the given transposes: register blockings of the CPU kernel on CPU
// devices (rows and vectors for the outer-product forms, the dot-product
// block for NT), tilings of the tiled kernel on other devices.
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
				continue
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

// Tune times every candidate of each case's form (Candidates) on it: a
// warm-up, then runs launches, the median of their profiled kernel times. It
// returns the fastest per class with every result; progress, when set, sees
// each result.
func Tune(c *device.Context, cases []TuneCase, runs int, progress func(TuneResult)) (Tuning, []TuneResult, error) {
	best := Tuning{}
	bestTime := map[string]time.Duration{}
	var all []TuneResult
	for _, tc := range cases {
		a, b, out, err := tuneOperands(c, tc)
		if err != nil {
			return nil, nil, err
		}
		cands := tc.Candidates
		if cands == nil {
			cands = Candidates(c.Device, tc.TA, tc.TB)
		}
		for _, p := range cands {
			p.TM, p.TN, p.TK, p.WM, p.WN = or(p.TM, DefaultGemm.TM), or(p.TN, DefaultGemm.TN), or(p.TK, DefaultGemm.TK), or(p.WM, DefaultGemm.WM), or(p.WN, DefaultGemm.WN)
			r := TuneResult{Class: tc.Class(), Shape: fmt.Sprintf("%d×%d×%d", tc.M, tc.N, tc.K), Params: p}
			if d, err := timeGemm(c, p, tc, a, b, out, runs); err != nil {
				r.Err = err.Error()
			} else {
				r.Median = d
				r.GFLOPS = 2 * float64(tc.M) * float64(tc.N) * float64(tc.K) / d.Seconds() / 1e9
				if cur, ok := bestTime[r.Class]; !ok || d < cur {
					best[r.Class], bestTime[r.Class] = p, d
				}
			}
			all = append(all, r)
			if progress != nil {
				progress(r)
			}
		}
		a.Release()
		b.Release()
		out.Release()
	}
	return best, all, nil
}

// tuneOperands allocates and fills the operands of a case.
func tuneOperands(c *device.Context, tc TuneCase) (a, b, out Mat, err error) {
	ar, ac := tc.M, tc.K
	if tc.TA {
		ar, ac = ac, ar
	}
	br, bc := tc.K, tc.N
	if tc.TB {
		br, bc = bc, br
	}
	for _, m := range []struct {
		dst  *Mat
		r, c int
	}{{&a, ar, ac}, {&b, br, bc}, {&out, tc.M, tc.N}} {
		if *m.dst, err = NewMat(c, m.r, m.c); err != nil {
			return a, b, out, err
		}
		v := make([]float32, m.r*m.c)
		for i := range v {
			v[i] = float32(i%13)/13 - 0.5
		}
		if err = m.dst.Buf.Write(v); err != nil {
			return a, b, out, err
		}
	}
	return a, b, out, nil
}

// timeGemm returns the median profiled time of runs launches of p on tc.
func timeGemm(c *device.Context, p GemmParams, tc TuneCase, a, b, out Mat, runs int) (time.Duration, error) {
	o, err := NewOps(c, p)
	if err != nil {
		return 0, err
	}
	defer o.Release()
	if err := o.Gemm(tc.TA, tc.TB, 1, a, b, 0, out); err != nil { // warm-up, and the build
		return 0, err
	}
	if err := c.Finish(); err != nil {
		return 0, err
	}
	o.Profile(true)
	times := make([]time.Duration, 0, runs)
	for i := 0; i < runs; i++ {
		if err := o.Gemm(tc.TA, tc.TB, 1, a, b, 0, out); err != nil {
			return 0, err
		}
		ev := o.Events()[len(o.Events())-1]
		d, err := ev.Event.Duration()
		if err != nil {
			return 0, err
		}
		times = append(times, d)
	}
	o.DropEvents()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	return times[len(times)/2], nil
}
