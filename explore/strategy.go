package explore

import (
	"fmt"

	"iomaplab/lab"
)

// Strategies names the strategies NewStrategy accepts.
var Strategies = []string{"pct", "random", "dfs"}

// NewStrategy builds a strategy by name: pct (depth d), random, or dfs with
// a preemption bound.
func NewStrategy(name string, seed uint64, depth, preemptions int) (lab.Strategy, error) {
	switch name {
	case "pct":
		return lab.NewPCT(seed, depth), nil
	case "random":
		return lab.NewRandom(seed), nil
	case "dfs":
		return lab.NewDFS(preemptions), nil
	}
	return nil, fmt.Errorf("unknown strategy %q (known: pct, random, dfs)", name)
}
