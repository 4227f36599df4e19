package labrule

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"
)

// TestFixtures runs the analyzer over planted violations (want comments),
// an exempt package using the same constructs, and a clean engine package.
func TestFixtures(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), Analyzer,
		"iomaplab/fsmodel/bad", "iomaplab/cmd/exempt", "iomaplab/pagecache")
}

func TestIsEngine(t *testing.T) {
	for _, c := range []struct {
		path string
		want bool
	}{
		{"iomaplab/pagecache", true},
		{"iomaplab/pagecache/internal/x", true},
		{"iomaplab/pagecache_test", false},
		{"iomaplab/fsmodel/xfs", true},
		{"iomaplab/fsmodel", true},
		{"iomaplab/lab", false},
		{"iomaplab/scenario", false},
		{"iomaplab/iomapx", false},
	} {
		if got := IsEngine(c.path, DefaultEngine); got != c.want {
			t.Errorf("IsEngine(%q) = %v, want %v", c.path, got, c.want)
		}
	}
	if !IsEngine("a/b", []string{" a/b "}) || IsEngine("a/b/c", []string{"a/b"}) {
		t.Error("exact patterns")
	}
}
