package extent

import (
	"strings"
	"testing"

	"iomaplab/lab"
)

// TestCrossLinked checks that a block shared by two files is reported even
// when a third run sorts between them, and that disjoint runs pass.
func TestCrossLinked(t *testing.T) {
	w := func(ino, start, end, pblk uint64) Owned {
		return Owned{Ino: ino, Extent: Extent{Range: Range{start, end}, State: Written, PBlk: pblk}}
	}
	if errs := CrossLinked([]Owned{w(2, 0, 4, 104), w(1, 0, 4, 100), w(1, 8, 9, 108)}); len(errs) != 0 {
		t.Errorf("disjoint runs: %v", errs)
	}
	errs := CrossLinked([]Owned{w(2, 0, 1, 105), w(1, 0, 8, 100), w(1, 20, 21, 102)})
	if len(errs) == 0 || !strings.Contains(errs[0].Error(), "owned twice") {
		t.Errorf("shared blocks not reported: %v", errs)
	}
}

// TestVerifyMapped checks the used == mapped half of the space check.
func TestVerifyMapped(t *testing.T) {
	s := NewSpace(64)
	on(t, func(lt *lab.Thread) {
		if _, err := s.Alloc(lt, 5, 0); err != nil {
			t.Fatal(err)
		}
		if err := s.VerifyMapped(lt, 5); err != nil {
			t.Errorf("5 used, 5 mapped: %v", err)
		}
		if err := s.VerifyMapped(lt, 4); err == nil || !strings.Contains(err.Error(), "5 blocks used, files map 4") {
			t.Errorf("5 used, 4 mapped: %v", err)
		}
	})
}
