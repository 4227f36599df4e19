package scenario

import (
	"fmt"
	"strings"

	"iomaplab/lab"
)

// Verdict is the outcome of one run of a scenario.
type Verdict struct {
	Scenario string
	// Skipped says why the target did not run the scenario: it cannot mount
	// the fs line (Supporter), or refused an op with EOPNOTSUPP. Violations
	// and Evidence are then empty.
	Skipped string
	// Result is the world's result: outcome, steps, decisions, trace.
	Result *lab.Result
	// Violations are the safety oracles that fired. Only these make a
	// verdict a violation.
	Violations []Violation
	// Evidence is each evidence expectation with the value the run reached.
	// Unmet evidence is never a violation: it says the window was missed.
	Evidence []EvidenceResult
	// OpErrors are ops that failed without may-fail, and a failed Mount or
	// remount: the scenario did not run as written.
	OpErrors []OpError
	// Unchecked names files the data oracle skipped: an op that may fail
	// did, so their contents are not known.
	Unchecked []string
	// ScenarioError, when set, says the run deadlocked because of the
	// scenario's own awaits, parks and releases (an authoring mistake only
	// a run could find): bad input, not a violation. Violations then holds
	// no deadlock.
	ScenarioError *RunError
}

// EvidenceResult is one evidence expectation and what the run reached.
type EvidenceResult struct {
	Expectation
	Got int
	// Known is false when nobody counts this evidence on this target.
	Known bool
	Met   bool
}

// OpError is an op that failed.
type OpError struct {
	Thread string
	Op     Op
	Err    error
}

func (e OpError) Error() string {
	return fmt.Sprintf("line %d: %s in %s: %v", e.Op.Pos.Line, e.Op.Kind, e.Thread, e.Err)
}

// Violated reports whether a safety oracle fired.
func (v *Verdict) Violated() bool { return len(v.Violations) > 0 }

// Fired returns the distinct oracles that fired, in order.
func (v *Verdict) Fired() []string {
	var out []string
	for _, x := range v.Violations {
		if !contains(out, x.Oracle) {
			out = append(out, x.Oracle)
		}
	}
	return out
}

// Caught reports whether one of oracles fired.
func (v *Verdict) Caught(oracles []string) bool {
	for _, x := range v.Violations {
		if contains(oracles, x.Oracle) {
			return true
		}
	}
	return false
}

// EvidenceMet reports whether every evidence expectation was met (true when
// there are none).
func (v *Verdict) EvidenceMet() bool {
	for _, e := range v.Evidence {
		if !e.Met {
			return false
		}
	}
	return true
}

func (v *Verdict) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: ", v.Scenario)
	switch {
	case v.Skipped != "":
		fmt.Fprintf(&b, "skipped: %s", v.Skipped)
		return b.String()
	case v.ScenarioError != nil:
		fmt.Fprintf(&b, "scenario error: %s", v.ScenarioError.Msg)
	case v.Violated():
		fmt.Fprintf(&b, "VIOLATION %s", strings.Join(v.Fired(), ","))
	default:
		b.WriteString("clean")
	}
	if v.Result != nil {
		fmt.Fprintf(&b, " (%s, %d steps)", v.Result.Outcome, v.Result.Steps)
	}
	for _, x := range v.Violations {
		fmt.Fprintf(&b, "\n  %s: %s", x.Oracle, firstLine(x.Message))
	}
	for _, e := range v.Evidence {
		mark := "met"
		if !e.Known {
			mark = "not counted here"
		} else if !e.Met {
			mark = "NOT met"
		}
		fmt.Fprintf(&b, "\n  evidence %s %s %d: %d (%s)", e.Evidence, e.Cmp, e.N, e.Got, mark)
	}
	for _, e := range v.OpErrors {
		fmt.Fprintf(&b, "\n  op error: %v", e)
	}
	for _, f := range v.Unchecked {
		fmt.Fprintf(&b, "\n  data of %s unchecked (an op that may fail did)", f)
	}
	return b.String()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

// Holds reports whether an evidence count of got meets the expectation.
func (e Expectation) Holds(got int) bool { return compare(got, e.Cmp, e.N) }

func compare(got int, cmp string, n int64) bool {
	g := int64(got)
	switch cmp {
	case ">=":
		return g >= n
	case "<=":
		return g <= n
	case "==":
		return g == n
	case "!=":
		return g != n
	case ">":
		return g > n
	case "<":
		return g < n
	}
	return false
}
