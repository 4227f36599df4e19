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
			if !lockStillDirty(t, f) {
				continue
			}
			if !yield(f) {
				return
			}
		}
	}
}

// lockStillDirty takes f's lock and reports whether f is still cached and
// dirty; if not, it unlocks f again (folio_lock, then the recheck of
// f->mapping and the dirty flag that writeback_iter and the delalloc
// release scan make).
func lockStillDirty(t *lab.Thread, f *Folio) bool {
	f.Lock.Lock(t)
	if f.Removed() || !f.Dirty() {
		f.Unlock(t)
		return false
	}
	return true
}
