package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Chart is a bar chart of one group's medians with min..max whiskers.
type Chart struct {
	Name  string `json:"name"` // file name without extension
	Title string `json:"title"`
	Unit  string `json:"unit"`
	Bars  []Bar  `json:"bars"`
}

// Bar is one bar of a Chart.
type Bar struct {
	Label string `json:"label"`
	Stat  Stat   `json:"stat"`
}

// chart records a chart for Plot, leaving out missing bars.
func (b *bench) chart(name, title, unit string, bars ...struct {
	label string
	s     *Stat
}) {
	c := Chart{Name: name, Title: title, Unit: unit}
	for _, x := range bars {
		if x.s != nil {
			c.Bars = append(c.Bars, Bar{x.label, *x.s})
		}
	}
	if len(c.Bars) > 0 {
		b.rep.Charts = append(b.rep.Charts, c)
	}
}

func bar(label string, s *Stat) struct {
	label string
	s     *Stat
} {
	return struct {
		label string
		s     *Stat
	}{label, s}
}

// Plot writes every chart of r, and the lab's time-to-find chart, to dir as
// PNG and SVG, beside the report that produced them (bench.json and the
// Markdown table bench.md). It returns the files written.
func (r *Report) Plot(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	files, err := r.writeProvenance(dir)
	if err != nil {
		return files, err
	}
	save := func(p *plot.Plot, name string, w vg.Length) error {
		for _, ext := range []string{".png", ".svg"} {
			f := filepath.Join(dir, name+ext)
			if err := p.Save(w, 9*vg.Centimeter, f); err != nil {
				return fmt.Errorf("plot %s: %w", f, err)
			}
			files = append(files, f)
		}
		return nil
	}
	for _, c := range r.Charts {
		p, err := barPlot(c)
		if err != nil {
			return files, err
		}
		if err := save(p, c.Name, vg.Length(max(12, 3.2*float64(len(c.Bars))))*vg.Centimeter); err != nil {
			return files, err
		}
	}
	if p, n := findPlot(r.Finds); p != nil {
		if err := save(p, "lab-time-to-find", vg.Length(max(12, 4*float64(n)))*vg.Centimeter); err != nil {
			return files, err
		}
	}
	return files, nil
}

// whiskers are a series' min..max around its medians at x positions.
type whiskers struct {
	plotter.XYs
	plotter.YErrors
}

func newWhiskers(xs []float64, stats []Stat) whiskers {
	w := whiskers{XYs: make(plotter.XYs, len(xs)), YErrors: make(plotter.YErrors, len(xs))}
	for i, s := range stats {
		w.XYs[i] = plotter.XY{X: xs[i], Y: s.Median}
		w.YErrors[i].Low, w.YErrors[i].High = s.Median-s.Min, s.Max-s.Median
	}
	return w
}

func barPlot(c Chart) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = c.Title
	p.Y.Label.Text = c.Unit + " (median; whiskers min..max)"
	vals := make(plotter.Values, len(c.Bars))
	labels := make([]string, len(c.Bars))
	xs := make([]float64, len(c.Bars))
	stats := make([]Stat, len(c.Bars))
	for i, b := range c.Bars {
		vals[i], labels[i], xs[i], stats[i] = b.Stat.Median, b.Label, float64(i), b.Stat
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(28))
	if err != nil {
		return nil, err
	}
	bars.Color = color.RGBA{R: 70, G: 120, B: 180, A: 255}
	bars.LineStyle.Width = 0
	eb, err := plotter.NewYErrorBars(newWhiskers(xs, stats))
	if err != nil {
		return nil, err
	}
	p.Add(plotter.NewGrid(), bars, eb)
	p.NominalX(labels...)
	p.Y.Min = 0
	return p, nil
}

// strategyColors are the lab chart's series colours.
var strategyColors = []color.Color{
	color.RGBA{R: 200, G: 60, B: 50, A: 255}, color.RGBA{R: 60, G: 130, B: 60, A: 255},
	color.RGBA{R: 60, G: 90, B: 200, A: 255}, color.RGBA{R: 200, G: 140, B: 20, A: 255},
	color.RGBA{R: 120, G: 120, B: 120, A: 255},
}

// findPlot draws time to find per mutant (x) and strategy (series), the
// median as a point and min..max as a whisker on a log scale, with free-mode
// stress as the last series; and the number of mutants. Nil if nothing was
// found.
func findPlot(finds []*Find) (*plot.Plot, int) {
	var mutants []string
	idx := map[string]int{}
	series := map[string][]*Find{}
	var order []string
	for _, f := range finds {
		if _, ok := idx[f.Mutant]; !ok {
			idx[f.Mutant] = len(mutants)
			mutants = append(mutants, f.Mutant)
		}
		if _, ok := series[f.Strategy]; !ok {
			order = append(order, f.Strategy)
		}
		series[f.Strategy] = append(series[f.Strategy], f)
	}
	if len(mutants) == 0 {
		return nil, 0
	}
	type pt struct {
		x float64
		s Stat
	}
	pts := map[string][]pt{}
	names := append(append([]string(nil), order...), "free-mode stress")
	for si, name := range order {
		for _, f := range series[name] {
			if f.Seconds != nil {
				pts[name] = append(pts[name], pt{float64(idx[f.Mutant]) + offset(si, len(names)), *f.Seconds})
			}
		}
	}
	stress := len(names) - 1
	for _, f := range series[order[0]] {
		if f.Stress != nil && f.Stress.Seconds != nil {
			pts[names[stress]] = append(pts[names[stress]], pt{float64(idx[f.Mutant]) + offset(stress, len(names)), *f.Stress.Seconds})
		}
	}
	p := plot.New()
	p.Title.Text = "race lab: time to find each mutant (median over seeds; whiskers min..max)"
	p.Y.Label.Text = "seconds (log)"
	p.X.Label.Text = "mutant (no point: not found within the budget, or by stress in its wall time)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	lo, hi := math.Inf(1), math.Inf(-1)
	for si, name := range names {
		ps := pts[name]
		if len(ps) == 0 {
			continue
		}
		xs := make([]float64, len(ps))
		st := make([]Stat, len(ps))
		for i, q := range ps {
			xs[i], st[i] = q.x, q.s
			lo, hi = min(lo, q.s.Min), max(hi, q.s.Max)
		}
		w := newWhiskers(xs, st)
		sc, err := plotter.NewScatter(w.XYs)
		if err != nil {
			continue
		}
		col := strategyColors[si%len(strategyColors)]
		sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
		eb, err := plotter.NewYErrorBars(w)
		if err != nil {
			continue
		}
		eb.LineStyle.Color = col
		p.Add(eb, sc)
		p.Legend.Add(name, sc)
	}
	if math.IsInf(lo, 1) {
		return nil, 0
	}
	p.Y.Min, p.Y.Max = max(lo/2, 1e-5), hi*8 // headroom for the legend
	p.NominalX(mutants...)
	p.X.Tick.Label.Font.Size = vg.Points(9)
	p.X.Min, p.X.Max = -0.6, float64(len(mutants))-0.4
	return p, len(mutants)
}

// offset spreads n series around an integer x position.
func offset(i, n int) float64 { return (float64(i) - float64(n-1)/2) * 0.18 }

// writeProvenance writes bench.json and bench.md into dir.
func (r *Report) writeProvenance(dir string) ([]string, error) {
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	var md bytes.Buffer
	fmt.Fprintf(&md, "Measured by `%s` on %s, %s, in %.0f s.\n\n",
		r.Command, r.Machine, r.Started.Format("2006-01-02 15:04 UTC"), r.Seconds)
	r.WriteMarkdown(&md)
	var files []string
	for name, data := range map[string][]byte{"bench.json": append(js, '\n'), "bench.md": md.Bytes()} {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, data, 0o644); err != nil {
			return files, err
		}
		files = append(files, f)
	}
	slices.Sort(files)
	return files, nil
}
