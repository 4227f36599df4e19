package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"iomaplab/explore"
	"iomaplab/lab"
)

func (a *app) replayCmd() *cobra.Command {
	var asJSON bool
	var device string
	cmd := &cobra.Command{
		Use:   "replay TOKEN [--json] [--device file|memory]",
		Short: "re-run the schedule a replay token names and draw it",
		Long: `Re-run exactly the schedule a replay token (printed by explore beside each
violation) names, twice, and draw it: one column per simulated thread, the
locks taken, the named points passed and the oracle that fired. The second
run checks that the schedule is deterministic (the same trace hash).`,
		Example: `  iomaplab replay iml1-...        # the token explore printed
  iomaplab replay iml1-... --json`,
		Annotations: map[string]string{"exit": `  0  the schedule replayed without a violation, twice identically
  1  it violated an oracle, or a second replay gave another trace
  2  bad usage, a corrupt or stale token, or a scenario error
  3  the environment cannot run it (host ENOSPC/EIO on the model's device file)
`},
		Args: exactArgs(1, "one TOKEN"),
		RunE: func(_ *cobra.Command, args []string) error { return a.replay(args[0], asJSON, device) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	deviceFlag(cmd, &device)
	return cmd
}

func (a *app) replay(token string, asJSON bool, device string) error {
	tk, err := lab.DecodeToken(token)
	if err != nil {
		return asBadInput(err)
	}
	if tk.Build != lab.BuildHash() {
		fmt.Fprintf(a.stderr, "iomaplab replay: the token was made by build %s, this is build %s: the schedule may not replay exactly\n", tk.Build, lab.BuildHash())
	}
	mk, err := modelTargets(device)
	if err != nil {
		return err
	}
	defer a.exitOnSignal("replay")()
	r, err := explore.Replay(tk, mk)
	if err != nil {
		return asBadInput(classify(err))
	}
	v := r.Verdict
	result := error(nil)
	if v.Violated() || !r.Deterministic {
		result = errViolation
	} else if v.ScenarioError != nil {
		result = badInputError{v.ScenarioError}
	} else if len(v.OpErrors) > 0 {
		result = badInput("scenario error: %v", v.OpErrors[0])
	}
	if asJSON {
		if err := printJSON(a.stdout, map[string]any{"scenario": tk.Scenario, "variant": tk.Variant, "violated": v.Violated(), "oracles": v.Fired(),
			"outcome": v.Result.Outcome.String(), "trace_hash": fmt.Sprintf("%016x", v.Result.Trace.Hash()),
			"deterministic": r.Deterministic, "other_build": r.OtherBuild, "diagram": r.Diagram}); err != nil {
			return err
		}
		return result
	}
	fmt.Fprintf(a.stdout, "%s [%s], %s schedule #%d of seed %d, %d decisions\n\n", tk.Scenario, tk.Variant, tk.Strategy, tk.Schedule+1, tk.Seed, len(tk.Decisions))
	fmt.Fprint(a.stdout, r.Diagram)
	if v.Violated() {
		for _, x := range v.Violations {
			fmt.Fprintf(a.stdout, "\n%s: %s\n", x.Oracle, x.Message)
		}
	} else {
		fmt.Fprintln(a.stdout, "\nno violation")
	}
	fmt.Fprintf(a.stdout, "trace hash %016x; %s\n", v.Result.Trace.Hash(), map[bool]string{true: "replayed twice identically", false: "NONDETERMINISM: a second replay gave a different trace"}[r.Deterministic])
	return result
}
