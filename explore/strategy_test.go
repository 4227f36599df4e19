package explore

import (
	"testing"

	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/scenario"
	"iomaplab/scenario/model"
)

// Mutants that depth-first search with the default bound did not reach in
// the default budget (its whole budget went to the tail of the schedule):
// delay, the other systematic strategy, must catch them within it, and
// their tokens must replay.
func TestDelayFindsWhatDFSMissed(t *testing.T) {
	cells := [][2]string{
		{"explore-write-punch-writeback", "wb-no-validate"},
		{"explore-write-background-writeback", "no-validate"},
		{"ext4-iomap-write-mkwrite", "ext4-no-recheck"},
	}
	if testing.Short() {
		cells = cells[:1]
	}
	for _, cell := range cells {
		sc, err := scenario.Lookup(cell[0])
		if err != nil {
			t.Fatal(err)
		}
		o := Defaults
		o.Strategy = "delay"
		c := Explore(sc, cell[1], model.ForVariant, o)
		t.Logf("%s [%s]: %s at schedule %d of %d", cell[0], cell[1], c.Verdict, c.FirstFailure+1, o.Budget)
		if c.Verdict != "violation" || !c.Match || !c.Deterministic {
			t.Fatalf("%s [%s]: %s %v (expected %v) after %d schedules, deterministic %v", cell[0], cell[1], c.Verdict, c.Oracles, c.ExpectedOracles, c.Schedules, c.Deterministic)
		}
		r := replayToken(t, c.Token)
		if !r.Deterministic || !r.Verdict.Violated() || r.Verdict.Fired()[0] != c.Oracles[0] {
			t.Fatalf("%s [%s]: token replays as %v, deterministic %v", cell[0], cell[1], r.Verdict.Fired(), r.Deterministic)
		}
	}
}

func TestDelayReportsExhaustion(t *testing.T) {
	// With no preemptions, the short-write scenario has a handful of
	// schedules (the free choices when a thread blocks); delay and dfs
	// explore the same space and both say so.
	sc, err := scenario.Lookup("explore-short-write-mkwrite")
	if err != nil {
		t.Fatal(err)
	}
	var n [2]int
	for i, s := range []string{"delay", "dfs"} {
		o := Defaults
		o.Strategy, o.Preemptions = s, 0
		c := Explore(sc, "correct", model.ForVariant, o)
		if !c.Exhausted || c.Verdict != "clean" || c.Schedules >= o.Budget {
			t.Fatalf("%s bound 0: %s, exhausted %v after %d schedules", s, c.Verdict, c.Exhausted, c.Schedules)
		}
		n[i] = c.Schedules
	}
	if n[0] != n[1] {
		t.Fatalf("bound 0: delay ran %d schedules, dfs %d", n[0], n[1])
	}
}

// --strategy delay uses the seed: seeds start from different default
// schedules (the space for a bound is the same; lab's tests check that).
func TestDelayUsesTheSeed(t *testing.T) {
	sc, err := scenario.Lookup("explore-write-mkwrite-writeback")
	if err != nil {
		t.Fatal(err)
	}
	firsts := map[uint64]bool{}
	for seed := range uint64(4) {
		s, err := NewStrategy("delay", seed, 0, 2)
		if err != nil {
			t.Fatal(err)
		}
		s.NewSchedule()
		v := scenario.Run(sc, model.New(variant.Correct), lab.Config{Controlled: true, Strategy: s})
		firsts[v.Result.Trace.Hash()] = true
	}
	if len(firsts) < 2 || !UsesSeed("delay") || UsesSeed("dfs") {
		t.Fatalf("4 seeds gave %d distinct first schedules", len(firsts))
	}
}
