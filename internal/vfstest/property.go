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

// Coverage is a property test's coverage hook: the run callback records
// what each sequence exercised; Missing names what no sequence did.
type Coverage interface {
	Missing() []string
}

// Property checks rapid sequences drawn by g, sized so that the run totals
// about total ops (rapid runs 100 sequences by default, -rapid.checks).
// run applies one sequence to a fresh target, recording into cov, and
// returns its first failure. Coverage is a property of the generator, not
// of one draw: while cov is missing something, Property draws another
// round of sequences, up to maxRounds, and fails t only if a transition is
// still never exercised. It logs the op count and cov.
func Property(t *testing.T, g Gen, total int, cov Coverage, run func(ops []Op) error) {
	t.Helper()
	perSeq := max(2, total/100)
	ran := 0
	for round := 1; ; round++ {
		rapid.Check(t, func(rt *rapid.T) {
			ops := rapid.SliceOfN(rapid.Custom(g.Draw), perSeq, perSeq*3/2).Draw(rt, "ops")
			ran += len(ops)
			if err := run(ops); err != nil {
				rt.Fatal(err)
			}
		})
		if t.Failed() {
			return
		}
		m := cov.Missing()
		if len(m) == 0 {
			break
		}
		if round == maxRounds {
			t.Errorf("transitions never exercised in %d rounds: %v", round, m)
			break
		}
		t.Logf("round %d did not exercise %v; drawing another round", round, m)
	}
	t.Logf("%d ops; coverage: %+v", ran, cov)
}

// maxRounds bounds how many rounds of sequences Property draws to cover
// every transition.
const maxRounds = 4
