package pagecache

import (
	"iter"

	"iomaplab/lab"
)

// WritebackBatch is the number of folios one tagged lookup of the writeback
// iterator takes (PAGEVEC_SIZE, the capacity of a struct folio_batch).
const WritebackBatch = 31

// WritebackFolios yields, in order, the folios of [start, end) that a
// writeback pass writes, each locked, still cached and dirty once locked
// (writeback_iter, Linux 6.18 mm/page-writeback.c). The loop body owns
// each folio's lock and must unlock it.
//
// Like the kernel's iterator it does not see folios created behind it:
//   - With syncAll (WB_SYNC_ALL) it first tags the range's dirty folios
//     (tag_pages_for_writeback's PAGECACHE_TAG_TOWRITE) and visits only
//     tagged ones, so a folio dirtied after the pass began waits for the
//     next one (this is what keeps fsync from livelocking). StartWriteback
//     clears the tag, as __folio_start_writeback does.
//   - It looks folios up WritebackBatch at a time (filemap_get_folios_tag)
//     and moves its index past each batch, so a folio truncated after the
//     lookup is skipped once locked (folio->mapping changed) and a folio
//     instantiated again at that index in the meantime is not visited.
func (c *Cache) WritebackFolios(t *lab.Thread, start, end int64, syncAll bool) iter.Seq[*Folio] {
	return func(yield func(*Folio) bool) {
		if syncAll {
			c.tagToWrite(t, start, end)
		}
		for pos := start; pos < end; {
			batch := c.taggedBatch(t, pos, end, syncAll)
			if len(batch) == 0 {
				return
			}
			pos = batch[len(batch)-1].End()
			for _, f := range batch {
				if !lockStillDirty(t, f) {
					continue
				}
				if !yield(f) {
					return
				}
			}
		}
	}
}

// tagToWrite sets the TOWRITE tag on every dirty folio of [start, end)
// (tag_pages_for_writeback).
func (c *Cache) tagToWrite(t *lab.Thread, start, end int64) {
	c.xa.Lock(t)
	defer c.xa.Unlock(t)
	c.idx.AscendGreaterOrEqual(&Folio{Pos: c.FolioPos(start)}, func(f *Folio) bool {
		if f.Pos >= end {
			return false
		}
		if f.dirty.Load() {
			f.towrite.Store(true)
		}
		return true
	})
}

// taggedBatch returns up to WritebackBatch folios of [pos, end) carrying the
// pass's tag, TOWRITE or dirty (filemap_get_folios_tag).
func (c *Cache) taggedBatch(t *lab.Thread, pos, end int64, toWrite bool) []*Folio {
	c.xa.Lock(t)
	defer c.xa.Unlock(t)
	var out []*Folio
	c.idx.AscendGreaterOrEqual(&Folio{Pos: c.FolioPos(pos)}, func(f *Folio) bool {
		if f.Pos >= end {
			return false
		}
		if (toWrite && f.towrite.Load()) || (!toWrite && f.dirty.Load()) {
			out = append(out, f)
		}
		return len(out) < WritebackBatch
	})
	return out
}
