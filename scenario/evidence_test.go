package scenario

import (
	"strings"
	"testing"
)

func TestUnknownTraceNameIsAParseError(t *testing.T) {
	_, err := Parse("e.scn", []byte(head+"thread a: fsync f\nexpect trace iomap_invalidd >= 1\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "e.scn:4:14: unknown tracepoint \"iomap_invalidd\"") {
		t.Fatalf("%v", err)
	}
	if _, err := Parse("e.scn", []byte(head+"thread a: fsync f\nexpect trace iomap_invalid >= 1 ; trace cow_remap == 0\n")); err != nil {
		t.Fatal(err)
	}
}

// verdictWith returns a verdict whose single evidence line counted got.
func verdictWith(got int) *Verdict {
	e := Expectation{Pos: Pos{7, 8}, Evidence: "stale", Cmp: ">=", N: 1}
	return &Verdict{Evidence: []EvidenceResult{{Expectation: e, Got: got, Known: true, Met: e.Holds(got)}}}
}

// TestEvidenceTallyRules: directed evidence must hold in every schedule,
// exploratory evidence in at least one; both ways.
func TestEvidenceTallyRules(t *testing.T) {
	var some, all, none EvidenceTally
	for _, got := range []int{0, 2, 1} {
		some.Add(verdictWith(got))
	}
	for _, got := range []int{1, 3} {
		all.Add(verdictWith(got))
	}
	for range 4 {
		none.Add(verdictWith(0))
	}
	if msg := some.Unmet(true); !strings.Contains(msg, "line 7: stale >= 1 held in 2 of 3 schedules") || !strings.Contains(msg, "counts 0..2") {
		t.Errorf("directed, one schedule missed: %q", msg)
	}
	if msg := some.Unmet(false); msg != "" {
		t.Errorf("exploratory, reached twice: %q", msg)
	}
	if all.Unmet(true) != "" || all.Unmet(false) != "" {
		t.Errorf("held everywhere: %q %q", all.Unmet(true), all.Unmet(false))
	}
	if msg := none.Unmet(false); msg != "line 7: stale >= 1 held in none of 4 schedules (counts 0..0)" {
		t.Errorf("exploratory, never reached: %q", msg)
	}
	if s := some.Stats()[0]; s != (EvidenceStat{Expect: "stale >= 1", Line: 7, Known: true, Min: 0, Max: 2, Met: 2, Schedules: 3}) {
		t.Errorf("stats %+v", s)
	}
	var unknown EvidenceTally
	v := verdictWith(0)
	v.Evidence[0].Known, v.Evidence[0].Met = false, false
	unknown.Add(v)
	if unknown.Unmet(true) != "" || len(v.Unreached()) != 0 {
		t.Error("evidence the target does not count was judged")
	}
}

func TestEvidenceTallyMerge(t *testing.T) {
	var a, b, whole EvidenceTally
	for i, got := range []int{0, 2, 1, 5} {
		whole.Add(verdictWith(got))
		if i < 2 {
			a.Add(verdictWith(got))
		} else {
			b.Add(verdictWith(got))
		}
	}
	var m EvidenceTally
	m.Merge(&a)
	m.Merge(&b)
	if m.Stats()[0] != whole.Stats()[0] {
		t.Fatalf("merged %+v, whole %+v", m.Stats(), whole.Stats())
	}
}
