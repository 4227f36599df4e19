package scenario

import (
	"fmt"
	"strings"
)

// Evidence that can fail. An evidence line claims that the scenario reaches
// its race window; a claim that does not hold must fail the scenario, with
// its own verdict (unreached), never as a violation and never as catching a
// mutant (evidence says nothing about safety). Under `correct`:
//
//   - a directed scenario spells out its interleaving, so its evidence must
//     hold in every schedule explored;
//   - an exploratory scenario leaves the interleaving to the strategy, so
//     its evidence must hold in at least one schedule (the fraction is
//     reported): that the window can be reached at all is the claim.
//
// Under a variant the evidence is reported, not judged: a mutant may
// legitimately leave the path the evidence counts (no-validate never
// detects a stale mapping, so `stale >= 1` cannot hold there).

// Unreached lists the evidence expectations this run did not meet, among
// those the target counts.
func (v *Verdict) Unreached() []EvidenceResult {
	var out []EvidenceResult
	for _, e := range v.Evidence {
		if e.Known && !e.Met {
			out = append(out, e)
		}
	}
	return out
}

// EvidenceStat is one evidence expectation over the schedules of an
// exploration: the smallest and largest count reached, and in how many
// schedules it held.
type EvidenceStat struct {
	Expect    string `json:"expect"` // as written: "stale >= 1"
	Line      int    `json:"line"`
	Known     bool   `json:"known"` // false: the target does not count it
	Min       int    `json:"min"`
	Max       int    `json:"max"`
	Met       int    `json:"met"`       // schedules in which it held
	Schedules int    `json:"schedules"` // schedules observed
}

// EvidenceTally gathers EvidenceStats run by run.
type EvidenceTally struct {
	stats []EvidenceStat
}

// Add counts one run's evidence.
func (t *EvidenceTally) Add(v *Verdict) {
	if t.stats == nil {
		for _, e := range v.Evidence {
			t.stats = append(t.stats, EvidenceStat{Expect: fmt.Sprintf("%s %s %d", e.Evidence, e.Cmp, e.N), Line: e.Pos.Line,
				Known: e.Known, Min: e.Got, Max: e.Got})
		}
	}
	for i, e := range v.Evidence {
		if i >= len(t.stats) {
			break
		}
		s := &t.stats[i]
		s.Min, s.Max = min(s.Min, e.Got), max(s.Max, e.Got)
		s.Schedules++
		if e.Met {
			s.Met++
		}
	}
}

// Merge adds another tally of the same scenario (a shard's, a parallel
// worker's) to t.
func (t *EvidenceTally) Merge(o *EvidenceTally) {
	if t.stats == nil {
		t.stats = append([]EvidenceStat(nil), o.stats...)
		return
	}
	for i, s := range o.stats {
		if i >= len(t.stats) || s.Schedules == 0 {
			continue
		}
		m := &t.stats[i]
		if m.Schedules == 0 {
			*m = s
			continue
		}
		m.Min, m.Max = min(m.Min, s.Min), max(m.Max, s.Max)
		m.Met += s.Met
		m.Schedules += s.Schedules
	}
}

// Stats returns the tally so far, in expect-line order.
func (t *EvidenceTally) Stats() []EvidenceStat { return t.stats }

// Unmet says which evidence failed the rule above for a scenario that is
// directed or not, or "" if all held (evidence a target does not count is
// not judged).
func (t *EvidenceTally) Unmet(directed bool) string {
	var out []string
	for _, s := range t.stats {
		switch {
		case !s.Known || s.Schedules == 0:
		case directed && s.Met < s.Schedules:
			out = append(out, fmt.Sprintf("line %d: %s held in %d of %d schedules (a directed scenario's evidence must hold in every one; counts %d..%d)",
				s.Line, s.Expect, s.Met, s.Schedules, s.Min, s.Max))
		case !directed && s.Met == 0:
			out = append(out, fmt.Sprintf("line %d: %s held in none of %d schedules (counts %d..%d)", s.Line, s.Expect, s.Schedules, s.Min, s.Max))
		}
	}
	return strings.Join(out, "; ")
}
