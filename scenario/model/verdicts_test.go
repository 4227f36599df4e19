package model

import (
	"errors"
	"strings"
	"testing"

	"iomaplab/explore"
	"iomaplab/scenario"
)

func exploreSrc(t *testing.T, src, variant string) *explore.Cell {
	t.Helper()
	sc, err := scenario.Parse("v.scn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	opt := explore.Defaults
	opt.Budget = 5
	return explore.Explore(sc, variant, ForVariant, opt)
}

// TestUnmetEvidenceIsUnreached: evidence that never holds fails the cell
// under correct (verdict unreached, no match, no violation), is reported
// but not judged under a variant, and evidence that holds leaves it clean.
func TestUnmetEvidenceIsUnreached(t *testing.T) {
	never := "scenario v\nfs xfs\nthread a: pwrite f 0 8k\nexpect data ; stale >= 1\n"
	c := exploreSrc(t, never, "correct")
	if c.Verdict != "unreached" || c.Match || len(c.Oracles) != 0 || !strings.Contains(c.Message, "line 4: stale >= 1 held in none of 5 schedules") {
		t.Fatalf("correct: %+v", c)
	}
	if s := c.EvidenceStats; len(s) != 1 || s[0] != (scenario.EvidenceStat{Expect: "stale >= 1", Line: 4, Known: true, Min: 0, Max: 0, Met: 0, Schedules: 5}) {
		t.Errorf("stats %+v", s)
	}
	if c := exploreSrc(t, never, "no-validate"); c.Verdict != "clean" || len(c.EvidenceStats) != 1 {
		t.Errorf("no-validate: %+v", c)
	}
	holds := "scenario v\nfs xfs\nthread a: pwrite f 0 8k\nexpect data ; trace da_reserve >= 1 ; stale == 0\n"
	if c := exploreSrc(t, holds, "correct"); c.Verdict != "clean" || !c.Match || c.EvidenceStats[0].Met != 5 {
		t.Errorf("holding evidence: %+v", c)
	}
}

// TestScenarioErrorCell: a deadlock the scenario causes ends the cell as a
// scenario error with a BadInput error, never a violation or a match.
func TestScenarioErrorCell(t *testing.T) {
	src := "scenario v\nfs xfs\ninject iomap.write.prefault park thread=a hit=50\nthread a: pwrite f 0 8k\nthread b: await a.stalled ; release a\n"
	c := exploreSrc(t, src, "correct")
	var bad interface{ BadInput() bool }
	if c.Verdict != "scenario error" || c.Match || len(c.Oracles) != 0 || !errors.As(c.Err, &bad) || !bad.BadInput() ||
		!strings.HasPrefix(c.Message, "v.scn:5:11: scenario error: await a.stalled in thread b: a returned without stalling") {
		t.Fatalf("%+v", c)
	}
}
