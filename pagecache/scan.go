package pagecache

import (
	"iter"

	"iomaplab/lab"
)

// LockedDirty yields, in order, the folios overlapping [start, end) that
// Next finds with sel, each locked and still cached and dirty once locked;
// a folio that was removed or cleaned before its lock was taken is unlocked
// and skipped (the lookup, folio_lock, recheck of writeback_iter and of
// iomap_write_delalloc_release's scan). The loop body owns each folio's
// lock and must unlock it.
func (c *Cache) LockedDirty(t *lab.Thread, start, end int64, sel Select) iter.Seq[*Folio] {
	return func(yield func(*Folio) bool) {
		for pos := start; pos < end; {
			f := c.Next(t, pos, end, sel)
			if f == nil {
				return
			}
			pos = f.End()
			f.Lock.Lock(t)
			if f.Removed() || !f.Dirty() {
				f.Unlock(t)
				continue
			}
			if !yield(f) {
				return
			}
		}
	}
}
