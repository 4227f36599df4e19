package kernel

import (
	"embed"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"iomaplab/scenario"
)

// The kernel-only scenarios (scenarios/*.scn): the geometries the race
// lab's catalogue does not carry (mid: a write crossing a 2 MiB folio
// boundary, parked after copying below it; big: a 4 MiB write parked after
// a whole 2 MiB chunk) and controls that must never go stale. They are
// ordinary scenario files, valid for the model too.
//
//go:embed scenarios/*.scn
var extrasFS embed.FS

var extras struct {
	once sync.Once
	list []*scenario.Scenario
	err  error
}

// KernelScenarios returns the kernel-only scenarios, sorted by name; their
// files are named kernel/scenarios/NAME.scn.
func KernelScenarios() ([]*scenario.Scenario, error) {
	extras.once.Do(func() {
		extras.list, extras.err = scenario.ParseFS(extrasFS, "scenarios")
		if extras.err != nil {
			extras.err = fmt.Errorf("kernel/%w", extras.err)
		}
		for _, sc := range extras.list {
			sc.File = "kernel/" + sc.File
		}
	})
	return extras.list, extras.err
}

// LoadScenario resolves a command-line argument for the kernel target: a
// race-lab catalogue name, a kernel-only scenario name, or a .scn path.
// Parse errors are file:line:col messages.
func LoadScenario(arg string) (*scenario.Scenario, error) {
	if strings.HasSuffix(arg, ".scn") || strings.ContainsRune(arg, os.PathSeparator) || strings.Contains(arg, "/") {
		return scenario.Load(arg)
	}
	if sc, err := scenario.Lookup(arg); err == nil {
		return sc, nil
	}
	list, err := KernelScenarios()
	if err != nil {
		return nil, err
	}
	if i := slices.IndexFunc(list, func(sc *scenario.Scenario) bool { return sc.Name == arg }); i >= 0 {
		return list[i], nil
	}
	return nil, fmt.Errorf("no scenario %q in the catalogue or the kernel scenarios (iomaplab kernel --list shows them), and no such .scn file", arg)
}

// DefaultScenarios is what `iomaplab kernel` runs with no scenario named:
// every catalogue scenario without a `kernel skip` line, then the
// kernel-only ones.
func DefaultScenarios() ([]*scenario.Scenario, error) {
	cat, err := scenario.List()
	if err != nil {
		return nil, err
	}
	var out []*scenario.Scenario
	for _, sc := range cat {
		if kernelRunnable(sc) == nil {
			out = append(out, sc)
		}
	}
	extra, err := KernelScenarios()
	return append(out, extra...), err
}
