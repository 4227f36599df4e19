// Command judge runs the scenario catalogue under variant correct and
// prints one JSON object per scenario (explore.Cell's schema, without the
// diagram). The mutants harness builds it once per mutant, with the
// mutated engine file overlaid, and classifies the cells. With -first it
// stops at the first cell that a safety oracle violated.
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
	flag.Parse()
	list, err := scenario.List()
	if err != nil {
		fmt.Fprintln(os.Stderr, "judge:", err)
		os.Exit(2)
	}
	opt := explore.Options{Strategy: *strategy, Budget: *budget, Depth: d.Depth, Preemptions: d.Preemptions, Seed: d.Seed}
	enc := json.NewEncoder(os.Stdout)
	for _, sc := range list {
		c := explore.Explore(sc, "correct", model.ForVariant, opt)
		c.Diagram = ""
		if err := enc.Encode(c); err != nil {
			os.Exit(3)
		}
		if *first && c.Verdict == "violation" && slices.ContainsFunc(c.Oracles, func(o string) bool { return slices.Contains(scenario.Oracles, o) }) {
			return
		}
	}
}
