package figures

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Sizes of the loss-curve picture: one panel without accuracy, two with it.
const (
	lossWidth       = 8 * vg.Inch
	lossHeight      = 4.5 * vg.Inch
	lossHeightTwice = 7.5 * vg.Inch
	// markAtMost is the largest number of points drawn with a marker on
	// each point; longer series are drawn as a plain line.
	markAtMost = 50
	// legendInset keeps a legend off the corner of its plot area, in points.
	legendInset vg.Length = 8
)

var (
	costColor     = color.RGBA{R: 0x1f, G: 0x4e, B: 0x9c, A: 0xff}
	accuracyColor = color.RGBA{R: 0xd9, G: 0x5f, B: 0x02, A: 0xff}
)

// LossCurve draws the training cost against the iteration and writes it to
// path (.png, .svg or .pdf, chosen by the extension). steps and loss must have
// the same, non-zero length. Non-finite loss values (a diverged run) are left
// out of the line and counted in its legend. When accuracy is not empty it must
// have the length of steps, hold fractions in [0, 1], and is drawn on a second
// panel below the cost, on a fixed [0, 1] axis. The file is written atomically.
func LossCurve(path string, steps []int, loss []float64, accuracy []float64) error {
	n := len(steps)
	if n == 0 {
		return fmt.Errorf("loss curve %s: no steps", path)
	}
	if len(loss) != n {
		return fmt.Errorf("loss curve %s: %d loss values for %d steps", path, len(loss), n)
	}
	if len(accuracy) != 0 && len(accuracy) != n {
		return fmt.Errorf("loss curve %s: %d accuracy values for %d steps", path, len(accuracy), n)
	}
	for i, a := range accuracy {
		if !(a >= 0 && a <= 1) {
			return fmt.Errorf("loss curve %s: accuracy[%d] = %g is not a fraction in [0, 1]", path, i, a)
		}
	}
	height := lossHeight
	if len(accuracy) != 0 {
		height = lossHeightTwice
	}
	c, err := newCanvas(path, lossWidth, height)
	if err != nil {
		return err
	}

	cost := make(plotter.XYs, 0, n)
	for i, l := range loss {
		if !math.IsNaN(l) && !math.IsInf(l, 0) {
			cost = append(cost, plotter.XY{X: float64(steps[i]), Y: l})
		}
	}
	if len(cost) == 0 {
		return fmt.Errorf("loss curve %s: none of the %d loss values is finite", path, n)
	}
	top, err := seriesPlot(cost, costColor)
	if err != nil {
		return fmt.Errorf("loss curve %s: %w", path, err)
	}
	top.Title.Text = "Training loss"
	top.Y.Label.Text = "cost"
	label := "cost"
	if skipped := n - len(cost); skipped > 0 {
		label = fmt.Sprintf("cost (%d non-finite values not drawn)", skipped)
	}
	top.Legend.Add(label, lineKey(costColor))
	top.Legend.Top = true
	top.Legend.XOffs, top.Legend.YOffs = -legendInset, -legendInset

	dc := page(c)
	if len(accuracy) == 0 {
		top.Draw(dc)
		return writeAtomic(path, c)
	}

	acc := make(plotter.XYs, n)
	for i, a := range accuracy {
		acc[i] = plotter.XY{X: float64(steps[i]), Y: a}
	}
	bottom, err := seriesPlot(acc, accuracyColor)
	if err != nil {
		return fmt.Errorf("loss curve %s: %w", path, err)
	}
	bottom.Title.Text = "Training accuracy"
	bottom.Y.Label.Text = "accuracy"
	bottom.Y.Min, bottom.Y.Max = 0, 1
	bottom.Legend.Add("accuracy (fraction correct)", lineKey(accuracyColor))
	bottom.Legend.XOffs, bottom.Legend.YOffs = -legendInset, legendInset
	// Both panels share the iteration axis.
	bottom.X.Min, bottom.X.Max = top.X.Min, top.X.Max

	plots := [][]*plot.Plot{{top}, {bottom}}
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadY: 0.3 * vg.Inch}
	for i, tc := range plot.Align(plots, tiles, dc) {
		plots[i][0].Draw(tc[0])
	}
	return writeAtomic(path, c)
}

// seriesPlot returns a plot with a grid, the label "iteration" on the x axis
// and xys drawn as a line of colour col, with markers when there are few
// points.
func seriesPlot(xys plotter.XYs, col color.Color) (*plot.Plot, error) {
	p := plot.New()
	p.Title.TextStyle.Font.Size = 14
	p.X.Label.Text = "iteration"
	p.X.Tick.Marker = niceTicks{n: 6, integer: true}
	p.Y.Tick.Marker = niceTicks{n: 5}
	p.Add(plotter.NewGrid())
	line, err := plotter.NewLine(xys)
	if err != nil {
		return nil, fmt.Errorf("draw line: %w", err)
	}
	line.LineStyle = lineStyle(col)
	p.Add(line)
	if len(xys) <= markAtMost {
		marks, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, fmt.Errorf("draw markers: %w", err)
		}
		marks.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}
		p.Add(marks)
	}
	widenFlat(&p.X)
	widenFlat(&p.Y)
	return p, nil
}

// widenFlat gives an axis whose data are all one value v a range around v.
// Gonum widens such a range by ±1 itself, which is lost in rounding once |v|
// passes 2⁵³.
func widenFlat(a *plot.Axis) {
	if a.Min == a.Max {
		d := math.Max(1, math.Abs(a.Min)/10)
		a.Min, a.Max = a.Min-d, a.Max+d
	}
}

// lineStyle is the style of a data line of colour col.
func lineStyle(col color.Color) draw.LineStyle {
	return draw.LineStyle{Color: col, Width: vg.Points(1.5)}
}

// lineKey is a legend thumbnail showing a line of one colour.
type lineKey color.RGBA

// Thumbnail implements plot.Thumbnailer.
func (k lineKey) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(lineStyle(color.RGBA(k)), c.Min.X, y, c.Max.X, y)
}
