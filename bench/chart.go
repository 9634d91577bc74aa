package bench

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// WriteFiles writes RESULTS.md and ratios.png into dir.
func WriteFiles(rep *Report, dir string) error {
	f, err := os.Create(filepath.Join(dir, "RESULTS.md"))
	if err != nil {
		return err
	}
	rep.WriteMarkdown(f)
	if err := f.Close(); err != nil {
		return err
	}
	img := rep.Chart()
	p, err := os.Create(filepath.Join(dir, "ratios.png"))
	if err != nil {
		return err
	}
	if err := png.Encode(p, img); err != nil {
		p.Close()
		return err
	}
	return p.Close()
}

var (
	colRaw    = color.RGBA{0x1f, 0x77, 0xb4, 0xff}
	colGuregu = color.RGBA{0xff, 0x7f, 0x0e, 0xff}
	colGrid   = color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	colText   = color.RGBA{0x20, 0x20, 0x20, 0xff}
	colOne    = color.RGBA{0x00, 0x00, 0x00, 0xff}
)

func text(img draw.Image, x, y int, s string, c color.Color) {
	d := &font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13,
		Dot: fixed.Point26_6{X: fixed.I(x), Y: fixed.I(y)}}
	d.DrawString(s)
}

func fill(img draw.Image, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// Chart draws dynamap's ratios for every charted metric on a log scale:
// a bar per baseline starting at 1x, to the left when dynamap is lower
// (faster, fewer allocations), to the right when it is higher.
func (r *Report) Chart() image.Image {
	var rows []*Metric
	lo, hi := 0.5, 2.0
	for _, m := range r.Metrics {
		if !m.Chart {
			continue
		}
		rows = append(rows, m)
		for _, b := range []string{"raw", "guregu"} {
			if v := r.Ratio(m, b); v > 0 && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, v/1.3), math.Max(hi, v*1.3)
			}
		}
	}
	const (
		width, labelW, top, rowH, right = 1200, 560, 70, 34, 90
	)
	height := top + rowH*max(len(rows), 1) + 40
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	fill(img, img.Bounds(), color.White)
	x0, x1 := labelW, width-right
	xOf := func(v float64) int {
		return x0 + int(float64(x1-x0)*(math.Log(v)-math.Log(lo))/(math.Log(hi)-math.Log(lo)))
	}
	text(img, 10, 18, "dynamap's ratios (log scale): bar left of 1x = dynamap lower (faster / fewer allocations), right = higher", colText)
	fill(img, image.Rect(10, 30, 22, 40), colRaw)
	text(img, 28, 40, "dynamap / raw aws-sdk-go-v2", colText)
	fill(img, image.Rect(260, 30, 272, 40), colGuregu)
	text(img, 278, 40, "dynamap / guregu/dynamo v2", colText)
	if r.Quick {
		text(img, 520, 40, "(quick smoke run: numbers not meaningful)", colText)
	}
	lastX := -1000
	for _, t := range []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50} {
		if t < lo || t > hi {
			continue
		}
		x := xOf(t)
		if t != 1 && (x-lastX < 48 || abs(x-xOf(1)) < 48) {
			continue
		}
		lastX = x
		c := colGrid
		if t == 1 {
			c = colOne
		}
		fill(img, image.Rect(x, top-8, x+1, height-30), c)
		text(img, x-10, height-14, fmt.Sprintf("%gx", t), colText)
	}
	for k, m := range rows {
		y := top + k*rowH
		label := strings.ReplaceAll(fmt.Sprintf("[%s] %s | %s", m.Section[:1], m.Name, m.Unit), "µ", "u")
		if len(label) > 78 {
			label = label[:77] + "~"
		}
		text(img, 10, y+18, label, colText)
		for j, b := range []string{"raw", "guregu"} {
			v := r.Ratio(m, b)
			by := y + 4 + j*13
			if math.IsNaN(v) || v <= 0 || math.IsInf(v, 0) {
				text(img, xOf(1)+4, by+10, "n/a", colText)
				continue
			}
			c := colRaw
			if j == 1 {
				c = colGuregu
			}
			a, z := xOf(1), xOf(v)
			if z < a {
				a, z = z, a
			}
			fill(img, image.Rect(a, by, max(z, a+2), by+11), c)
			tx := xOf(math.Max(v, 1)) + 6
			text(img, tx, by+10, fmt.Sprintf("%.2fx", v), colText)
		}
	}
	return img
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
