package pagecache

import "iomaplab/lab"

// Reclaim evicts the folios overlapping [start, end) that can be freed
// without I/O, as memory reclaim and invalidate_mapping_pages do: it only
// try-locks each folio, and skips dirty folios and folios under writeback.
// It returns the number of folios evicted.
func (c *Cache) Reclaim(t *lab.Thread, start, end int64) int {
	n := 0
	for _, f := range c.Folios(t, start, end) {
		if !f.Lock.TryLock(t) {
			continue
		}
		t.Point("reclaim.evict")
		if !f.removed.Load() && !f.dirty.Load() && !f.writeback.Load() {
			c.Remove(t, f)
			n++
		}
		f.Unlock(t)
	}
	return n
}

// TruncateRange drops the cached data of bytes [start, end)
// (truncate_inode_pages_range, truncate_pagecache_range). It locks every
// folio and waits for its writeback; folios inside the range leave the
// cache. In a straddling folio (truncate_inode_partial_folio) the bytes of
// partly covered blocks are zeroed and kept, and wholly covered blocks
// become clean and not uptodate, as if the large folio had been split and
// their pages dropped. Callers write back dirty data they want to keep
// first; a dirty folio inside the range is dropped with its data.
// Preconditions: the caller holds the locks that keep new folios from being
// instantiated in the range (i_rwsem and invalidate_lock, exclusive).
func (c *Cache) TruncateRange(t *lab.Thread, start, end int64) {
	if start >= end {
		return
	}
	for _, f := range c.Folios(t, start, end) {
		f.Lock.Lock(t)
		if f.removed.Load() {
			f.Unlock(t)
			continue
		}
		//mutant:pagecache-truncate-wait-writeback delete
		f.WaitWriteback(t)
		if start <= f.Pos && f.End() <= end {
			f.dirty.Store(false)
			f.dirtyBlk = blockBits{}
			c.Remove(t, f)
			f.Unlock(t)
			continue
		}
		a, b := max(start, f.Pos)-f.Pos, min(end, f.End())-f.Pos
		f.Zero(a, b-a)
		// Blocks wholly inside the range leave the cache, as the pages of a
		// split large folio would: not uptodate (the next access reads them
		// again), not dirty. Partly covered blocks keep their zeroed bytes.
		fa, fb := (a+BlockSize-1)/BlockSize*BlockSize, b/BlockSize*BlockSize
		if fa < fb {
			first, last := f.blocks(fa, fb-fa)
			f.dirtyBlk.clearRange(first, last)
			f.uptodate.clearRange(first, last)
			if !f.dirtyBlk.any(0, f.NumBlocks()-1) {
				f.dirty.Store(false)
				f.writable = false
			}
		}
		f.Unlock(t)
	}
}
