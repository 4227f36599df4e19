package kernel

import (
	"testing"

	"iomaplab/scenario"
)

// TestKernelPath: an ext4 iomap or nodelalloc scenario is compared with the
// legacy delalloc model, the path the kernel mounts; others are unchanged.
func TestKernelPath(t *testing.T) {
	v4 := &scenario.Scenario{Name: "v4", FS: scenario.FSSpec{Type: "ext4", Iomap: true, NoDelalloc: true}}
	got := kernelPath(v4)
	if got == v4 || got.FS.Iomap || got.FS.NoDelalloc || got.Name != "v4" {
		t.Fatalf("kernelPath(ext4 buffered_iomap,nodelalloc) = %+v, want a legacy delalloc copy", got.FS)
	}
	if !v4.FS.Iomap || !v4.FS.NoDelalloc {
		t.Fatalf("kernelPath changed its argument: %+v", v4.FS)
	}
	for _, sc := range []*scenario.Scenario{
		{FS: scenario.FSSpec{Type: "ext4"}},
		{FS: scenario.FSSpec{Type: "xfs"}},
	} {
		if kernelPath(sc) != sc {
			t.Errorf("kernelPath(%+v) made a copy", sc.FS)
		}
	}
}
