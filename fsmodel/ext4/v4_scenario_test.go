package ext4_test

import (
	"slices"
	"testing"

	"iomaplab/explore"
	"iomaplab/scenario"
	"iomaplab/scenario/model"
)

// TestV4DirectedScenario runs the directed review scenario of ext4 iomap
// v4 patch 06/23 on the model: clean with the patch (every schedule remaps
// once), a data violation without it (variant ext4-no-da-map-seq).
func TestV4DirectedScenario(t *testing.T) {
	sc, err := scenario.Lookup("ext4-v4-write-begin-unwritten-convert")
	if err != nil {
		t.Fatal(err)
	}
	opt := explore.Defaults
	opt.Budget = 20
	if c := explore.Explore(sc, "correct", model.ForVariant, opt); c.Verdict != "clean" || !c.Match || c.Schedules != opt.Budget {
		t.Fatalf("correct: %+v", c)
	}
	c := explore.Explore(sc, "ext4-no-da-map-seq", model.ForVariant, opt)
	if c.Verdict != "violation" || !slices.Contains(c.Oracles, "data") || !c.Match {
		t.Fatalf("ext4-no-da-map-seq: %+v", c)
	}
	t.Logf("ext4-no-da-map-seq: %s after %d schedules", c.Verdict, c.Schedules)
}
