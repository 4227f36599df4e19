package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"iomaplab/kernel"
	"iomaplab/scenario/model"
)

// kernelDiff runs `iomaplab kernel --diff`: each planned exploratory cell
// as free races on the kernel and as random schedules on the model
// (variant correct); every kernel outcome after remount (file sizes,
// per-block extent states) must be one the model reaches. A disagreement
// is a fidelity failure (exit 1), shown with both sides.
func (a *app) kernelDiff(cells []kernel.ScenarioCell, f kernelFlags) error {
	sup := kernel.NewSupervisor()
	got, err := kernel.Differential(sup, kernel.DiffConfig{Cells: cells, KernelRuns: f.runs,
		ModelSchedules: f.modelSchedules, Seed: 1, Model: model.ForVariant})
	if err != nil {
		return classify(err)
	}
	if f.json {
		if err := printJSON(a.stdout, got); err != nil {
			return err
		}
	} else {
		writeDiffTable(a.stdout, got)
	}
	for _, c := range got {
		if c.Verdict == "disagree" {
			return errViolation
		}
	}
	return nil
}

func writeDiffTable(w io.Writer, cells []kernel.DiffCell) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tFS\tVERDICT\tKERNEL RUNS\tMODEL SCHEDULES\tKERNEL OUTCOMES\tMODEL OUTCOMES")
	for _, c := range cells {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\n", c.Scenario, c.FS, c.Verdict, c.KernelRuns, c.ModelSchedules, len(c.Kernel), len(c.Model))
	}
	tw.Flush()
	for _, c := range cells {
		if c.Verdict != "disagree" {
			continue
		}
		fmt.Fprintf(w, "\nfidelity failure: %s on %s\n  kernel: %s\n  model:  %s\n  %s\n", c.Scenario, c.FS,
			strings.Join(c.Kernel, "\n          "), strings.Join(c.Model, "\n          "), strings.Join(c.Failures, "\n  "))
	}
}
