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
// cache, and the part of a straddling folio inside the range is zeroed and
// its fully covered blocks made clean (truncate_inode_partial_folio with
// iomap_invalidate_folio). Callers write back dirty data they want to keep
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
		// Blocks wholly inside the range are gone: they read as the
		// zeroes just written, and need no writeback.
		fa, fb := (a+BlockSize-1)/BlockSize*BlockSize, b/BlockSize*BlockSize
		if fa < fb {
			f.ClearBlocksDirty(fa, fb-fa)
			f.SetUptodate(fa, fb-fa)
			if !f.dirtyBlk.any(0, f.NumBlocks()-1) {
				f.dirty.Store(false)
				f.writable = false
			}
		}
		f.Unlock(t)
	}
}
