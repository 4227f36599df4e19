package scenario

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
)

//go:embed catalogue/*.scn
var catalogueFS embed.FS

var catalogue struct {
	once sync.Once
	list []*Scenario
	err  error
}

// List returns the built-in scenarios, sorted by name. The catalogue is
// parsed once; a bad catalogue file is a build bug and makes List return
// its error (a test keeps that from shipping).
func List() ([]*Scenario, error) {
	catalogue.once.Do(func() {
		entries, err := fs.ReadDir(catalogueFS, "catalogue")
		if err != nil {
			catalogue.err = err
			return
		}
		for _, e := range entries {
			name := path.Join("catalogue", e.Name())
			src, err := catalogueFS.ReadFile(name)
			if err != nil {
				catalogue.err = err
				return
			}
			sc, err := Parse(name, src)
			if err != nil {
				catalogue.err = err
				return
			}
			if want := strings.TrimSuffix(e.Name(), ".scn"); sc.Name != want {
				catalogue.err = fmt.Errorf("%s: scenario is named %s, want %s", name, sc.Name, want)
				return
			}
			catalogue.list = append(catalogue.list, sc)
		}
		sort.Slice(catalogue.list, func(i, j int) bool { return catalogue.list[i].Name < catalogue.list[j].Name })
	})
	return catalogue.list, catalogue.err
}

// Lookup returns the built-in scenario called name.
func Lookup(name string) (*Scenario, error) {
	list, err := List()
	if err != nil {
		return nil, err
	}
	for _, sc := range list {
		if sc.Name == name {
			return sc, nil
		}
	}
	return nil, fmt.Errorf("no scenario %q in the catalogue (iomaplab list shows them)", name)
}

// Load resolves a command-line argument: a catalogue name, or a path to a
// .scn file (anything containing a path separator or ending in .scn).
func Load(arg string) (*Scenario, error) {
	if !strings.HasSuffix(arg, ".scn") && !strings.ContainsRune(arg, os.PathSeparator) && !strings.Contains(arg, "/") {
		return Lookup(arg)
	}
	src, err := os.ReadFile(arg)
	if err != nil {
		return nil, err
	}
	return Parse(arg, src)
}
