package kernel

import (
	"fmt"
	"os"
	"testing"

	"iomaplab/scenario"
)

// scenarioCleanupChild is the child half of the scenario-path cleanup
// tests: write-stale-delalloc from its .scn file, whose OnParked hook
// blocks (the parent sends SIGINT) or panics while the writer is parked.
func scenarioCleanupChild(mode string) int {
	sc, err := LoadScenario("write-stale-delalloc")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	cells, err := PlanScenarios([]*scenario.Scenario{sc}, []string{"xfs"}, false)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	_, err = RunScenarios(NewSupervisor(), ScenarioConfig{Cells: cells, Runs: 1, OnParked: func() {
		fmt.Fprintln(os.Stderr, "CHILD PARKED")
		if mode == "panic" {
			panic("injected panic in a worker goroutine")
		}
		select {} // parked until the signal
	}})
	fmt.Fprintln(os.Stderr, "child: RunScenarios returned:", err)
	return 0
}

func TestScenarioSIGINTWhileParkedCleansUp(t *testing.T) { runCleanupChild(t, "scenario-block", 3) }

func TestScenarioPanicWhileParkedCleansUp(t *testing.T) { runCleanupChild(t, "scenario-panic", 1) }
