package explore

import (
	"fmt"
	"maps"
	"slices"

	"iomaplab/scenario"
)

// Merge combines the cells of every shard of one run (shards[i] is one
// shard's cells, all in the run's order) into the cells the serial run
// gives: each cell's units folded in serial order, so the same schedules
// counted, the same first failure and token. Seconds is the slowest
// shard's. Errors (a shard missing or given twice, runs that do not match)
// are bad input.
func Merge(shards [][]*Cell) ([]*Cell, error) {
	if len(shards) == 0 {
		return nil, &inputError{"merge: no shard results"}
	}
	n := 0
	seen := map[int]bool{}
	for i, cells := range shards {
		sh, err := shardOf(cells)
		if err != nil {
			return nil, fmt.Errorf("shard file %d: %w", i+1, err)
		}
		if n == 0 {
			n = sh.Count
		}
		if sh.Count != n || seen[sh.Index] {
			return nil, &inputError{fmt.Sprintf("merge: shard %s does not belong with the others (%d shards, seen %v)", sh, n, slices.Sorted(maps.Keys(seen)))}
		}
		seen[sh.Index] = true
		if len(cells) != len(shards[0]) {
			return nil, &inputError{fmt.Sprintf("merge: shard %s has %d cells, shard file 1 has %d: not the same run", sh, len(cells), len(shards[0]))}
		}
	}
	if len(seen) != n {
		return nil, &inputError{fmt.Sprintf("merge: %d of %d shards given; every shard's file is needed", len(seen), n)}
	}
	var out []*Cell
	for i, first := range shards[0] {
		c, err := mergeCell(first, shards, i)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func mergeCell(first *Cell, shards [][]*Cell, i int) (*Cell, error) {
	c := &Cell{Scenario: first.Scenario, Variant: first.Variant, Strategy: first.Strategy, Seed: first.Seed,
		Expected: first.Expected, ExpectedOracles: first.ExpectedOracles, FirstFailure: -1, Deterministic: true}
	var units []*Unit
	var template []scenario.EvidenceResult
	budget, directed := 0, false
	for _, cells := range shards {
		s := cells[i]
		if s.Scenario != c.Scenario || s.Variant != c.Variant || s.Strategy != c.Strategy || s.Seed != c.Seed {
			return nil, &inputError{fmt.Sprintf("merge: cell %d is %s [%s] in one shard, %s [%s] in another: not the same run", i+1, c.Scenario, c.Variant, s.Scenario, s.Variant)}
		}
		c.Seconds = max(c.Seconds, s.Seconds)
		if s.Part == nil {
			// The cell stopped before it split (its target could not be
			// made): every shard says the same.
			cp := *s
			return &cp, nil
		}
		if units == nil {
			units = make([]*Unit, s.Part.Units)
			budget, directed = s.Part.Budget, s.Part.Directed
		}
		if s.Part.Units != len(units) || s.Part.Budget != budget {
			return nil, &inputError{fmt.Sprintf("merge: %s [%s]: the shards split it differently (%d and %d units, budget %d and %d)", c.Scenario, c.Variant, len(units), s.Part.Units, budget, s.Part.Budget)}
		}
		if len(s.Part.Evidence) > len(template) {
			template = s.Part.Evidence
		}
		for _, u := range s.Part.Ran {
			if u == nil || u.Index < 0 || u.Index >= len(units) || units[u.Index] != nil {
				return nil, &inputError{fmt.Sprintf("merge: %s [%s]: a unit is missing its number or was run by two shards", c.Scenario, c.Variant)}
			}
			units[u.Index] = u
		}
	}
	for _, u := range units {
		for _, r := range u.runsOrNil() {
			if len(r.Got) != len(r.Met) || len(r.Got) > len(template) {
				return nil, &inputError{fmt.Sprintf("merge: %s [%s]: a run's evidence does not match the cell's", c.Scenario, c.Variant)}
			}
		}
	}
	if err := c.fold(units, template, budget, directed, false); err != nil {
		return nil, err
	}
	exp := scenario.DontCare
	for _, e := range []scenario.Cell{scenario.MustCatch, scenario.MustBeClean} {
		if e.String() == c.Expected {
			exp = e
		}
	}
	c.Match = c.matches(exp)
	return c, nil
}

func (u *Unit) runsOrNil() []Run {
	if u == nil {
		return nil
	}
	return u.Runs
}

// shardOf returns the shard that made cells.
func shardOf(cells []*Cell) (Shard, error) {
	for _, c := range cells {
		if c.Part != nil {
			return ParseShard(c.Part.Shard)
		}
	}
	return Shard{}, &inputError{"no cell has shard results: not the output of explore --shard --json"}
}
