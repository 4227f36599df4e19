package scenario

import (
	"embed"
	"fmt"
	"io"
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
	catalogue.once.Do(func() { catalogue.list, catalogue.err = ParseFS(catalogueFS, "catalogue") })
	return catalogue.list, catalogue.err
}

// ParseFS parses every dir/*.scn in fsys (an embedded set of scenario
// files), sorted by scenario name. Each file's scenario must be named after
// the file; file names (in errors and Scenario.File) are dir/NAME.scn.
func ParseFS(fsys fs.FS, dir string) ([]*Scenario, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var list []*Scenario
	for _, e := range entries {
		base, ok := strings.CutSuffix(e.Name(), ".scn")
		if !ok || e.IsDir() {
			continue
		}
		name := path.Join(dir, e.Name())
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		sc, err := Parse(name, src)
		if err != nil {
			return nil, err
		}
		if sc.Name != base {
			return nil, fmt.Errorf("%s: scenario is named %s, want %s", name, sc.Name, base)
		}
		list = append(list, sc)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list, nil
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
	return nil, &LoadError{fmt.Errorf("no scenario %q in the catalogue (iomaplab list shows them)", name)}
}

// MaxFileSize bounds a scenario file (1 MiB; the catalogue's largest is
// under 4 KiB): Load reads no more.
const MaxFileSize = 1 << 20

// LoadError is a scenario argument that names nothing loadable: no such
// catalogue scenario, or a file that cannot be read or is too large. It is
// bad input (the CLI exits 2).
type LoadError struct{ Err error }

func (e *LoadError) Error() string { return e.Err.Error() }
func (e *LoadError) Unwrap() error { return e.Err }

// BadInput marks the error as the user's (exit 2).
func (e *LoadError) BadInput() bool { return true }

// Load resolves a command-line argument under DefaultLimits: a catalogue
// name, or a path to a .scn file (anything containing a path separator or
// ending in .scn).
func Load(arg string) (*Scenario, error) { return LoadWith(arg, DefaultLimits) }

// LoadWith is Load with the given limits for a file (catalogue scenarios
// are within the defaults).
func LoadWith(arg string, limits Limits) (*Scenario, error) {
	if !strings.HasSuffix(arg, ".scn") && !strings.ContainsRune(arg, os.PathSeparator) && !strings.Contains(arg, "/") {
		return Lookup(arg)
	}
	f, err := os.Open(arg)
	if err != nil {
		return nil, &LoadError{err}
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, &LoadError{fmt.Errorf("%s: not a regular file", arg)}
	}
	src, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, &LoadError{err}
	}
	if len(src) > MaxFileSize {
		return nil, &LoadError{fmt.Errorf("%s: scenario file over the %s limit", arg, FormatSize(MaxFileSize))}
	}
	return ParseWith(arg, src, limits)
}
