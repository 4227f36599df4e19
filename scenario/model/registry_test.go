package model

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"iomaplab/scenario"
)

// engineSource returns the non-test Go source of the engine packages.
func engineSource(t *testing.T) string {
	var b strings.Builder
	for _, dir := range []string{"../../iomap", "../../fsmodel", "../../blockdev", "../../pagecache"} {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			src, err := os.ReadFile(path)
			b.Write(src)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// TestRegistryMatchesEngine: scenario's tracepoint and injection point
// names are exactly the engine's, both ways. A tracepoint the engine emits
// (t.Tracepoint("name"), or a name a function returns for it) must be in
// scenario.Tracepoints; each registered name must occur in the engine.
func TestRegistryMatchesEngine(t *testing.T) {
	src := engineSource(t)
	emitted := regexp.MustCompile(`Tracepoint\("([a-z0-9_]+)"`).FindAllStringSubmatch(src, -1)
	if len(emitted) < 10 {
		t.Fatalf("found only %d tracepoint calls: is the scan broken?", len(emitted))
	}
	for _, m := range emitted {
		if !slices.Contains(scenario.Tracepoints, m[1]) {
			t.Errorf("the engine emits tracepoint %s, which scenario.Tracepoints lacks", m[1])
		}
	}
	for _, name := range scenario.Tracepoints {
		if !strings.Contains(src, `"`+name+`"`) {
			t.Errorf("scenario.Tracepoints has %s, which the engine never names", name)
		}
	}
	// Points: t.Point("name"), t.Park("name"), or the iterator's AfterBegin.
	points := regexp.MustCompile(`(?:Point|Park)\("([a-z0-9_.]+)"\)|AfterBegin = "([a-z0-9_.]+)"`).FindAllStringSubmatch(src, -1)
	if len(points) < 8 {
		t.Fatalf("found only %d points: is the scan broken?", len(points))
	}
	for _, m := range points {
		if name := m[1] + m[2]; !slices.Contains(scenario.Points, name) {
			t.Errorf("the engine has point %s, which scenario.Points lacks", name)
		}
	}
	for _, name := range scenario.Points {
		if !strings.Contains(src, `"`+name+`"`) {
			t.Errorf("scenario.Points has %s, which the engine never reaches", name)
		}
	}
}
