package explore

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"iomaplab/fsmodel/variant"
	"iomaplab/scenario"
	"iomaplab/scenario/model"
)

// sameCell fails unless got is want, but for the timing fields.
func sameCell(t *testing.T, what string, want, got *Cell) {
	t.Helper()
	if !slices.Equal(want.hashes, got.hashes) {
		t.Fatalf("%s: schedules differ: serial ran %d %x..., got %d %x...", what, len(want.hashes), head(want.hashes), len(got.hashes), head(got.hashes))
	}
	w, g := *want, *got
	for _, c := range []*Cell{&w, &g} {
		c.Seconds, c.SecondsToFind, c.Part, c.hashes, c.Err = 0, 0, nil, nil, nil
	}
	wj, _ := json.Marshal(w)
	gj, _ := json.Marshal(g)
	if string(wj) != string(gj) {
		t.Fatalf("%s: cells differ:\nserial %s\ngot    %s", what, wj, gj)
	}
	if (want.Err == nil) != (got.Err == nil) {
		t.Fatalf("%s: serial error %v, got %v", what, want.Err, got.Err)
	}
}

func head(h []uint64) []uint64 { return h[:min(3, len(h))] }

// shards runs every shard of n and merges them through JSON, as
// `explore --shard I/N --json` and `merge` do.
func shards(t *testing.T, sc *scenario.Scenario, variant string, o Options, n int) *Cell {
	t.Helper()
	var all [][]*Cell
	for i := range n {
		o.Shard = Shard{Index: i, Count: n}
		c := Explore(sc, variant, model.ForVariant, o)
		data, err := json.Marshal([]*Cell{c})
		if err != nil {
			t.Fatal(err)
		}
		var back []*Cell
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		all = append(all, back)
	}
	slices.Reverse(all) // merge does not care about the files' order
	merged, err := Merge(all)
	if err != nil {
		t.Fatal(err)
	}
	return merged[0]
}

// TestJobsAndShardsRunTheSerialSchedules checks, for every strategy, jobs
// and shards in {1, 2, 3, 7}: they count the serial run's schedules in its
// order and give its cell (verdict, first failure, token, evidence,
// exhaustion). The cases end in every way a cell ends: the budget (inside
// a dfs subtree), a violation in a later unit (the first seed that gives
// one: the catalogue and the engine change), the bounded space exhausted,
// a violation at schedule 0.
func TestJobsAndShardsRunTheSerialSchedules(t *testing.T) {
	cases := []struct {
		strategy, scenario, variant string
		budget, preemptions         int
		ok                          func(*Cell) bool // the seed gives the case
	}{
		{"random", "write-stale-unwritten", "correct", 12, 2, func(c *Cell) bool { return c.Verdict == "clean" && c.Schedules == 12 }},
		{"random", "write-stale-unwritten", "no-validate", 12, 2, func(c *Cell) bool { return c.FirstFailure == 0 }},
		{"pct", "explore-truncate-writeback", "wb-no-validate", 60, 2, func(c *Cell) bool { return c.FirstFailure >= unitSpan }},
		{"dfs", "write-stale-unwritten", "correct", 30, 0, func(c *Cell) bool { return c.Exhausted && c.Schedules < 30 }},
		{"dfs", "write-stale-unwritten", "correct", 12, 2, func(c *Cell) bool { return !c.Exhausted && c.Schedules == 12 }},
		{"delay", "explore-truncate-writeback", "wb-no-validate", 30, 2, func(c *Cell) bool { return c.FirstFailure > 0 && c.Token != "" }},
	}
	for _, tc := range cases {
		sc, err := scenario.Lookup(tc.scenario)
		if err != nil {
			t.Fatal(err)
		}
		var o Options
		var serial *Cell
		for seed := uint64(1); seed <= 12 && serial == nil; seed++ {
			o = opts(tc.strategy, seed)
			o.Budget, o.Preemptions = tc.budget, tc.preemptions
			if c := Explore(sc, tc.variant, model.ForVariant, o); tc.ok(c) {
				serial = c
			}
		}
		what := fmt.Sprintf("%s %s [%s] seed %d", tc.strategy, tc.scenario, tc.variant, o.Seed)
		if serial == nil {
			t.Fatalf("%s: no seed up to 12 gives the case", what)
		}
		if serial.Verdict == "violation" {
			o.Budget = serial.FirstFailure + 3 // enough, and cheaper under -race
		}
		t.Logf("%s: serial %s after %d schedules (first failure %d, exhausted %v)", what, serial.Verdict, serial.Schedules, serial.FirstFailure, serial.Exhausted)
		if len(serial.hashes) != serial.Schedules {
			t.Fatalf("%s: serial kept %d hashes for %d schedules", what, len(serial.hashes), serial.Schedules)
		}
		start := time.Now()
		for _, n := range []int{1, 2, 3, 7} {
			oj := o
			oj.Jobs = n
			sameCell(t, fmt.Sprintf("%s --jobs %d", what, n), serial, Explore(sc, tc.variant, model.ForVariant, oj))
			sameCell(t, fmt.Sprintf("%s %d shards", what, n), serial, shards(t, sc, tc.variant, o, n))
		}
		t.Logf("%s: jobs and shards in %v", what, time.Since(start).Round(time.Millisecond))
	}
}

// TestMergeRefusesIncompleteShards checks that a merge without every
// shard, or with one twice, is bad input rather than a verdict.
func TestMergeRefusesIncompleteShards(t *testing.T) {
	sc, err := scenario.Lookup("write-stale-unwritten")
	if err != nil {
		t.Fatal(err)
	}
	o := opts("random", 1)
	o.Budget = 24
	var parts [][]*Cell
	for i := range 3 {
		o.Shard = Shard{Index: i, Count: 3}
		parts = append(parts, []*Cell{Explore(sc, "correct", model.ForVariant, o)})
	}
	if _, err := Merge(parts); err != nil {
		t.Fatalf("all three shards: %v", err)
	}
	for _, bad := range [][][]*Cell{parts[:2], {parts[0], parts[1], parts[1]}, nil} {
		_, err := Merge(bad)
		var in interface{ BadInput() bool }
		if !errors.As(err, &in) || !in.BadInput() {
			t.Fatalf("merge of %d shard files: want bad input, got %v", len(bad), err)
		}
	}
	if _, err := ParseShard("3/3"); err == nil {
		t.Fatal("--shard 3/3 accepted (0 <= I < N)")
	}
	if s, err := ParseShard("2/3"); err != nil || s != (Shard{2, 3}) {
		t.Fatalf("--shard 2/3: %v %v", s, err)
	}
}

// TestMatrixCellsSameWithJobs checks that a small matrix gives the same
// cells, in the same order to onCell, with 1 and 4 jobs.
func TestMatrixCellsSameWithJobs(t *testing.T) {
	var jobs []Job
	for _, name := range []string{"write-stale-unwritten", "explore-truncate-writeback", "short-copy-stale"} {
		sc, err := scenario.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range variant.Names() {
			if exp, _ := sc.Expected(v); exp != scenario.DontCare {
				jobs = append(jobs, Job{sc, v})
			}
		}
	}
	o := opts("pct", 1)
	o.Budget = 10
	var order [2][]string
	run := func(k, n int) []*Cell {
		o.Jobs = n
		return RunCells(jobs, model.ForVariant, o, func(c *Cell) { order[k] = append(order[k], c.Scenario+" "+c.Variant) })
	}
	one, four := run(0, 1), run(1, 4)
	if len(one) != len(jobs) || len(four) != len(jobs) || !slices.Equal(order[0], order[1]) {
		t.Fatalf("%d jobs: %d and %d cells, onCell order %v and %v", len(jobs), len(one), len(four), order[0], order[1])
	}
	violations := 0
	for i := range one {
		sameCell(t, fmt.Sprintf("cell %d %s [%s] --jobs 4", i, one[i].Scenario, one[i].Variant), one[i], four[i])
		if one[i].Verdict == "violation" {
			violations++
		}
	}
	if violations == 0 || violations == len(jobs) {
		t.Fatalf("%d of %d cells violated: the test wants both kinds", violations, len(jobs))
	}
}
