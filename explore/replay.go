package explore

import (
	"fmt"

	"iomaplab/lab"
	"iomaplab/scenario"
)

// Replayed is what replaying a token produced.
type Replayed struct {
	Token   lab.Token
	Verdict *scenario.Verdict
	// Deterministic is true when a second replay gave the same trace.
	Deterministic bool
	// OtherBuild is set when the token came from a different build.
	OtherBuild bool
	Diagram    string
}

// Replay re-runs the schedule a token names, twice (the nondeterminism
// detector), and draws it. A token that does not replay on this build (a
// decision names a thread that cannot run, the run needs more decisions
// than the token has or ends before using them all) is a lab.TokenError
// naming the decision: bad input, never a verdict. A host fault under a
// file-backed device is returned as the device's error (Environment).
func Replay(tk lab.Token, mk TargetFactory) (*Replayed, error) {
	sc, err := tokenScenario(tk)
	if err != nil {
		return nil, err
	}
	target, err := mk(tk.Variant)
	if err != nil {
		return nil, &lab.TokenError{Msg: err.Error()}
	}
	r := &Replayed{Token: tk, OtherBuild: tk.Build != lab.BuildHash()}
	first, err := replayChecked(sc, target, tk.Decisions)
	if err != nil {
		if _, bad := err.(*lab.TokenError); bad && r.OtherBuild {
			err = &lab.TokenError{Msg: fmt.Sprintf("%s (the token was made by build %s, this is build %s)", err.(*lab.TokenError).Msg, tk.Build, lab.BuildHash())}
		}
		return nil, err
	}
	r.Verdict = first
	if first.Skipped != "" {
		return r, fmt.Errorf("%s", first.Skipped)
	}
	second, err := replayChecked(sc, target, tk.Decisions)
	if env := environmental(second); env != nil {
		return nil, env
	}
	r.Deterministic = err == nil && first.Result.Trace.Hash() == second.Result.Trace.Hash()
	r.Diagram = Draw(sc, first)
	return r, nil
}

// replayChecked replays decisions once and says how it diverged, if it did.
func replayChecked(sc *scenario.Scenario, target scenario.Target, decisions []int) (*scenario.Verdict, error) {
	s := lab.NewReplay(decisions)
	s.NewSchedule()
	v := scenario.Run(sc, target, lab.Config{Controlled: true, Strategy: s})
	if env := environmental(v); env != nil {
		return v, env
	}
	if v.Result != nil && v.Result.Outcome == lab.Diverged {
		return v, &lab.TokenError{Msg: "the schedule does not replay: " + v.Result.Message}
	}
	if n := s.Remaining(); n > 0 && v.Skipped == "" {
		return v, &lab.TokenError{Msg: fmt.Sprintf("the schedule does not replay: the run ended after %d of its %d decisions", len(decisions)-n, len(decisions))}
	}
	return v, nil
}
