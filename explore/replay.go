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
	// Deterministic is false when a second replay gave another trace.
	Deterministic bool
	// OtherBuild is set when the token came from a different binary.
	OtherBuild bool
	Diagram    string
}

// Replay re-runs the schedule a token names, twice (the nondeterminism
// detector), and draws it.
func Replay(tk lab.Token, mk TargetFactory) (*Replayed, error) {
	sc, err := scenario.Load(tk.Scenario)
	if err != nil {
		return nil, err
	}
	target, err := mk(tk.Variant)
	if err != nil {
		return nil, err
	}
	first := runReplay(sc, target, tk.Decisions)
	second := runReplay(sc, target, tk.Decisions)
	r := &Replayed{Token: tk, Verdict: first, OtherBuild: tk.Build != lab.BuildHash()}
	if first.Skipped != "" {
		return r, fmt.Errorf("%s", first.Skipped)
	}
	r.Deterministic = first.Result.Outcome != lab.Diverged && first.Result.Trace.Hash() == second.Result.Trace.Hash()
	r.Diagram = Draw(sc, first)
	return r, nil
}

func runReplay(sc *scenario.Scenario, target scenario.Target, decisions []int) *scenario.Verdict {
	s := lab.NewReplay(decisions)
	s.NewSchedule()
	return scenario.Run(sc, target, lab.Config{Controlled: true, Strategy: s})
}
