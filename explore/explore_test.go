package explore

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/scenario"
	"iomaplab/scenario/model"
)

func opts(strategy string, seed uint64) Options {
	o := Defaults
	o.Strategy, o.Seed, o.Budget = strategy, seed, 40
	return o
}

func TestMutantCaughtShrunkAndReplayed(t *testing.T) {
	sc, err := scenario.Lookup("write-stale-unwritten")
	if err != nil {
		t.Fatal(err)
	}
	for _, strategy := range Strategies {
		c := Explore(sc, "no-validate", model.ForVariant, opts(strategy, 3))
		t.Logf("%s seed 3: %s after %d schedules", strategy, c.Verdict, c.Schedules)
		if c.Verdict != "violation" || !c.Match || !c.Deterministic {
			t.Fatalf("%s: verdict %s oracles %v match %v deterministic %v: %s", strategy, c.Verdict, c.Oracles, c.Match, c.Deterministic, c.Message)
		}
		if !strings.Contains(c.Diagram, "writer") || !strings.Contains(c.Diagram, "=> data:") {
			t.Fatalf("drawing lacks the writer column or the oracle footer:\n%s", c.Diagram)
		}
		r := replayToken(t, c.Token)
		if !r.Verdict.Violated() || r.Verdict.Fired()[0] != c.Oracles[0] || !r.Deterministic {
			t.Fatalf("replay: violated %v oracles %v deterministic %v", r.Verdict.Violated(), r.Verdict.Fired(), r.Deterministic)
		}
		if got := r.Verdict.Result.Trace.Hash(); got != mustHex(t, c.TraceHash) {
			t.Fatalf("replay trace hash %016x, explore printed %s", got, c.TraceHash)
		}
	}
}

func TestCorrectIsCleanAndReachesTheWindow(t *testing.T) {
	sc, err := scenario.Lookup("write-stale-unwritten")
	if err != nil {
		t.Fatal(err)
	}
	c := Explore(sc, "correct", model.ForVariant, opts("pct", 1))
	if c.Verdict != "clean" || !c.Match || c.Schedules != 40 || c.Reachable == 0 {
		t.Fatalf("correct: %s after %d schedules, reachable %d: %s", c.Verdict, c.Schedules, c.Reachable, c.Message)
	}
}

func TestCoverageNamesMutantsOnlyDirectedScenariosCaught(t *testing.T) {
	scs := []*scenario.Scenario{{Name: "directed", Directed: true}, {Name: "explore"}}
	cells := []*Cell{
		{Scenario: "directed", Variant: "no-validate", Expected: "catch", Match: true},
		{Scenario: "directed", Variant: "wb-no-validate", Expected: "catch", Match: true},
		{Scenario: "explore", Variant: "no-validate", Expected: "catch", Match: true},
		{Scenario: "explore", Variant: "wb-no-validate", Expected: "catch", Match: false},
	}
	if got := Coverage(scs, cells); len(got) != 1 || got[0] != "wb-no-validate" {
		t.Fatalf("Coverage = %v, want [wb-no-validate]", got)
	}
}

func mustHex(t *testing.T, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// engineHash runs one random schedule of a three-thread engine scenario
// (writer, mmap store, writeback plus reclaim on one file) and returns its
// trace hash.
func engineHash(t *testing.T, seed uint64) uint64 {
	t.Helper()
	sc, err := scenario.Lookup("explore-write-mkwrite-writeback")
	if err != nil {
		t.Fatal(err)
	}
	s := lab.NewRandom(seed)
	s.NewSchedule()
	v := scenario.Run(sc, model.New(variant.Correct), lab.Config{Controlled: true, Strategy: s})
	if v.Violated() || v.Result.Outcome != lab.Completed {
		t.Fatalf("seed %d: %v", seed, v)
	}
	return v.Result.Trace.Hash()
}

func TestEngineSchedulesAreDeterministicAndVaried(t *testing.T) {
	if os.Getenv("EXPLORE_CHILD_SEED") != "" {
		seed, _ := strconv.ParseUint(os.Getenv("EXPLORE_CHILD_SEED"), 10, 64)
		fmt.Printf("hash=%016x\n", engineHash(t, seed))
		return
	}
	distinct := map[uint64]bool{}
	for seed := range uint64(100) {
		h := engineHash(t, seed)
		if again := engineHash(t, seed); again != h {
			t.Fatalf("seed %d: trace hash %016x then %016x", seed, h, again)
		}
		distinct[h] = true
	}
	if len(distinct) < 90 {
		t.Fatalf("100 seeds gave %d distinct traces, want >= 90", len(distinct))
	}
	// The same seed in another process gives the same trace.
	cmd := exec.Command(os.Args[0], "-test.run=^TestEngineSchedulesAreDeterministicAndVaried$")
	cmd.Env = append(os.Environ(), "EXPLORE_CHILD_SEED=42")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if want := fmt.Sprintf("hash=%016x", engineHash(t, 42)); !strings.Contains(string(out), want) {
		t.Fatalf("child printed %q, want %q", out, want)
	}
}

// Every mutant the catalogue says a scenario catches is caught with the
// default strategy, and the token it prints replays to the same oracles and
// trace hash (issue 4's replay acceptance, cell by cell).
func TestEveryCatchReplaysFromItsToken(t *testing.T) {
	list, err := scenario.List()
	if err != nil {
		t.Fatal(err)
	}
	o := Defaults
	if testing.Short() {
		o.Budget = 50
	}
	n := 0
	for _, sc := range list {
		for _, c := range sc.Catches {
			cell := Explore(sc, c.Variant, model.ForVariant, o)
			if !cell.Match || cell.Token == "" {
				t.Errorf("%s [%s]: %s %v, expected catch by %v: %s", sc.Name, c.Variant, cell.Verdict, cell.Oracles, c.Oracles, cell.Message)
				continue
			}
			r := replayToken(t, cell.Token)
			got := fmt.Sprintf("%016x", r.Verdict.Result.Trace.Hash())
			if !r.Deterministic || got != cell.TraceHash || strings.Join(r.Verdict.Fired(), ",") != strings.Join(cell.Oracles, ",") {
				t.Errorf("%s [%s]: replay gave %v hash %s, explore %v hash %s", sc.Name, c.Variant, r.Verdict.Fired(), got, cell.Oracles, cell.TraceHash)
			}
			n++
		}
	}
	t.Logf("%d catch cells replayed from their tokens", n)
}

// replayToken decodes a catch's token and replays it on the memory model.
func replayToken(t *testing.T, token string) *Replayed {
	t.Helper()
	tk, err := lab.DecodeToken(token)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Replay(tk, model.ForVariant)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
