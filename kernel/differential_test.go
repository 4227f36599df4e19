package kernel

import (
	"fmt"
	"strings"
	"testing"

	"iomaplab/scenario"
	"iomaplab/scenario/model"
)

// diffTable renders cells as the docs/design.md table.
func diffTable(cells []DiffCell) string {
	var sb strings.Builder
	sb.WriteString("| scenario | fs | verdict | kernel runs | model schedules | kernel outcomes | model outcomes |\n|---|---|---|---|---|---|---|\n")
	for _, c := range cells {
		fmt.Fprintf(&sb, "| %s | %s | %s | %d | %d | %d | %d |\n", c.Scenario, c.FS, c.Verdict, c.KernelRuns, c.ModelSchedules, len(c.Kernel), len(c.Model))
	}
	return sb.String()
}

// The differential check over the catalogue's exploratory scenarios with
// kernel lines (the table of docs/design.md: go test ./kernel -run
// TestDifferentialCatalogue -v): each cell whose fs line's model exists is
// compared, the others say "no model", and every disagreement is logged
// with both sides. Skipped under -short and -race (the model's schedules
// are slow under -race).
func TestDifferentialCatalogue(t *testing.T) {
	if short() {
		t.Skip("the catalogue's differential run is skipped under -short and -race")
	}
	fstypes := []string{"xfs", "ext4", "btrfs"}
	requireEnv(t, fstypes...)
	privateTmp(t)
	all, err := DefaultScenarios()
	if err != nil {
		t.Fatal(err)
	}
	var scs []*scenario.Scenario
	for _, sc := range all {
		if !sc.Directed {
			scs = append(scs, sc)
		}
	}
	cells, err := PlanScenarios(scs, fstypes, false)
	if err != nil {
		t.Fatal(err)
	}
	runs, schedules := scenarioRuns(t, 3), 100
	got, err := Differential(quietSupervisor(t), DiffConfig{Cells: cells, KernelRuns: runs, ModelSchedules: schedules, Seed: 1, Model: model.ForVariant})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", diffTable(got))
	if len(got) != len(cells) {
		t.Errorf("%d cells compared, %d planned", len(got), len(cells))
	}
	for _, c := range got {
		if want := c.FS == fsLineOf(scs, c.Scenario); want != (c.Verdict != "no model") {
			t.Errorf("%s on %s: verdict %q", c.Scenario, c.FS, c.Verdict)
		}
		if c.Verdict == "disagree" {
			t.Logf("%s on %s:\n  kernel: %s\n  model:  %s\n  %s", c.Scenario, c.FS, strings.Join(c.Kernel, "\n          "),
				strings.Join(c.Model, "\n          "), strings.Join(c.Failures, "\n  "))
		}
	}
}

// The comparison both ways: kernel outcomes within the model's agree; one
// outside, or an oracle that fired, disagrees with both sides kept.
func TestDiffCellJudge(t *testing.T) {
	a, b := "f size 8192: 0-1 written", "f size 8192: 0 written, 1 hole"
	agree := DiffCell{Kernel: []string{a}, Model: []string{a, b}}
	agree.judge()
	if agree.Verdict != "agree" || len(agree.Failures) != 0 {
		t.Errorf("agree: %+v", agree)
	}
	outside := DiffCell{Kernel: []string{a, b}, Model: []string{a}}
	outside.judge()
	if outside.Verdict != "disagree" || len(outside.Failures) != 1 || !strings.Contains(outside.Failures[0], b) || len(outside.Model) != 1 {
		t.Errorf("outside: %+v", outside)
	}
	failed := DiffCell{Kernel: []string{a}, Model: []string{a}, Failures: []string{"kernel run 1: data: f ..."}}
	failed.judge()
	if failed.Verdict != "disagree" {
		t.Errorf("failed: %+v", failed)
	}
}

// A deterministic exploratory scenario agrees on XFS: sync_file_range and
// DONTNEED racing a write leave every written block written, on the kernel
// and in every model schedule.
func TestDifferentialAgreesOnXFS(t *testing.T) {
	requireEnv(t, "xfs")
	privateTmp(t)
	sc, err := LoadScenario("explore-write-fadvise-syncrange")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Differential(quietSupervisor(t), DiffConfig{Cells: []ScenarioCell{{sc, "xfs"}}, KernelRuns: scenarioRuns(t, 3), ModelSchedules: 20, Seed: 1, Model: model.ForVariant})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Verdict != "agree" || len(got[0].Kernel) == 0 || len(got[0].Model) == 0 {
		t.Errorf("%+v", got)
	}
}

// fsLineOf is the fs line's type of the named scenario.
func fsLineOf(scs []*scenario.Scenario, name string) string {
	for _, sc := range scs {
		if sc.Name == name {
			return sc.FS.Type
		}
	}
	return ""
}
