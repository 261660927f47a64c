package figures

import (
	"fmt"
	"image/color"
	"io"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/cltrain/cltrain/internal/atomicfile"
)

// newCanvas returns an empty canvas of size w×h in the format named by the
// extension of path, or an error for any extension other than .png, .svg and
// .pdf (case-insensitive, as plot.Save reads it).
func newCanvas(path string, w, h vg.Length) (vg.CanvasWriterTo, error) {
	ext := filepath.Ext(path)
	switch strings.ToLower(ext) {
	case ".png":
		return vgimg.PngCanvas{Canvas: vgimg.New(w, h)}, nil
	case ".svg":
		return vgsvg.New(w, h), nil
	case ".pdf":
		return vgpdf.New(w, h), nil
	}
	if ext == "" {
		return nil, fmt.Errorf("figure %q: no file extension; want .png, .svg or .pdf", path)
	}
	return nil, fmt.Errorf("figure %q: unsupported extension %q; want .png, .svg or .pdf", path, ext)
}

// margin is the blank border around every picture, in points.
const margin vg.Length = 10

// page paints all of c white and returns the part of it inside the margin.
func page(c vg.CanvasWriterTo) draw.Canvas {
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	return draw.Crop(dc, margin, -margin, margin, -margin)
}

// writeAtomic writes the canvas c to path through a temporary file, so an
// interrupted run never leaves a truncated picture.
func writeAtomic(path string, c vg.CanvasWriterTo) error {
	err := atomicfile.Write(path, func(w io.Writer) error {
		_, err := c.WriteTo(w)
		return err
	})
	if err != nil {
		return fmt.Errorf("write figure %s: %w", path, err)
	}
	return nil
}

// BoundaryPath returns the path of the decision-boundary picture that goes
// with the loss-curve picture at path: "-boundary" is inserted before the
// extension of the last path element ("flower.png" → "flower-boundary.png",
// "a/b.c/flower" → "a/b.c/flower-boundary").
func BoundaryPath(path string) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-boundary" + ext
}
