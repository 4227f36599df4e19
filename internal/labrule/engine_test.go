package labrule

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"
)

const modulePath = "iomaplab"

// TestEnginePackages runs the analyzer over the real engine packages of this
// module (those that exist yet) and fails on any diagnostic: this is what
// makes `go test ./...` enforce the lab rule.
func TestEnginePackages(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, p := range DefaultEngine {
		rel := strings.TrimPrefix(strings.TrimSuffix(p, "/..."), modulePath+"/")
		dir := filepath.Join(root, rel)
		if _, err := os.Stat(dir); err != nil {
			t.Logf("%s: not written yet", p)
			continue
		}
		readSources(t, dir)
		patterns = append(patterns, "./"+rel+"/...")
	}
	if len(patterns) == 0 {
		t.Skip("no engine package exists yet")
	}
	cfg := &packages.Config{Mode: packages.LoadSyntax, Dir: root} // dependencies from export data
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		t.Fatal(err)
	}
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		for _, e := range p.Errors {
			t.Errorf("%s: %v (an engine package that does not type-check cannot be checked)", p.PkgPath, e)
		}
	})
	g, err := checker.Analyze([]*analysis.Analyzer{Analyzer}, pkgs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, act := range g.Roots {
		if act.Err != nil {
			t.Errorf("%s: %v", act.Package.PkgPath, act.Err)
		}
		for _, d := range act.Diagnostics {
			t.Errorf("%s: %s", act.Package.Fset.Position(d.Pos), d.Message)
		}
	}
	t.Logf("checked %d engine packages", len(g.Roots))
}

// readSources reads every .go file under dir. go/packages reads sources in a
// go list subprocess, which the go test cache does not see; reading them here
// puts them (and the directory listings) into the cache key, so an edit to an
// engine package re-runs this test instead of reusing a stale pass.
func readSources(t *testing.T, dir string) {
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" {
				return filepath.SkipDir
			}
			_, err := os.ReadDir(path)
			return err
		}
		if strings.HasSuffix(path, ".go") {
			_, err := os.ReadFile(path)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
