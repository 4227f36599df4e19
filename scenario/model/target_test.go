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

func xfsCatalogue(t *testing.T) []*scenario.Scenario {
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
	if len(out) < 11 {
		t.Fatalf("only %d xfs scenarios", len(out))
	}
	return out
}

// correct is clean on every xfs scenario, and a directed scenario always
// reaches its window (its evidence is met on every schedule).
func TestCorrectIsClean(t *testing.T) {
	seeds := uint64(10)
	if testing.Short() {
		seeds = 3
	}
	for _, sc := range xfsCatalogue(t) {
		s := lab.NewRandom(1)
		for i := uint64(0); i < seeds; i++ {
			v := run(t, sc, "correct", s)
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
	for _, sc := range xfsCatalogue(t) {
		for _, c := range sc.Catches {
			s := lab.NewRandom(7)
			tries := budget
			if sc.Directed {
				tries = 5
			}
			caught := 0
			for i := 0; i < tries; i++ {
				v := run(t, sc, c.Variant, s)
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
			if caught == 0 {
				t.Errorf("%s %s: not caught by %v in %d schedules", sc.Name, c.Variant, c.Oracles, tries)
			}
		}
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
	if err := m.Supports(scenario.FSSpec{Type: "ext4"}); err == nil || err.Error() != "needs the ext4 model" {
		t.Errorf("ext4: %v", err)
	}
}
