package scenario

import (
	"strings"
	"testing"
)

func TestKernelShape(t *testing.T) {
	fits := map[string]bool{}
	list, err := List()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range list {
		ks, err := sc.KernelShape()
		if err != nil {
			if !strings.Contains(err.Error(), "does not fit the kernel batch shape") {
				t.Error(err)
			}
			continue
		}
		fits[sc.Name] = true
		if ks.Write.Kind != OpPwrite || ks.Write.StallAt < 0 || len(ks.Window) == 0 {
			t.Errorf("%s: %+v", sc.Name, ks)
		}
	}
	for _, name := range []string{"write-stale-unwritten", "write-stale-delalloc", "write-stale-mkwrite-hole", "short-write-keeps-dirty-delalloc", "write-stale-unwritten-large-folio"} {
		if !fits[name] {
			t.Errorf("%s should fit the kernel shape", name)
		}
	}
	for _, name := range []string{"writeback-stale-punch", "ext4-mkwrite-fallocate", "explore-write-punch-writeback"} {
		if fits[name] {
			t.Errorf("%s should not fit the kernel shape", name)
		}
	}
	ks, _ := mustLookup(t, "write-stale-unwritten").KernelShape()
	if !ks.Stale || len(ks.Setup) != 3 || len(ks.Window) != 2 || ks.Window[0].Kind != OpSyncRange || ks.Write.StallAt != 4096 {
		t.Errorf("write-stale-unwritten: %+v", ks)
	}
	ks, _ = mustLookup(t, "short-write-keeps-dirty-delalloc").KernelShape()
	if ks.Stale {
		t.Error("short-write-keeps-dirty-delalloc expects no stale evidence")
	}
}
