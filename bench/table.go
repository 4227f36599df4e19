package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// cell renders a stat with its unit, or why it is missing.
func cell(s *Stat, missing, unit string) string {
	if s == nil {
		if missing == "" {
			missing = "not measured"
		}
		return "missing: " + missing
	}
	return num(s.Median) + " " + unit
}

// spread renders min..max.
func spread(s *Stat) string {
	if s == nil {
		return "-"
	}
	return fmt.Sprintf("%s..%s", num(s.Min), num(s.Max))
}

// num renders a value with three significant digits or so.
func num(v float64) string {
	switch a := abs(v); {
	case a == 0:
		return "0"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	case a >= 0.01:
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.2g", v)
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func ratio(f *Figure) string {
	if f.Ratio == nil {
		return "-"
	}
	return num(*f.Ratio) + "x"
}

// WriteTable prints the human table: figure, value, min..max, baseline,
// its value and min..max, ratio; then notes.
func (r *Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "iomaplab bench: %s; median of %d runs after a warm-up (lab: median over %d seeds); %.0f s\n\n",
		r.Machine, r.Config.Runs, r.Config.Seeds, r.Seconds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tFIGURE\tVALUE\tMIN..MAX\tBASELINE\tBASELINE VALUE\tMIN..MAX\tRATIO\tNOTE")
	for _, f := range r.Figures {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Group, f.Name, cell(f.Value, f.Missing, f.Unit),
			spread(f.Value), f.Baseline, cell(f.Base, f.BaseMissing, f.Unit), spread(f.Base), ratio(f), f.Note)
	}
	tw.Flush()
}

// WriteMarkdown prints the table as Markdown, for docs/bench.md and the
// README.
func (r *Report) WriteMarkdown(w io.Writer) {
	fmt.Fprintln(w, "| group | figure | value (min..max) | baseline | baseline value (min..max) | ratio | note |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	esc := func(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
	for _, f := range r.Figures {
		v := cell(f.Value, f.Missing, f.Unit)
		if f.Value != nil {
			v += " (" + spread(f.Value) + ")"
		}
		bv := cell(f.Base, f.BaseMissing, f.Unit)
		if f.Base != nil {
			bv += " (" + spread(f.Base) + ")"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", f.Group, esc(f.Name), esc(v), esc(f.Baseline), esc(bv), ratio(f), esc(f.Note))
	}
}
