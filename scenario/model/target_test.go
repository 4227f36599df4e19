package model

import (
	"testing"

	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/scenario"
)

func run(t *testing.T, sc *scenario.Scenario, vn string, s lab.Strategy) *scenario.Verdict {
	t.Helper()
	v, err := variant.Parse(vn)
	if err != nil {
		t.Fatal(err)
	}
	if !s.NewSchedule() {
		t.Fatal("strategy exhausted")
	}
	return scenario.Run(sc, New(v), lab.Config{Controlled: true, Strategy: s})
}

func catalogue(t *testing.T) []*scenario.Scenario {
	list, err := scenario.List()
	if err != nil {
		t.Fatal(err)
	}
	var out []*scenario.Scenario
	for _, sc := range list {
		if New(0).Supports(sc.FS) == nil {
			out = append(out, sc)
		}
	}
	if len(out) < 15 {
		t.Fatalf("only %d scenarios run on the model", len(out))
	}
	return out
}

// correct is clean on every xfs scenario, and a directed scenario always
// reaches its window (its evidence is met on every schedule).
func TestCorrectIsClean(t *testing.T) {
	seeds := uint64(5) // explore --matrix runs 300 per scenario
	if testing.Short() {
		seeds = 2
	}
	for _, sc := range catalogue(t) {
		s := lab.NewRandom(1)
		for i := uint64(0); i < seeds; i++ {
			v := run(t, sc, "correct", s)
			if v.Skipped != "" {
				t.Logf("%s", v)
				break
			}
			if v.Violated() || len(v.OpErrors) > 0 || !v.Result.OK() {
				t.Fatalf("schedule %d: %v", i, v)
			}
			if sc.Directed && !v.EvidenceMet() {
				t.Errorf("schedule %d: directed scenario missed its window: %v", i, v)
			}
		}
	}
}

// Each catches line holds: a directed scenario catches its variant on every
// schedule; an exploratory one within a small random budget.
func TestCatchesLines(t *testing.T) {
	budget := 300
	if testing.Short() {
		budget = 100
	}
	for _, sc := range catalogue(t) {
		for _, c := range sc.Catches {
			s := lab.NewRandom(7)
			tries := budget
			if sc.Directed {
				tries = 5
			}
			caught, skipped := 0, false
			for i := 0; i < tries; i++ {
				v := run(t, sc, c.Variant, s)
				if skipped = v.Skipped != ""; skipped {
					t.Logf("%s", v)
					break
				}
				if v.Caught(c.Oracles) {
					caught++
					if !sc.Directed {
						t.Logf("%s %s: caught at schedule %d: %v", sc.Name, c.Variant, i, v.Fired())
						break
					}
				} else if sc.Directed {
					t.Errorf("%s %s, schedule %d: not caught: %v", sc.Name, c.Variant, i, v)
				}
			}
			if caught == 0 && !skipped {
				t.Errorf("%s %s: not caught by %v in %d schedules", sc.Name, c.Variant, c.Oracles, tries)
			}
		}
	}
}

// Each clean line holds (negative controls) over a random budget.
func TestCleanLines(t *testing.T) {
	budget := 100
	if testing.Short() {
		budget = 20
	}
	n := 0
	for _, sc := range catalogue(t) {
		for _, vn := range sc.Clean {
			n++
			s := lab.NewRandom(3)
			for i := 0; i < budget; i++ {
				v := run(t, sc, vn, s)
				if v.Skipped != "" {
					t.Logf("%s", v)
					break
				}
				if v.Violated() || len(v.OpErrors) > 0 {
					t.Fatalf("%s under %s, schedule %d: %v", sc.Name, vn, i, v)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("the catalogue has no clean line")
	}
}

func TestEvidenceAndClassify(t *testing.T) {
	m := New(0)
	for msg, want := range map[string]string{
		"block ownership oracle: write-unowned": "ownership",
		"protocol: ino 1: stale":                "protocol",
		"livelock: ino 1: 9 remaps":             "livelock",
		"something else":                        "",
	} {
		if got := m.Classify(msg); got != want {
			t.Errorf("Classify(%q) = %q, want %q", msg, got, want)
		}
	}
	if err := m.Supports(scenario.FSSpec{Type: "ext4", FolioSize: 64 << 10}); err == nil {
		t.Error("ext4 with large folios accepted")
	}
}

// Free worlds (real goroutines, real locks) run every scenario too: the
// runner's shared state and the engine hold up under go test -race.
func TestFreeWorlds(t *testing.T) {
	for _, sc := range catalogue(t) {
		for range 3 {
			v := scenario.Run(sc, New(variant.Correct), lab.Config{})
			if v.Skipped != "" {
				break
			}
			if v.Violated() || len(v.OpErrors) > 0 || !v.Result.OK() {
				t.Fatalf("%v", v)
			}
		}
	}
}
