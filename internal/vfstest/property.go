package vfstest

import (
	"os"
	"strconv"
	"testing"

	"pgregory.net/rapid"
)

// Budget is the op budget of a property test: IOMAPLAB_PROP_OPS if it is
// a number, else def; set reports whether the variable is set at all.
func Budget(def int) (n int, set bool) {
	s := os.Getenv("IOMAPLAB_PROP_OPS")
	if n, err := strconv.Atoi(s); err == nil {
		return n, true
	}
	return def, s != ""
}

// Property checks rapid sequences drawn by g, sized so that the run totals
// about total ops (rapid runs 100 sequences by default, -rapid.checks).
// run applies one sequence to a fresh target and returns its first
// failure; Property returns the number of ops drawn.
func Property(t *testing.T, g Gen, total int, run func(ops []Op) error) (ran int) {
	perSeq := max(2, total/100)
	rapid.Check(t, func(rt *rapid.T) {
		ops := rapid.SliceOfN(rapid.Custom(g.Draw), perSeq, perSeq*3/2).Draw(rt, "ops")
		ran += len(ops)
		if err := run(ops); err != nil {
			rt.Fatal(err)
		}
	})
	return ran
}
