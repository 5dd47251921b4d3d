// Command dashboardpng draws the layout of a Grafana dashboard JSON as a
// PNG: each panel's box on the 24-column grid, with its type, title and
// first query. No Grafana runs here; this shows what the dashboard holds
// and where, not what its charts look like.
//
//	go run ./hack/dashboardpng config/grafana/neo4j-operator.json docs/images/dashboard-layout.png
package main

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

const (
	colWidth  = 56 // pixels per grid column
	rowHeight = 28 // pixels per grid row
	margin    = 12
)

type panel struct {
	Type, Title string
	GridPos     struct{ X, Y, W, H int } `json:"gridPos"`
	Targets     []struct{ Expr string }  `json:"targets"`
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: dashboardpng <dashboard.json> <out.png>")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var d struct {
		Title  string
		Panels []panel
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return err
	}
	rows := 0
	for _, p := range d.Panels {
		rows = max(rows, p.GridPos.Y+p.GridPos.H)
	}
	header := 30
	img := image.NewRGBA(image.Rect(0, 0, 24*colWidth+2*margin, header+rows*rowHeight+2*margin))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{0x11, 0x12, 0x17, 0xff}}, image.Point{}, draw.Src)
	text(img, margin, margin+14, d.Title+"  (layout: no Grafana ran here)", color.RGBA{0xd8, 0xd9, 0xda, 0xff})
	for _, p := range d.Panels {
		box(img, p, header)
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	return png.Encode(f, img)
}

func box(img *image.RGBA, p panel, header int) {
	g := p.GridPos
	r := image.Rect(margin+g.X*colWidth+2, margin+header+g.Y*rowHeight+2,
		margin+(g.X+g.W)*colWidth-2, margin+header+(g.Y+g.H)*rowHeight-2)
	fill := map[string]color.RGBA{"row": {0x22, 0x25, 0x2b, 0xff}, "stat": {0x1f, 0x3b, 0x2d, 0xff}}[p.Type]
	if fill.A == 0 {
		fill = color.RGBA{0x18, 0x1b, 0x1f, 0xff}
	}
	draw.Draw(img, r, &image.Uniform{fill}, image.Point{}, draw.Src)
	border := color.RGBA{0x34, 0x37, 0x3d, 0xff}
	for x := r.Min.X; x < r.Max.X; x++ {
		img.Set(x, r.Min.Y, border)
		img.Set(x, r.Max.Y-1, border)
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		img.Set(r.Min.X, y, border)
		img.Set(r.Max.X-1, y, border)
	}
	chars := (r.Dx() - 12) / 7
	text(img, r.Min.X+6, r.Min.Y+14, clip(p.Title, chars), color.RGBA{0xff, 0xff, 0xff, 0xff})
	if p.Type == "row" {
		return
	}
	text(img, r.Min.X+6, r.Min.Y+30, p.Type, color.RGBA{0x73, 0xbf, 0x69, 0xff})
	y := r.Min.Y + 46
	for _, t := range p.Targets {
		for _, line := range wrap(t.Expr, chars) {
			if y > r.Max.Y-8 {
				return
			}
			text(img, r.Min.X+6, y, line, color.RGBA{0x9f, 0xa7, 0xb3, 0xff})
			y += 14
		}
	}
}

func text(img *image.RGBA, x, y int, s string, c color.Color) {
	d := &font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func clip(s string, n int) string {
	if n < 1 || len(s) <= n {
		return s
	}
	return s[:max(n-1, 0)] + "~"
}

func wrap(s string, n int) []string {
	s = strings.Join(strings.Fields(s), " ")
	var out []string
	for len(s) > n && n > 0 {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}
