// Command judge runs the scenario catalogue under variant correct and
// prints one JSON object per scenario: explore.Cell's schema without the
// diagram, plus "safety", the fired oracles that are safety oracles
// (scenario.Oracles). The mutants harness builds it once per mutant, with the
// mutated engine file overlaid, and classifies the cells. With -first it
// stops at the first cell that a safety oracle violated; with -fs it runs
// only the scenarios of one filesystem model (a mutant in one model's code
// cannot change a run of the other's).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"

	"iomaplab/explore"
	"iomaplab/scenario"
	"iomaplab/scenario/model"
)

func main() {
	d := explore.Defaults
	budget := flag.Int("budget", d.Budget, "schedules per scenario")
	strategy := flag.String("strategy", d.Strategy, "scheduling strategy")
	first := flag.Bool("first", false, "stop at the first safety-oracle violation")
	fs := flag.String("fs", "", "only the scenarios of this filesystem model (xfs, ext4); none: all")
	flag.Parse()
	list, err := scenario.List()
	if err != nil {
		fmt.Fprintln(os.Stderr, "judge:", err)
		os.Exit(2)
	}
	opt := explore.Options{Strategy: *strategy, Budget: *budget, Depth: d.Depth, Preemptions: d.Preemptions, Seed: d.Seed}
	enc := json.NewEncoder(os.Stdout)
	for _, sc := range list {
		if *fs != "" && sc.FS.Type != *fs {
			continue
		}
		c := explore.Explore(sc, "correct", model.ForVariant, opt)
		c.Diagram = ""
		var safety []string
		if c.Verdict == "violation" {
			safety = slices.DeleteFunc(slices.Clone(c.Oracles), func(o string) bool { return !slices.Contains(scenario.Oracles, o) })
		}
		out := struct {
			*explore.Cell
			Safety []string `json:"safety,omitempty"`
		}{c, safety}
		if err := enc.Encode(out); err != nil {
			os.Exit(3)
		}
		if *first && len(safety) > 0 {
			return
		}
	}
}
