package figures

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Layout of the decision-boundary picture.
const (
	// gridSize is the number of grid points along each feature axis.
	gridSize       = 200
	boundaryWidth  = 7.75 * vg.Inch
	boundaryHeight = 6 * vg.Inch
	// legendWidth is the strip right of the plot that holds the legend.
	legendWidth = 1.75 * vg.Inch
	pointRadius = 2.5 // points
)

var (
	// regionColors fill the cells predicted as class 0 and class 1.
	regionColors = [2]color.RGBA{
		{R: 0xf6, G: 0xc1, B: 0xbd, A: 0xff},
		{R: 0xbf, G: 0xd4, B: 0xf2, A: 0xff},
	}
	// labelColors fill the data points labelled 0 and 1.
	labelColors = [2]color.RGBA{
		{R: 0xd7, G: 0x19, B: 0x1c, A: 0xff},
		{R: 0x2c, G: 0x5f, B: 0xb6, A: 0xff},
	}
	pointEdge = color.RGBA{R: 0x20, G: 0x20, B: 0x20, A: 0xff}
)

// Boundary draws the decision boundary of a classifier over 2-feature data
// and writes it to path (.png, .svg or .pdf, chosen by the extension).
//
// x is (2, m) with one example per column and finite values; y is (1, m) with
// labels 0 or 1. A grid of 200×200 points spans [min−1, max+1] of each
// feature; predict is called once per grid point and must return the
// probability of class 1 (NaN is refused). Each cell is filled with the colour
// of its predicted class (p > 0.5 is class 1), and the examples are drawn on
// top in the colour of their label. The file is written atomically.
func Boundary(path string, x *mat.Dense, y *mat.Dense, predict func(x1, x2 float64) float64) error {
	if x == nil || y == nil || predict == nil {
		return fmt.Errorf("decision boundary %s: x, y and predict must not be nil", path)
	}
	nx, m := x.Dims()
	if nx != 2 || m == 0 {
		return fmt.Errorf("decision boundary %s: x is %d×%d, want 2×m with m > 0 (2 features, examples as columns)", path, nx, m)
	}
	if ry, cy := y.Dims(); ry != 1 || cy != m {
		return fmt.Errorf("decision boundary %s: y is %d×%d, want 1×%d", path, ry, cy, m)
	}
	var points [2]plotter.XYs
	lo := [2]float64{math.Inf(1), math.Inf(1)}
	hi := [2]float64{math.Inf(-1), math.Inf(-1)}
	for j := range m {
		label := y.At(0, j)
		if label != 0 && label != 1 {
			return fmt.Errorf("decision boundary %s: y[%d] = %g, want 0 or 1", path, j, label)
		}
		for i := range 2 {
			v := x.At(i, j)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("decision boundary %s: x[%d][%d] = %g is not finite", path, i, j, v)
			}
			lo[i], hi[i] = math.Min(lo[i], v), math.Max(hi[i], v)
		}
		points[int(label)] = append(points[int(label)], plotter.XY{X: x.At(0, j), Y: x.At(1, j)})
	}
	c, err := newCanvas(path, boundaryWidth, boundaryHeight)
	if err != nil {
		return err
	}

	grid := &classGrid{
		xs: linspace(lo[0]-1, hi[0]+1, gridSize),
		ys: linspace(lo[1]-1, hi[1]+1, gridSize),
		z:  make([]float64, gridSize*gridSize),
	}
	for r, x2 := range grid.ys {
		for col, x1 := range grid.xs {
			p := predict(x1, x2)
			if math.IsNaN(p) {
				return fmt.Errorf("decision boundary %s: predict(%g, %g) returned NaN", path, x1, x2)
			}
			if p > 0.5 {
				grid.z[r*gridSize+col] = 1
			}
		}
	}

	pl := plot.New()
	pl.Title.Text = "Decision boundary"
	pl.Title.TextStyle.Font.Size = 14
	pl.X.Label.Text = "x1"
	pl.Y.Label.Text = "x2"
	pl.X.Padding, pl.Y.Padding = 0, 0
	pl.X.Tick.Marker, pl.Y.Tick.Marker = niceTicks{n: 6}, niceTicks{n: 6}
	pl.Add(regions{&plotter.HeatMap{
		GridXYZ:    grid,
		Palette:    fillPalette{regionColors[0], regionColors[1]},
		Min:        0,
		Max:        1,
		Rasterized: true,
	}})
	for class, xys := range points {
		if len(xys) == 0 {
			continue
		}
		s, err := plotter.NewScatter(xys)
		if err != nil {
			return fmt.Errorf("decision boundary %s: draw points: %w", path, err)
		}
		s.GlyphStyle = pointStyle(class)
		pl.Add(s)
	}

	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	legend.Padding = vg.Points(6)
	legend.ThumbnailWidth = vg.Points(14)
	legend.Add("predicted 0", swatch(regionColors[0]))
	legend.Add("predicted 1", swatch(regionColors[1]))
	legend.Add("label y = 0", pointKey(0))
	legend.Add("label y = 1", pointKey(1))

	dc := page(c)
	pl.Draw(draw.Crop(dc, 0, -legendWidth, 0, 0))
	legend.Draw(draw.Crop(dc, dc.Max.X-dc.Min.X-legendWidth+vg.Points(12), 0, 0, -0.5*vg.Inch))
	return writeAtomic(path, c)
}

// linspace returns n ≥ 2 evenly spaced values from lo to hi inclusive.
func linspace(lo, hi float64, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = lo + (hi-lo)*float64(i)/float64(n-1)
	}
	return v
}

// classGrid is the predicted class (0 or 1) at each point of a rectangular
// grid; it implements plotter.GridXYZ. z holds row r (x2 = ys[r]) at
// z[r*len(xs):(r+1)*len(xs)].
type classGrid struct {
	xs, ys, z []float64
}

// Dims implements plotter.GridXYZ.
func (g *classGrid) Dims() (c, r int) { return len(g.xs), len(g.ys) }

// Z implements plotter.GridXYZ.
func (g *classGrid) Z(c, r int) float64 { return g.z[r*len(g.xs)+c] }

// X implements plotter.GridXYZ.
func (g *classGrid) X(c int) float64 { return g.xs[c] }

// Y implements plotter.GridXYZ.
func (g *classGrid) Y(r int) float64 { return g.ys[r] }

// regions draws the predicted classes as a heat map that fills the plot area
// up to the axes: unlike plotter.HeatMap it has no glyph boxes, which would
// pad the axes by half a marker around every cell.
type regions struct {
	heat *plotter.HeatMap
}

// Plot implements plot.Plotter.
func (r regions) Plot(c draw.Canvas, p *plot.Plot) { r.heat.Plot(c, p) }

// DataRange implements plot.DataRanger.
func (r regions) DataRange() (xmin, xmax, ymin, ymax float64) { return r.heat.DataRange() }

// fillPalette is a fixed list of colours; it implements palette.Palette.
type fillPalette []color.Color

// Colors implements palette.Palette.
func (p fillPalette) Colors() []color.Color { return p }

// pointStyle is the marker of a data point labelled class.
func pointStyle(class int) draw.GlyphStyle {
	return draw.GlyphStyle{Color: labelColors[class], Radius: vg.Points(pointRadius), Shape: outlinedCircle{}}
}

// outlinedCircle is a filled circle with a thin dark edge, so that points
// stay visible on a region of their own colour.
type outlinedCircle struct{}

// DrawGlyph implements draw.GlyphDrawer.
func (outlinedCircle) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	draw.CircleGlyph{}.DrawGlyph(c, sty, pt)
	c.SetLineStyle(draw.LineStyle{Color: pointEdge, Width: vg.Points(0.5)})
	var edge vg.Path
	edge.Move(vg.Point{X: pt.X + sty.Radius, Y: pt.Y})
	edge.Arc(pt, sty.Radius, 0, 2*math.Pi)
	edge.Close()
	c.Stroke(edge)
}

// swatch is a legend thumbnail filled with one colour and edged in grey.
type swatch color.RGBA

// Thumbnail implements plot.Thumbnailer.
func (s swatch) Thumbnail(c *draw.Canvas) {
	side := c.Max.Y - c.Min.Y
	box := vg.Rectangle{Min: c.Min, Max: vg.Point{X: c.Min.X + side, Y: c.Max.Y}}
	c.SetColor(color.RGBA(s))
	c.Fill(box.Path())
	c.SetLineStyle(draw.LineStyle{Color: color.Gray{Y: 0x80}, Width: vg.Points(0.5)})
	c.Stroke(box.Path())
}

// pointKey is a legend thumbnail showing the marker of a class.
type pointKey int

// Thumbnail implements plot.Thumbnailer.
func (k pointKey) Thumbnail(c *draw.Canvas) {
	side := c.Max.Y - c.Min.Y
	c.DrawGlyphNoClip(pointStyle(int(k)), vg.Point{X: c.Min.X + side/2, Y: c.Center().Y})
}
