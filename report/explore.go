package report

import (
	"fmt"
	"strings"
	"time"

	"iomaplab/explore"
)

// Explore is the suite of `iomaplab explore`: one case per cell, named
// "scenario [variant]". Without matrix, a cell fails on a violation; with
// it, when its verdict is not the expected one (a catch that caught, or a
// clean run that stayed clean, passes). In both, evidence that was never
// reached fails as KindUnreached, a violation whose replay differed fails
// as KindNondetermism, a cell the host could not run errors as
// KindEnvironment, a scenario that did not run as written errors as
// KindBadInput, and a cell the target cannot run is skipped. With matrix,
// a last case checks that every mutant some scenario must catch was caught
// by an exploratory scenario (uncovered lists those that were not:
// explore.Coverage).
func Explore(cells []*explore.Cell, matrix bool, uncovered []string, opt explore.Options, start time.Time) Suite {
	s := Suite{Name: "explore", Timestamp: start, Properties: []Property{
		{"strategy", opt.Strategy}, {"budget", fmt.Sprint(opt.Budget)}, {"seed", fmt.Sprint(opt.Seed)},
	}}
	if matrix {
		s.Name = "explore-matrix"
	}
	for _, c := range cells {
		s.Cases = append(s.Cases, exploreCase(c, matrix))
		s.Seconds += c.Seconds
	}
	if matrix {
		cov := Case{Name: "coverage by exploratory scenarios"}
		if len(uncovered) > 0 {
			cov.Status, cov.Kind = Failed, KindMismatch
			cov.Message = "mutants no exploratory scenario caught: " + strings.Join(uncovered, ", ")
		}
		s.Cases = append(s.Cases, cov)
	}
	return s
}

func exploreCase(c *explore.Cell, matrix bool) Case {
	k := Case{Name: c.Scenario + " [" + c.Variant + "]", Seconds: c.Seconds, Output: cellOutput(c)}
	msg, rest := splitFirstLine(c.Message)
	switch {
	case c.Verdict == "skipped":
		k.Status, k.Message = Skipped, msg
	case c.Verdict == "error" && c.Err != nil:
		k.Status, k.Kind, k.Message, k.Detail = Errored, KindEnvironment, msg, rest
	case c.Verdict == "error" || c.Verdict == "scenario error":
		k.Status, k.Kind, k.Message, k.Detail = Errored, KindBadInput, c.Verdict+": "+msg, rest
	case c.Verdict == "unreached":
		k.Status, k.Kind, k.Message, k.Detail = Failed, KindUnreached, msg, rest
	case c.Verdict == "violation" && !c.Deterministic:
		k.Status, k.Kind = Failed, KindNondetermism
		k.Message = "replaying the violation's token gave a different trace: " + msg
		k.Detail = violationDetail(c)
	case matrix && !c.Match:
		k.Status, k.Kind = Failed, KindMismatch
		k.Message = fmt.Sprintf("expected %s, got %s", expectation(c), verdict(c))
		if c.Verdict == "violation" {
			k.Detail = violationDetail(c)
		}
	case !matrix && c.Verdict == "violation":
		k.Status, k.Kind = Failed, KindViolation
		k.Message = strings.Join(c.Oracles, ",") + ": " + msg
		k.Detail = violationDetail(c)
	}
	return k
}

func expectation(c *explore.Cell) string {
	if c.Expected == "catch" && len(c.ExpectedOracles) > 0 {
		return "catch (" + strings.Join(c.ExpectedOracles, ",") + ")"
	}
	return c.Expected
}

func verdict(c *explore.Cell) string {
	if c.Verdict == "violation" {
		return "violation (" + strings.Join(c.Oracles, ",") + ")"
	}
	return c.Verdict
}

// violationDetail is what explore prints for a violation: the message, the
// drawing, and how to replay it.
func violationDetail(c *explore.Cell) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s after %d schedules; shrunk to %d preemptions, %d steps\n", verdict(c), c.FirstFailure+1, c.Preemptions, c.Steps)
	fmt.Fprintf(&b, "%s\n\n%s", c.Message, c.Diagram)
	if c.Token != "" {
		fmt.Fprintf(&b, "replay: iomaplab replay %s\n", c.Token)
	} else if c.NoToken != "" {
		fmt.Fprintf(&b, "no replay token: %s\n", c.NoToken)
	}
	return b.String()
}

// cellOutput is what the cell observed, whatever its verdict.
func cellOutput(c *explore.Cell) string {
	var b strings.Builder
	fmt.Fprintf(&b, "verdict %s, expected %s; %d schedules (%s, seed %d, exhausted %v), %d reached a stale window\n",
		verdict(c), expectation(c), c.Schedules, c.Strategy, c.Seed, c.Exhausted, c.Reachable)
	for _, e := range c.EvidenceStats {
		if e.Known {
			fmt.Fprintf(&b, "evidence line %d %q held in %d of %d schedules (min %d, max %d)\n", e.Line, e.Expect, e.Met, e.Schedules, e.Min, e.Max)
		}
	}
	return b.String()
}
