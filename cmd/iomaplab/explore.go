package main

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"iomaplab/explore"
	"iomaplab/fsmodel/variant"
	"iomaplab/report"
	"iomaplab/scenario"
)

// exploreFlags are the parsed command line of `iomaplab explore`.
type exploreFlags struct {
	variant, strategy, device  string
	budget, depth, preemptions int
	jobs                       int
	shard                      string
	seed                       uint64
	matrix, json, quiet        bool
	limits                     scenario.Limits
	ci                         ciReports
}

func (a *app) exploreCmd() *cobra.Command {
	d := explore.Defaults
	var f exploreFlags
	cmd := &cobra.Command{
		Use:   "explore [SCENARIO|FILE.scn ...] [flags]",
		Short: "explore scenarios under the controlled scheduler (no scenario: the whole catalogue)",
		Long: `Run each scenario (a catalogue name or a .scn file; none: the whole catalogue)
on the userspace model under the lab's controlled scheduler, up to --budget
schedules each, with the engine variant --variant (correct, or a mutant that
reintroduces a fixed kernel bug). A violation is shrunk, drawn, and printed
with a replay token; a table of every cell follows.

--matrix runs the mutation matrix instead: every catalogue scenario with
correct and with each variant its 'catches' lines name, and checks each cell
against its expectation (must catch, must stay clean).

Off a terminal, a progress line goes to stderr every 10s (--quiet: none).`,
		Example: `  iomaplab explore
  iomaplab explore write-stale-unwritten --variant no-validate
  iomaplab explore my.scn --strategy dfs --preemptions 3
  iomaplab explore --matrix --json > matrix.json`,
		Annotations: map[string]string{"exit": `  0  every cell clean (--matrix: every cell as expected)
  1  a violation (--matrix: a cell not as expected, or a mutant no exploratory
     scenario caught), or a violation that did not replay identically
  2  bad usage, a bad scenario file, or a scenario error (an op failed: the
     scenario did not run as written)
  3  the environment cannot run it (host ENOSPC/EIO on the model's device file)
`},
		ValidArgsFunction: scenarioNames,
		RunE:              func(_ *cobra.Command, args []string) error { return a.explore(f, args) },
	}
	enumFlag(cmd, &f.variant, "variant", "correct", variant.Names(), "engine variant")
	enumFlag(cmd, &f.strategy, "strategy", d.Strategy, explore.Strategies,
		"scheduling strategy (dfs: depth first; delay: fewest delays first, systematic, finds what dfs misses)")
	intFlag(cmd, &f.budget, "budget", "", d.Budget, 1, 1_000_000, "schedules per scenario (and per matrix cell)")
	intFlag(cmd, &f.depth, "depth", "", d.Depth, 1, 64, "PCT depth d (d-1 priority change points)")
	intFlag(cmd, &f.preemptions, "preemptions", "", d.Preemptions, 0, 32, "preemption bound of dfs and delay (the space they exhaust)")
	cmd.Flags().Uint64Var(&f.seed, "seed", d.Seed, "strategy seed, any 64-bit number")
	cmd.Flags().BoolVar(&f.matrix, "matrix", false, "run the mutation matrix: every scenario with correct and each variant it names")
	cmd.Flags().BoolVar(&f.json, "json", false, "print one JSON document (schema: docs/explore-json.md)")
	intFlag(cmd, &f.jobs, "jobs", "", min(runtime.NumCPU(), explore.MaxJobs), 1, explore.MaxJobs,
		"worlds run at once (default: the CPUs); the cells are the same whatever it is")
	cmd.Flags().StringVar(&f.shard, "shard", "", "run share I of N (0 <= I < N) of every cell's schedules, with --json, for `iomaplab merge`; exits 0 on verdicts (merge gives the run's exit code)")
	deviceFlag(cmd, &f.device)
	f.limits = scenario.DefaultLimits // the limits no flag raises stay
	lim := scenario.DefaultLimits
	sizeFlag(cmd, &f.limits.MaxBytes, "max-bytes", "", lim.MaxBytes, 4<<10, 4<<30,
		"a scenario file's budget: the bytes its pwrite, pread, map-store and map-load ops move in all (each run buffers and steps through them)")
	sizeFlag(cmd, &f.limits.MaxDev, "max-dev", "", lim.MaxDev, 1<<20, 4<<30,
		"the largest dev=SIZE a scenario file may ask for (the model keeps the device in memory, one per run)")
	ciReportFlags(cmd, &f.ci)
	quietFlag(cmd, &f.quiet)
	return cmd
}

// exploreCell is one (scenario, variant) cell to run.
type exploreCell struct {
	sc      *scenario.Scenario
	variant string
}

func (a *app) explore(f exploreFlags, positional []string) error {
	d := explore.Defaults
	if f.matrix && (len(positional) > 0 || f.variant != "correct") {
		return badInput("--matrix takes no scenario and no --variant")
	}
	if err := f.ci.check(); err != nil {
		return err
	}
	opt := explore.Options{Strategy: f.strategy, Budget: f.budget, Depth: f.depth, Preemptions: f.preemptions, Seed: f.seed, ShrinkBudget: d.ShrinkBudget, Jobs: f.jobs}
	if f.shard != "" {
		sh, err := explore.ParseShard(f.shard)
		if err != nil {
			return asBadInput(err)
		}
		if !f.json {
			return badInput("--shard needs --json (merge reads the shards' JSON)")
		}
		opt.Shard = sh
	}
	var scenarios []*scenario.Scenario
	if len(positional) == 0 {
		list, err := scenario.List()
		if err != nil {
			return err
		}
		scenarios = list
	}
	for _, arg := range positional {
		sc, err := scenario.LoadWith(arg, f.limits)
		if err != nil {
			return asBadInput(err)
		}
		scenarios = append(scenarios, sc)
	}
	mk, err := modelTargets(f.device)
	if err != nil {
		return err
	}
	var plan []exploreCell
	for _, sc := range scenarios {
		if !f.matrix {
			plan = append(plan, exploreCell{sc, f.variant})
			continue
		}
		for _, vn := range variant.Names() {
			if exp, _ := sc.Expected(vn); exp != scenario.DontCare {
				plan = append(plan, exploreCell{sc, vn})
			}
		}
	}
	defer a.exitOnSignal("explore")()
	start := time.Now()
	var cellsDone, schedules atomic.Int64
	stopStatus := a.startStatus(f.quiet, func() string {
		return fmt.Sprintf("iomaplab explore: cells %d/%d, schedules %d", cellsDone.Load(), len(plan), schedules.Load())
	})
	bar := newProgress(a.stderr, f.quiet)
	jobs := make([]explore.Job, len(plan))
	for i, p := range plan {
		jobs[i] = explore.Job{Scenario: p.sc, Variant: p.variant}
	}
	o := opt
	o.Progress = func(total int) {
		schedules.Store(int64(total))
		bar.show(fmt.Sprintf("cells %d/%d", cellsDone.Load(), len(plan)), total, opt.Budget*len(plan))
	}
	cells := explore.RunCells(jobs, mk, o, func(c *explore.Cell) {
		cellsDone.Add(1)
		bar.clear()
		if !f.json {
			printCellDetail(a.stdout, c)
		}
	})
	stopStatus()
	var missing []string
	if f.matrix {
		missing = explore.Coverage(scenarios, cells)
	}
	result := exploreResult(cells, f.matrix, missing)
	if err := f.ci.write(report.Explore(cells, f.matrix, missing, opt, start)); err != nil {
		return err
	}
	doc := map[string]any{"matrix": f.matrix, "budget": opt.Budget, "strategy": opt.Strategy, "seed": opt.Seed,
		"cells": cells, "uncovered_by_exploratory": missing}
	if opt.Shard.Sharded() {
		// A shard's verdicts are a part of the run's: merge judges them.
		if errors.Is(result, errViolation) {
			result = nil
		}
		doc["shard"] = opt.Shard.String()
	}
	doc["exit"] = exitFor(result)
	if f.json {
		if err := printJSON(a.stdout, doc); err != nil {
			return err
		}
		return result
	}
	printCellSummary(a.stdout, cells, f.matrix, missing)
	return result
}

// printCellSummary prints the cell table and, for a matrix, whether every
// mutant was also caught by an exploratory scenario (explore and merge).
func printCellSummary(w io.Writer, cells []*explore.Cell, matrix bool, missing []string) {
	printCellTable(w, cells, matrix)
	if !matrix {
		return
	}
	if len(missing) > 0 {
		fmt.Fprintf(w, "\nmutants no exploratory scenario caught: %s\n", strings.Join(missing, ", "))
	} else {
		fmt.Fprintln(w, "\nevery mutant was also caught by an exploratory scenario")
	}
}

// exploreResult is the outcome of the cells, most telling first: a
// violation or an unmet evidence expectation (without --matrix), or a cell
// not as expected (with it), is errViolation, exit 1; else a scenario that
// did not run as written (its awaits deadlocked, or an op failed) is bad
// input, exit 2; else a cell the host could not run is the environment's,
// exit 3.
func exploreResult(cells []*explore.Cell, matrix bool, missing []string) error {
	var scenarioErr, hostErr error
	for _, c := range cells {
		switch {
		case c.Verdict == "scenario error" || (c.Verdict == "error" && c.Err == nil):
			if scenarioErr == nil {
				scenarioErr = badInput("scenario error: %s [%s]: %s", c.Scenario, c.Variant, firstLine(c.Message))
			}
			continue
		case c.Verdict == "error":
			if hostErr == nil {
				hostErr = fmt.Errorf("%s [%s]: %w", c.Scenario, c.Variant, classify(c.Err))
			}
			continue
		}
		if (matrix && !c.Match) || (!matrix && (c.Verdict == "violation" || c.Verdict == "unreached")) || !c.Deterministic {
			return errViolation
		}
	}
	if len(missing) > 0 {
		return errViolation
	}
	if scenarioErr != nil {
		return scenarioErr
	}
	return hostErr
}

// firstLine is s up to its first newline.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// printCellDetail prints a violation's drawing and token as soon as the cell
// is done; clean cells print only in the table.
func printCellDetail(w io.Writer, c *explore.Cell) {
	switch c.Verdict {
	case "violation":
		fmt.Fprintf(w, "\n%s [%s]: VIOLATION %s after %d schedules (%.2fs); shrunk to %d preemptions, %d steps\n\n",
			c.Scenario, c.Variant, strings.Join(c.Oracles, ","), c.FirstFailure+1, c.SecondsToFind, c.Preemptions, c.Steps)
		fmt.Fprint(w, c.Diagram)
		if strings.Contains(c.Message, "\n") {
			fmt.Fprintf(w, "\n%s\n", c.Message) // the drawing's footer shows only its first line
		}
		if c.Token != "" {
			fmt.Fprintf(w, "replay: iomaplab replay %s\n", c.Token)
		} else {
			fmt.Fprintf(w, "no replay token: %s\n", c.NoToken)
		}
		if !c.Deterministic {
			fmt.Fprintln(w, "NONDETERMINISM: replaying this token gave a different trace")
		}
	case "error", "scenario error", "unreached":
		fmt.Fprintf(w, "\n%s [%s]: %s: %s\n", c.Scenario, c.Variant, strings.ToUpper(c.Verdict), c.Message)
	}
}

func printCellTable(w io.Writer, cells []*explore.Cell, matrix bool) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tVARIANT\tVERDICT\tEXPECTED\tSCHEDULES\tTO FIRST FAILURE\tREACHABLE\tEVIDENCE")
	for _, c := range cells {
		verdict := c.Verdict
		if c.Verdict == "violation" {
			verdict += " (" + strings.Join(c.Oracles, ",") + ")"
		}
		if c.Verdict == "skipped" {
			verdict += ": " + c.Message
		}
		exp := c.Expected
		if exp == "catch" && len(c.ExpectedOracles) > 0 {
			exp += " (" + strings.Join(c.ExpectedOracles, ",") + ")"
		}
		if matrix {
			if c.Match {
				exp += " ok"
			} else {
				exp += " MISMATCH"
			}
		}
		sched := fmt.Sprint(c.Schedules)
		if c.Exhausted {
			sched += " (exhausted)"
		}
		first := "-"
		if c.FirstFailure >= 0 {
			first = fmt.Sprintf("#%d, %.2fs", c.FirstFailure+1, c.SecondsToFind)
		}
		var ev []string
		for k, n := range c.Evidence {
			ev = append(ev, fmt.Sprintf("%s=%d", k, n))
		}
		sort.Strings(ev)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", c.Scenario, c.Variant, verdict, exp, sched, first, c.Reachable, strings.Join(ev, " "))
	}
	tw.Flush()
}
