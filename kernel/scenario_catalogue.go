package kernel

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
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

// KernelScenarios returns the kernel-only scenarios, sorted by name.
func KernelScenarios() ([]*scenario.Scenario, error) {
	extras.once.Do(func() {
		ents, err := fs.ReadDir(extrasFS, "scenarios")
		if err != nil {
			extras.err = err
			return
		}
		for _, e := range ents {
			name := path.Join("scenarios", e.Name())
			src, err := extrasFS.ReadFile(name)
			if err != nil {
				extras.err = err
				return
			}
			sc, err := scenario.Parse("kernel/"+name, src)
			if err != nil {
				extras.err = err
				return
			}
			if want := strings.TrimSuffix(e.Name(), ".scn"); sc.Name != want {
				extras.err = fmt.Errorf("kernel/%s: scenario is named %s, want %s", name, sc.Name, want)
				return
			}
			extras.list = append(extras.list, sc)
		}
		sort.Slice(extras.list, func(i, j int) bool { return extras.list[i].Name < extras.list[j].Name })
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
	for _, sc := range list {
		if sc.Name == arg {
			return sc, nil
		}
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
