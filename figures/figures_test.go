package figures

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

var keepDir = flag.String("figures.out", "", "also copy the pictures drawn by the tests to this folder, to look at them")

func TestBoundaryPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"flower.png", "flower-boundary.png"},
		{"flower.svg", "flower-boundary.svg"},
		{"out/run.1/flower.pdf", "out/run.1/flower-boundary.pdf"},
		{"a/b.c/flower", "a/b.c/flower-boundary"},
		{"flower", "flower-boundary"},
		{"loss.curve.png", "loss.curve-boundary.png"},
		{"/abs/dir/Flower.PNG", "/abs/dir/Flower-boundary.PNG"},
	} {
		if got := BoundaryPath(tc.in); got != tc.want {
			t.Errorf("BoundaryPath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// flower returns m examples of two interleaved petal classes: x is (2, m),
// y is (1, m) with the first half labelled 0 and the second half 1.
func flower(m int) (*mat.Dense, *mat.Dense) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := mat.NewDense(2, m, nil)
	y := mat.NewDense(1, m, nil)
	half := m / 2
	for j := range m {
		class := j / half
		k := float64(j % half)
		theta := float64(class)*3.12 + k*3.12/float64(half-1) + 0.2*rng.NormFloat64()
		r := 4*math.Sin(4*theta) + 0.2*rng.NormFloat64()
		x.Set(0, j, r*math.Sin(theta))
		x.Set(1, j, r*math.Cos(theta))
		y.Set(0, j, float64(class))
	}
	return x, y
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func wavy(x1, x2 float64) float64 { return sigmoid(5 * math.Sin(3*x1) * x2) }

// decode reads the PNG at path and checks its size is at least w×h pixels.
func decode(t *testing.T, path string, w, h int) image.Image {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() < w || b.Dy() < h || b.Dx() > 4000 || b.Dy() > 4000 {
		t.Fatalf("%s is %d×%d pixels, want at least %d×%d", path, b.Dx(), b.Dy(), w, h)
	}
	if *keepDir != "" {
		if err := os.WriteFile(filepath.Join(*keepDir, filepath.Base(path)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return img
}

// colourCounts returns how many pixels of img have each colour.
func colourCounts(img image.Image) map[color.RGBA]int {
	n := make(map[color.RGBA]int)
	b := img.Bounds()
	for py := b.Min.Y; py < b.Max.Y; py++ {
		for px := b.Min.X; px < b.Max.X; px++ {
			n[color.RGBAModel.Convert(img.At(px, py)).(color.RGBA)]++
		}
	}
	return n
}

// onlyEntries fails unless dir holds exactly the named entries.
func onlyEntries(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}

func lossSeries(n int) (steps []int, loss, acc []float64) {
	for i := range n {
		steps = append(steps, 100*i)
		loss = append(loss, 0.2+0.5*math.Exp(-float64(i)/8))
		acc = append(acc, 0.9-0.4*math.Exp(-float64(i)/6))
	}
	return steps, loss, acc
}

func TestLossCurve(t *testing.T) {
	steps, loss, acc := lossSeries(100)
	for _, tc := range []struct {
		name string
		acc  []float64
		h    int
	}{
		{"loss.png", nil, 400},
		{"loss-accuracy.png", acc, 700},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, tc.name)
			if err := LossCurve(path, steps, loss, tc.acc); err != nil {
				t.Fatal(err)
			}
			onlyEntries(t, dir, tc.name)
			counts := colourCounts(decode(t, path, 700, tc.h))
			if len(counts) <= 2 {
				t.Errorf("%d distinct colours, want more than 2", len(counts))
			}
			if counts[costColor] < 200 {
				t.Errorf("%d pixels of the cost line's colour, want a visible line", counts[costColor])
			}
			if got := counts[accuracyColor]; (tc.acc != nil) != (got >= 200) {
				t.Errorf("%d pixels of the accuracy line's colour with accuracy %v", got, tc.acc != nil)
			}
		})
	}
}

func TestLossCurveFormats(t *testing.T) {
	steps, loss, acc := lossSeries(10)
	loss[3] = math.NaN()
	loss[4] = math.Inf(1)
	dir := t.TempDir()
	for name, magic := range map[string]string{"a.svg": "<?xml", "b.pdf": "%PDF", "c.PNG": "\x89PNG"} {
		path := filepath.Join(dir, name)
		if err := LossCurve(path, steps, loss, acc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, []byte(magic)) {
			t.Errorf("%s starts %q, want %q", name, data[:min(len(data), 8)], magic)
		}
	}
	onlyEntries(t, dir, "a.svg", "b.pdf", "c.PNG")
}

func TestLossCurveErrors(t *testing.T) {
	steps, loss, acc := lossSeries(5)
	nan := []float64{math.NaN(), math.Inf(1)}
	for _, tc := range []struct {
		name, file string
		steps      []int
		loss, acc  []float64
		want       string
	}{
		{"jpg", "l.jpg", steps, loss, acc, "unsupported extension"},
		{"no extension", "loss", steps, loss, acc, "no file extension"},
		{"no steps", "l.png", nil, nil, nil, "no steps"},
		{"short loss", "l.png", steps, loss[:4], acc, "4 loss values for 5 steps"},
		{"short accuracy", "l.png", steps, loss, acc[:3], "3 accuracy values for 5 steps"},
		{"percent accuracy", "l.png", steps, loss, []float64{0, 50, 60, 70, 80}, "accuracy[1] = 50"},
		{"NaN accuracy", "l.png", steps, loss, []float64{0, 0, math.NaN(), 0, 0}, "accuracy[2] = NaN"},
		{"no finite loss", "l.png", steps[:2], nan, nil, "none of the 2 loss values is finite"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			err := LossCurve(filepath.Join(dir, tc.file), tc.steps, tc.loss, tc.acc)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
			onlyEntries(t, dir)
		})
	}
}

func TestBoundary(t *testing.T) {
	x, y := flower(400)
	for _, tc := range []struct {
		name    string
		predict func(x1, x2 float64) float64
		// classes are the predicted classes whose fill must show.
		classes [2]bool
	}{
		{"boundary-wavy.png", wavy, [2]bool{true, true}},
		{"boundary-all0.png", func(float64, float64) float64 { return 0.1 }, [2]bool{true, false}},
		{"boundary-all1.png", func(float64, float64) float64 { return math.Inf(1) }, [2]bool{false, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, tc.name)
			calls := 0
			predict := func(x1, x2 float64) float64 { calls++; return tc.predict(x1, x2) }
			if err := Boundary(path, x, y, predict); err != nil {
				t.Fatal(err)
			}
			if calls != gridSize*gridSize {
				t.Errorf("predict called %d times, want %d", calls, gridSize*gridSize)
			}
			onlyEntries(t, dir, tc.name)
			counts := colourCounts(decode(t, path, 600, 500))
			if len(counts) <= 2 {
				t.Errorf("%d distinct colours, want more than 2", len(counts))
			}
			for class, shown := range tc.classes {
				// The plot area is about 400×400 pixels; a shown class
				// covers a good share of it, an absent one only its
				// small legend swatch.
				if n := counts[regionColors[class]]; shown != (n > 5000) {
					t.Errorf("%d pixels of the class %d fill, want shown = %v", n, class, shown)
				}
				if n := counts[labelColors[class]]; n < 500 {
					t.Errorf("%d pixels of the label %d colour, want the points visible", n, class)
				}
			}
		})
	}
}

// TestBoundaryGrid checks the grid spans [min−1, max+1] of each feature and
// that predict sees every grid point once.
func TestBoundaryGrid(t *testing.T) {
	x := mat.NewDense(2, 3, []float64{
		-2, 0, 3,
		10, 12, 11,
	})
	y := mat.NewDense(1, 3, []float64{0, 1, 0})
	seen := make(map[[2]float64]int)
	lo, hi := [2]float64{math.Inf(1), math.Inf(1)}, [2]float64{math.Inf(-1), math.Inf(-1)}
	err := Boundary(filepath.Join(t.TempDir(), "g.png"), x, y, func(x1, x2 float64) float64 {
		seen[[2]float64{x1, x2}]++
		lo[0], hi[0] = math.Min(lo[0], x1), math.Max(hi[0], x1)
		lo[1], hi[1] = math.Min(lo[1], x2), math.Max(hi[1], x2)
		return x1 / 10
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != gridSize*gridSize {
		t.Errorf("%d distinct grid points, want %d", len(seen), gridSize*gridSize)
	}
	if want := [2]float64{-3, 9}; lo != want {
		t.Errorf("grid starts at %v, want %v", lo, want)
	}
	if want := [2]float64{4, 13}; hi != want {
		t.Errorf("grid ends at %v, want %v", hi, want)
	}
}

func TestBoundaryErrors(t *testing.T) {
	x, y := flower(20)
	nanX := mat.DenseCopyOf(x)
	nanX.Set(1, 7, math.NaN())
	badY := mat.DenseCopyOf(y)
	badY.Set(0, 3, 0.5)
	for _, tc := range []struct {
		name, file string
		x, y       *mat.Dense
		predict    func(x1, x2 float64) float64
		want       string
	}{
		{"3 features", "b.png", mat.NewDense(3, 20, nil), y, wavy, "x is 3×20"},
		{"rows as examples", "b.png", mat.DenseCopyOf(x.T()), y, wavy, "x is 20×2"},
		{"y too short", "b.png", x, mat.NewDense(1, 19, nil), wavy, "y is 1×19, want 1×20"},
		{"y column", "b.png", x, mat.DenseCopyOf(y.T()), wavy, "y is 20×1"},
		{"label 0.5", "b.png", x, badY, wavy, "y[3] = 0.5"},
		{"NaN feature", "b.png", nanX, y, wavy, "x[1][7] = NaN"},
		{"nil x", "b.png", nil, y, wavy, "must not be nil"},
		{"nil predict", "b.png", x, y, nil, "must not be nil"},
		{"NaN predict", "b.png", x, y, func(float64, float64) float64 { return math.NaN() }, "returned NaN"},
		{"gif", "b.gif", x, y, wavy, `unsupported extension ".gif"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			err := Boundary(filepath.Join(dir, tc.file), tc.x, tc.y, tc.predict)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
			onlyEntries(t, dir)
		})
	}
}

// TestUnwritable checks that failed writes leave nothing behind: a missing
// folder, a file where the folder should be, and a folder where the picture
// should go (the rename fails after the temporary file was written).
func TestUnwritable(t *testing.T) {
	x, y := flower(40)
	steps, loss, acc := lossSeries(5)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "taken.png"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "taken.png", "inside"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		filepath.Join(dir, "missing", "f.png"),
		filepath.Join(dir, "file", "f.png"),
		filepath.Join(dir, "taken.png"),
	} {
		if err := LossCurve(p, steps, loss, acc); err == nil || !strings.Contains(err.Error(), "write figure") {
			t.Errorf("LossCurve(%s): error %v, want a write error", p, err)
		}
		if err := Boundary(p, x, y, wavy); err == nil || !strings.Contains(err.Error(), "write figure") {
			t.Errorf("Boundary(%s): error %v, want a write error", p, err)
		}
	}
	onlyEntries(t, dir, "file", "taken.png")
	onlyEntries(t, filepath.Join(dir, "taken.png"), "inside")
}

// TestOverwrite checks that a new picture replaces an old one and keeps its
// permissions.
func TestOverwrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "overwrite.png")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	steps, loss, _ := lossSeries(5)
	if err := LossCurve(path, steps, loss, nil); err != nil {
		t.Fatal(err)
	}
	decode(t, path, 100, 100)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want the old file's 0600", fi.Mode().Perm())
	}
	onlyEntries(t, dir, "overwrite.png")
}

// TestLossCurveFlat checks that a flat loss is drawn, also one so large that
// gonum's own widening of a flat range by ±1 is lost in rounding.
func TestLossCurveFlat(t *testing.T) {
	dir := t.TempDir()
	for i, v := range []float64{0.693, 1e17, 0} {
		path := filepath.Join(dir, "flat"+strconv.Itoa(i)+".png")
		if err := LossCurve(path, []int{0, 10, 20}, []float64{v, v, v}, []float64{0.5, 0.5, 0.5}); err != nil {
			t.Fatalf("loss %g: %v", v, err)
		}
		if n := colourCounts(decode(t, path, 700, 700))[costColor]; n < 200 {
			t.Errorf("loss %g: %d pixels of the cost line's colour, want a visible line", v, n)
		}
	}
}
