package explore

import (
	"fmt"
	"strings"

	"iomaplab/lab"
)

// Strategies names the strategies NewStrategy accepts.
var Strategies = []string{"pct", "random", "dfs", "delay"}

// UsesSeed reports whether a strategy's seed changes what it runs: pct and
// random draw from it; delay orders its space by it (the same schedules for
// every seed, in another order); dfs ignores it, so runs of dfs that differ
// only in the seed are one run repeated.
func UsesSeed(name string) bool { return name != "dfs" }

// NewStrategy builds a strategy by name: pct (depth d), random, dfs (depth
// first) or delay (fewest delays first, in the seed's order), both with a
// preemption bound.
func NewStrategy(name string, seed uint64, depth, preemptions int) (lab.Strategy, error) {
	switch name {
	case "pct":
		return lab.NewPCT(seed, depth), nil
	case "random":
		return lab.NewRandom(seed), nil
	case "dfs":
		return lab.NewDFS(preemptions), nil
	case "delay":
		return lab.NewSeededDelaySearch(preemptions, seed), nil
	}
	return nil, fmt.Errorf("unknown strategy %q (known: %s)", name, strings.Join(Strategies, ", "))
}
