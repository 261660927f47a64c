package bench

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Plot draws the report to a PNG file at path: the square NN GEMM's GFLOP/s
// against n for every backend, with the measured peak (log axes), beside
// the median time of a training step for every configuration (log time).
func (r *Report) Plot(path string) error {
	gemm, err := r.gemmPlot()
	if err != nil {
		return err
	}
	steps, err := r.stepPlot()
	if err != nil {
		return err
	}
	if gemm == nil && steps == nil {
		return errors.New("plot: the report has neither square GEMM nor step rows")
	}
	var row []*plot.Plot
	for _, p := range []*plot.Plot{gemm, steps} {
		if p != nil {
			row = append(row, p)
		}
	}
	const w, h = 7 * vg.Inch, 5 * vg.Inch
	img := vgimg.New(vg.Length(len(row))*w, h)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: len(row), PadX: vg.Inch / 4, PadTop: vg.Inch / 8, PadBottom: vg.Inch / 8}
	canvases := plot.Align([][]*plot.Plot{row}, tiles, dc)
	for i, p := range row {
		p.Draw(canvases[0][i])
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return f.Close()
}

// series collects one backend's points, x and y positive.
type series map[string]plotter.XYs

// add draws each backend's points in backendOrder, with the colour and
// glyph of its place there, and a legend entry.
func (s series) add(p *plot.Plot) error {
	for i, b := range backendOrder {
		xys := s[b]
		if len(xys) == 0 {
			continue
		}
		l, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		l.Color, pts.Color = plotutil.Color(i), plotutil.Color(i)
		pts.Shape = plotutil.Shape(i)
		p.Add(l, pts)
		p.Legend.Add(b, l, pts)
	}
	return nil
}

// gemmPlot is GFLOP/s against n for the square NN products, or nil.
func (r *Report) gemmPlot() (*plot.Plot, error) {
	s := series{}
	for _, row := range r.Rows {
		sh := row.Shape
		if row.Group == GroupGemm && row.Op == "NN" && len(sh) == 3 && sh[0] == sh[1] && sh[1] == sh[2] && row.Rate > 0 {
			s[row.Backend] = append(s[row.Backend], plotter.XY{X: float64(sh[0]), Y: row.Rate})
		}
	}
	if len(s) == 0 {
		return nil, nil
	}
	p := plot.New()
	p.Title.Text = "Square GEMM (NN), n×n·n×n"
	p.X.Label.Text, p.Y.Label.Text = "n", "GFLOP/s (median wall time)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.Y.Tick.Marker = logTicks{}
	var sizes []plot.Tick
	for _, xy := range slices.Concat(slices.Collect(maps.Values(s))...) {
		t := plot.Tick{Value: xy.X, Label: strconv.Itoa(int(xy.X))}
		if !slices.Contains(sizes, t) {
			sizes = append(sizes, t)
		}
	}
	p.X.Tick.Marker = plot.ConstantTicks(sizes)
	p.Legend.Top, p.Legend.Left = true, true
	if err := s.add(p); err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	// Room above the lines for the legend.
	p.Y.Max = 4 * max(p.Y.Max, r.Peak.GFLOPS)
	if r.Peak.GFLOPS > 0 {
		var lo, hi float64
		for _, xys := range s {
			for _, xy := range xys {
				if lo == 0 || xy.X < lo {
					lo = xy.X
				}
				hi = max(hi, xy.X)
			}
		}
		peak, err := plotter.NewLine(plotter.XYs{{X: lo, Y: r.Peak.GFLOPS}, {X: hi, Y: r.Peak.GFLOPS}})
		if err != nil {
			return nil, fmt.Errorf("plot: %w", err)
		}
		peak.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(peak)
		p.Legend.Add(fmt.Sprintf("device peak %.0f", r.Peak.GFLOPS), peak)
	}
	return p, nil
}

// stepPlot is the median step time per configuration, or nil.
func (r *Report) stepPlot() (*plot.Plot, error) {
	var configs []string
	s := series{}
	for _, row := range r.Rows {
		if row.Group != GroupStep || row.Runs == 0 || row.Wall.Median <= 0 {
			continue
		}
		i := slices.Index(configs, row.Case)
		if i < 0 {
			i = len(configs)
			configs = append(configs, row.Case)
		}
		s[row.Backend] = append(s[row.Backend], plotter.XY{X: float64(i), Y: row.Wall.Median})
	}
	if len(s) == 0 {
		return nil, nil
	}
	p := plot.New()
	p.Title.Text = "Training step (n_x-n_h-m)"
	p.Y.Label.Text = "median wall time, ms"
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
	p.NominalX(configs...)
	p.X.Min, p.X.Max = -0.5, float64(len(configs))-0.5
	p.Legend.Top, p.Legend.Left = true, true
	if err := s.add(p); err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	return p, nil
}

// logTicks marks a log axis at 1, 2 and 5 times each power of ten, with
// labels, and at the other multiples without.
type logTicks struct{}

// Ticks returns the marks between lo and hi, both positive.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for k := int(math.Floor(math.Log10(lo))); math.Pow10(k) <= hi; k++ {
		for i := 1; i < 10; i++ {
			v := float64(i) * math.Pow10(k)
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if i == 1 || i == 2 || i == 5 {
				t.Label = strconv.FormatFloat(v, 'f', max(-k, 0), 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}
