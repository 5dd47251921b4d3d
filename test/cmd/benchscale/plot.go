package main

import (
	"fmt"
	"image/color"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// drawPlot writes three panels side by side: the operator's memory and its
// full-resync time against the number of clusters, and the API writes per
// minute at steady state of this operator and of the naive one.
func drawPlot(r Report, path string) error {
	memory := plot.New()
	memory.Title.Text = "Operator memory"
	memory.X.Label.Text, memory.Y.Label.Text = "clusters", "MiB"
	var rss, heap plotter.XYs
	var resync plotter.XYs
	for _, m := range r.Memory {
		rss = append(rss, plotter.XY{X: float64(m.Clusters), Y: m.RSSMiB})
		heap = append(heap, plotter.XY{X: float64(m.Clusters), Y: m.HeapMiB})
		if m.ResyncSeconds > 0 {
			resync = append(resync, plotter.XY{X: float64(m.Clusters), Y: m.ResyncSeconds})
		}
	}
	if err := lines(memory, "RSS", rss, 0, "Go heap after GC", heap, 1); err != nil {
		return err
	}
	memory.Y.Min = 0

	times := plot.New()
	times.Title.Text = "Full resync (restart)"
	times.X.Label.Text, times.Y.Label.Text = "clusters", "seconds"
	if err := lines(times, "every cluster reconciled once", resync, 0); err != nil {
		return err
	}
	times.Y.Min = 0

	writes := plot.New()
	writes.Title.Text = fmt.Sprintf("API writes/min at steady state, N=%d", r.N)
	writes.Y.Label.Text = "writes per minute"
	bars, err := plotter.NewBarChart(plotter.Values{r.Steady.WritesPerMin, r.Naive.WritesPerMin}, vg.Points(40))
	if err != nil {
		return err
	}
	bars.Color = color.RGBA{R: 60, G: 110, B: 180, A: 255}
	writes.Add(bars)
	writes.NominalX("this operator", "naive (the seed's)")
	writes.Y.Min = 0

	const w, h = 15 * vg.Centimeter, 11 * vg.Centimeter
	img := vgimg.New(3*w, h)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 3, PadX: vg.Centimeter, PadTop: vg.Millimeter * 5, PadBottom: vg.Millimeter * 5, PadLeft: vg.Millimeter * 5, PadRight: vg.Millimeter * 5}
	canvases := plot.Align([][]*plot.Plot{{memory, times, writes}}, tiles, dc)
	memory.Draw(canvases[0][0])
	times.Draw(canvases[0][1])
	writes.Draw(canvases[0][2])
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = vgimg.PngCanvas{Canvas: img}.WriteTo(f)
	return err
}

// lines adds named series (name, points, color index, ...) with points.
func lines(p *plot.Plot, args ...any) error {
	palette := []color.Color{color.RGBA{R: 60, G: 110, B: 180, A: 255}, color.RGBA{R: 220, G: 120, B: 40, A: 255}}
	for i := 0; i+2 < len(args)+1; i += 3 {
		name, pts, c := args[i].(string), args[i+1].(plotter.XYs), args[i+2].(int)
		if len(pts) == 0 {
			continue
		}
		l, s, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		l.Color, s.Color = palette[c], palette[c]
		p.Add(l, s)
		p.Legend.Add(name, l, s)
	}
	p.Legend.Top, p.Legend.Left = true, true
	return nil
}
