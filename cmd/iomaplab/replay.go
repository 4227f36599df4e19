package main

import (
	"flag"
	"fmt"
	"os"

	"iomaplab/explore"
	"iomaplab/lab"
)

func init() { register("replay", "re-run the schedule a replay token names and draw it", runReplay) }

func runReplay(args []string) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print one JSON document")
	device := deviceFlag(fs)
	positional, err := parseArgs(fs, args)
	if err != nil || len(positional) != 1 {
		fmt.Fprintln(os.Stderr, "usage: iomaplab replay TOKEN [--json]")
		return exitUsage
	}
	tk, err := lab.DecodeToken(positional[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "iomaplab replay:", err)
		return exitUsage
	}
	if tk.Build != lab.BuildHash() {
		fmt.Fprintf(os.Stderr, "iomaplab replay: the token was made by build %s, this is build %s: the schedule may not replay exactly\n", tk.Build, lab.BuildHash())
	}
	mk, err := modelTargets(*device)
	if err != nil {
		fmt.Fprintln(os.Stderr, "iomaplab replay:", err)
		return exitUsage
	}
	r, err := explore.Replay(tk, mk)
	if err != nil {
		fmt.Fprintln(os.Stderr, "iomaplab replay:", err)
		return exitUsage
	}
	v := r.Verdict
	code := exitOK
	if v.Violated() {
		code = exitFail
	}
	if !r.Deterministic {
		code = exitFail
	}
	if *asJSON {
		printJSON(map[string]any{"scenario": tk.Scenario, "variant": tk.Variant, "violated": v.Violated(), "oracles": v.Fired(),
			"outcome": v.Result.Outcome.String(), "trace_hash": fmt.Sprintf("%016x", v.Result.Trace.Hash()),
			"deterministic": r.Deterministic, "other_build": r.OtherBuild, "diagram": r.Diagram})
		return code
	}
	fmt.Printf("%s [%s], %s schedule #%d of seed %d, %d decisions\n\n", tk.Scenario, tk.Variant, tk.Strategy, tk.Schedule+1, tk.Seed, len(tk.Decisions))
	fmt.Print(r.Diagram)
	if v.Violated() {
		for _, x := range v.Violations {
			fmt.Printf("\n%s: %s\n", x.Oracle, x.Message)
		}
	} else {
		fmt.Println("\nno violation")
	}
	fmt.Printf("trace hash %016x; %s\n", v.Result.Trace.Hash(), map[bool]string{true: "replayed twice identically", false: "NONDETERMINISM: a second replay gave a different trace"}[r.Deterministic])
	return code
}
