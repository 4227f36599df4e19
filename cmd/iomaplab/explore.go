package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"iomaplab/explore"
	"iomaplab/fsmodel/variant"
	"iomaplab/scenario"
)

func init() {
	register("explore", "explore scenarios under the controlled scheduler (no scenario: the whole catalogue)", runExplore)
}

func runExplore(args []string) int {
	d := explore.Defaults
	fs := flag.NewFlagSet("explore", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: iomaplab explore [SCENARIO|FILE...] [flags]\n       iomaplab explore --matrix [flags]")
		fs.PrintDefaults()
	}
	v := fs.String("variant", "correct", "engine variant: "+strings.Join(variant.Names(), ", "))
	strategy := fs.String("strategy", d.Strategy, "scheduling strategy: pct, random, dfs (depth first) or delay (fewest delays first; systematic, finds what dfs misses)")
	budget := fs.Int("budget", d.Budget, "schedules per scenario (and per matrix cell)")
	depth := fs.Int("depth", d.Depth, "PCT depth d (d-1 priority change points)")
	preemptions := fs.Int("preemptions", d.Preemptions, "preemption bound of dfs and delay (the space they exhaust)")
	seed := fs.Uint64("seed", d.Seed, "strategy seed")
	matrix := fs.Bool("matrix", false, "run the mutation matrix: every scenario with correct and each variant it names")
	asJSON := fs.Bool("json", false, "print one JSON document (schema: docs/explore-json.md)")
	device := deviceFlag(fs)
	positional, err := parseArgs(fs, args)
	if err != nil {
		return exitUsage
	}
	if _, err := variant.Parse(*v); err != nil {
		fmt.Fprintln(os.Stderr, "iomaplab explore:", err)
		return exitUsage
	}
	opt := explore.Options{Strategy: *strategy, Budget: *budget, Depth: *depth, Preemptions: *preemptions, Seed: *seed, ShrinkBudget: d.ShrinkBudget}
	if _, err := explore.NewStrategy(opt.Strategy, 0, 1, 0); err != nil || opt.Budget < 1 {
		fmt.Fprintln(os.Stderr, "iomaplab explore: bad --strategy or --budget")
		return exitUsage
	}
	var scenarios []*scenario.Scenario
	if len(positional) == 0 {
		scenarios, err = scenario.List()
	} else {
		for _, arg := range positional {
			sc, lerr := scenario.Load(arg)
			if lerr != nil {
				err = lerr
				break
			}
			scenarios = append(scenarios, sc)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitUsage
	}
	variants := []string{*v}
	if *matrix {
		if len(positional) > 0 || *v != "correct" {
			fmt.Fprintln(os.Stderr, "iomaplab explore: --matrix takes no scenario and no --variant")
			return exitUsage
		}
		variants = variant.Names()
	}
	mk, err := modelTargets(*device)
	if err != nil {
		fmt.Fprintln(os.Stderr, "iomaplab explore:", err)
		return exitUsage
	}
	bar := newProgress(os.Stderr)
	onCell := func(c *explore.Cell) {
		bar.clear()
		if !*asJSON {
			printCellDetail(c)
		}
	}
	var cells []*explore.Cell
	for _, sc := range scenarios {
		for _, vn := range variants {
			if *matrix {
				if exp, _ := sc.Expected(vn); exp == scenario.DontCare {
					continue
				}
			}
			o := opt
			label := sc.Name + " [" + vn + "]"
			o.Progress = func(done int) { bar.show(label, done, opt.Budget) }
			c := explore.Explore(sc, vn, mk, o)
			cells = append(cells, c)
			onCell(c)
		}
	}
	bar.clear()
	var missing []string
	if *matrix {
		missing = explore.Coverage(scenarios, cells)
	}
	code := exploreExit(cells, *matrix, missing)
	if *asJSON {
		printJSON(map[string]any{"matrix": *matrix, "budget": opt.Budget, "strategy": opt.Strategy, "seed": opt.Seed,
			"cells": cells, "uncovered_by_exploratory": missing, "exit": code})
		return code
	}
	printCellTable(cells, *matrix)
	if *matrix {
		if len(missing) > 0 {
			fmt.Printf("\nmutants no exploratory scenario caught: %s\n", strings.Join(missing, ", "))
		} else {
			fmt.Println("\nevery mutant was also caught by an exploratory scenario")
		}
	}
	return code
}

func exploreExit(cells []*explore.Cell, matrix bool, missing []string) int {
	for _, c := range cells {
		if matrix && !c.Match {
			return exitFail
		}
		if !matrix && (c.Verdict == "violation" || c.Verdict == "error") {
			return exitFail
		}
		if !c.Deterministic {
			return exitFail
		}
	}
	if len(missing) > 0 {
		return exitFail
	}
	return exitOK
}

// printCellDetail prints a violation's drawing and token as soon as the cell
// is done; clean cells print only in the table.
func printCellDetail(c *explore.Cell) {
	switch c.Verdict {
	case "violation":
		fmt.Printf("\n%s [%s]: VIOLATION %s after %d schedules (%.2fs); shrunk to %d preemptions, %d steps\n\n",
			c.Scenario, c.Variant, strings.Join(c.Oracles, ","), c.FirstFailure+1, c.SecondsToFind, c.Preemptions, c.Steps)
		fmt.Print(c.Diagram)
		if strings.Contains(c.Message, "\n") {
			fmt.Printf("\n%s\n", c.Message) // the drawing's footer shows only its first line
		}
		fmt.Printf("replay: iomaplab replay %s\n", c.Token)
		if !c.Deterministic {
			fmt.Println("NONDETERMINISM: replaying this token gave a different trace")
		}
	case "error":
		fmt.Printf("\n%s [%s]: ERROR %s\n", c.Scenario, c.Variant, c.Message)
	}
}

func printCellTable(cells []*explore.Cell, matrix bool) {
	fmt.Println()
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
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
