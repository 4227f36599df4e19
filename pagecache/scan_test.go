package pagecache

import (
	"testing"

	"iomaplab/lab"
)

// TestLockedDirty checks that the scan yields only the dirty folios, each
// locked, in order, and that breaking out of it stops it.
func TestLockedDirty(t *testing.T) {
	run(t, func(lt *lab.Thread) {
		c := New(PageSize)
		populate(lt, c, 4, func(i int64, f *Folio) {
			if i != 1 {
				f.MarkDirty(0, 10)
			}
		})
		var got []int64
		for f := range c.LockedDirty(lt, 0, 4*PageSize, Any) {
			if !f.Lock.Locked() {
				t.Errorf("folio %d yielded unlocked", f.Pos)
			}
			got = append(got, f.Pos)
			f.Unlock(lt)
			if len(got) == 2 {
				break
			}
		}
		if len(got) != 2 || got[0] != 0 || got[1] != 2*PageSize {
			t.Errorf("yielded folios at %v, want [0 %d]", got, 2*PageSize)
		}
	})
}
