package explore

import (
	"fmt"
	"strings"

	"iomaplab/lab"
)

// Strategies names the strategies NewStrategy accepts.
var Strategies = []string{"pct", "random", "dfs", "delay"}

// Systematic reports whether a strategy ignores its seed (it enumerates a
// bounded space of schedules and can say when it has run them all).
func Systematic(name string) bool { return name == "dfs" || name == "delay" }

// NewStrategy builds a strategy by name: pct (depth d), random, dfs (depth
// first) or delay (fewest delays first), both with a preemption bound.
func NewStrategy(name string, seed uint64, depth, preemptions int) (lab.Strategy, error) {
	switch name {
	case "pct":
		return lab.NewPCT(seed, depth), nil
	case "random":
		return lab.NewRandom(seed), nil
	case "dfs":
		return lab.NewDFS(preemptions), nil
	case "delay":
		return lab.NewDelaySearch(preemptions), nil
	}
	return nil, fmt.Errorf("unknown strategy %q (known: %s)", name, strings.Join(Strategies, ", "))
}
