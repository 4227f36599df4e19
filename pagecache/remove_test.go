package pagecache

import (
	"strings"
	"testing"

	"iomaplab/lab"
)

// Remove takes a folio under writeback out of the cache, as
// __filemap_remove_folio does (the I/O ends later and still clears the
// flag), and refuses a dirty one.
func TestRemoveUnderWriteback(t *testing.T) {
	run(t, func(lt *lab.Thread) {
		c := New(PageSize)
		var wb *Folio
		populate(lt, c, 1, func(_ int64, f *Folio) { f.StartWriteback(); wb = f })
		f := c.GetLocked(lt, 0, false)
		c.Remove(lt, f)
		f.Unlock(lt)
		if c.GetLocked(lt, 0, false) != nil {
			t.Error("a removed folio is still cached")
		}
		wb.EndWriteback(lt)
		if wb.Writeback() {
			t.Error("writeback did not end on the removed folio")
		}
	})
	res := lab.NewFree().Run(func(lt *lab.Thread) {
		c := New(PageSize)
		populate(lt, c, 1, func(_ int64, f *Folio) { f.MarkDirty(0, 1) })
		c.Remove(lt, c.GetLocked(lt, 0, false))
	})
	if res.OK() || !strings.Contains(res.String(), "remove of dirty") {
		t.Errorf("removing a dirty folio: %v", res)
	}
}
