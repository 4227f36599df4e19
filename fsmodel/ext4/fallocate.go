package ext4

import (
	"iomaplab/extent"
	"iomaplab/lab"
	"iomaplab/pagecache"
)

// fallocate is ext4_fallocate for mode 0 and FALLOC_FL_KEEP_SIZE:
// ext4_do_fallocate under i_rwsem only, as Linux 6.18 has it (and 6.8:
// 2890e5e0f49e moved i_rwsem out to ext4_fallocate but takes
// invalidate_lock only for the modes that drop page cache) — no
// invalidate_lock, no folio lock, no writeback — ext4_alloc_file_blocks
// allocates unwritten extents over the holes of the range, then i_size grows
// unless keepSize. This is what lets it race ext4_page_mkwrite (see
// daMapBlocks).
func (in *inode) fallocate(t *lab.Thread, off, length int64, keepSize bool) error {
	//mutant:ext4-falloc-i-rwsem delete
	in.iRwsem.Lock(t)
	//mutant:ext4-falloc-i-rwsem delete
	defer in.iRwsem.Unlock(t)
	r := extent.BlockRange(off, length)
	if err := in.allocFileBlocks(t, r, gbCreate|gbUnwrit); err != nil {
		return err
	}
	t.Point("falloc.allocated")
	if end := off + length; !keepSize && end > in.io.Size() {
		if err := in.zeroEOFTail(t, end); err != nil {
			return err
		}
		in.io.SetSize(end)
	}
	return nil
}

// allocFileBlocks is ext4_alloc_file_blocks: ext4_map_blocks with flags
// over r until every block is mapped.
func (in *inode) allocFileBlocks(t *lab.Thread, r extent.Range, flags getBlocks) error {
	for lblk := r.Start; lblk < r.End; {
		m, err := in.mapBlocks(t, lblk, r.End-lblk, flags)
		if err != nil {
			return err
		}
		lblk += m.len
	}
	return nil
}

// punchHole is ext4_punch_hole as Linux 6.18 has it, under the locks
// ext4_fallocate takes for it (2890e5e0f49e): i_rwsem and invalidate_lock
// exclusive across the whole punch. Nothing is written back (43d0105e2c75:
// only data=journal does, which the model does not have): dirty folios of
// the range are dropped with their data (ext4_truncate_page_cache_block_range
// -> truncate_pagecache_range, which waits for writeback under way and
// zeroes the part of an edge folio inside the range); then the partial
// blocks at the edges are zeroed (ext4_zero_partial_blocks) and, under
// i_data_sem, the extent status entries are removed (releasing delayed
// reservations) and the blocks freed. A range past EOF is cut at the page
// after i_size, as ext4 does. With variant.Ext4Linux68, punchHole68.
func (in *inode) punchHole(t *lab.Thread, off, length int64) error {
	if in.linux68() {
		return in.punchHole68(t, off, length)
	}
	in.iRwsem.Lock(t)
	defer in.iRwsem.Unlock(t)
	//mutant:ext4-punch-invalidate-lock delete
	in.invalidateLock.Lock(t)
	//mutant:ext4-punch-invalidate-lock delete
	defer in.invalidateLock.Unlock(t)
	end, ok := in.punchEnd(off, length)
	if !ok {
		return nil
	}
	//mutant:ext4-punch-drop-pagecache delete
	in.cache.TruncateRange(t, off, end)
	t.Point("falloc.after_invalidate")
	return in.punchBlocks(t, off, end)
}

// punchHole68 is ext4_punch_hole as Linux 6.8 has it: the range is written
// back and waited for (filemap_write_and_wait_range; 6.8 does it just
// before taking i_rwsem, the model just after); then, under invalidate_lock
// exclusive, as punchHole.
func (in *inode) punchHole68(t *lab.Thread, off, length int64) error {
	in.iRwsem.Lock(t)
	defer in.iRwsem.Unlock(t)
	end, ok := in.punchEnd(off, length)
	if !ok {
		return nil
	}
	//mutant:ext4-punch-flush delete
	in.writeAndWait(t, off, end)
	in.invalidateLock.Lock(t)
	defer in.invalidateLock.Unlock(t)
	in.cache.TruncateRange(t, off, end)
	t.Point("falloc.after_invalidate")
	return in.punchBlocks(t, off, end)
}

// punchEnd returns where a punch of [off, off+length) ends: cut at the page
// after i_size; false if the range starts at or past EOF (nothing to do).
func (in *inode) punchEnd(off, length int64) (int64, bool) {
	size := in.io.Size()
	if off >= size {
		return 0, false
	}
	end := off + length
	if end > size {
		end = size + pagecache.PageSize - size%pagecache.PageSize
	}
	return end, true
}

// punchBlocks is the second half of ext4_punch_hole: zero the partial
// blocks at the edges (ext4_zero_partial_blocks), then, under i_data_sem,
// remove the extent status entries of the whole blocks (releasing delayed
// reservations: ext4_es_remove_extent) and free them
// (ext4_ext_remove_space).
//
// Preconditions: i_rwsem and invalidate_lock held exclusively; the page
// cache of [off, end) dropped.
func (in *inode) punchBlocks(t *lab.Thread, off, end int64) error {
	if err := in.zeroPartialBlocks(t, off, end); err != nil {
		return err
	}
	if full := innerBlocks(off, end); !full.Empty() {
		in.iDataSem.Lock(t)
		in.esRemoveExtent(t, full)
		in.removeSpace(t, full)
		in.iDataSem.Unlock(t)
	}
	return nil
}

// zeroRange is ext4_zero_range as Linux 6.18 has it (53471e0bedad, under
// the locks ext4_fallocate takes for it since 2890e5e0f49e): i_rwsem and
// invalidate_lock exclusive across everything, so no page fault runs
// during it. If an edge of the range is not block aligned, the whole range
// rounded out to blocks is preallocated unwritten (ext4_alloc_file_blocks
// with EXT4_GET_BLOCKS_CREATE_UNWRIT_EXT; holes only, written blocks stay);
// then the page cache of the range is dropped
// (ext4_truncate_page_cache_block_range: no writeback outside data=journal;
// whole folios leave, the part of an edge folio inside the range is
// zeroed); the whole blocks are made unwritten (allocating holes,
// converting written extents: EXT4_GET_BLOCKS_CONVERT_UNWRITTEN); the
// partial edge blocks are zeroed through the page cache
// (ext4_zero_partial_blocks) and i_size grows unless keepSize. Dirty folios
// over the whole blocks are dropped with their data, which the zeroing
// replaces anyway; dirty edge folios stay dirty and are zeroed in place.
// With variant.Ext4Linux68, zeroRange68.
func (in *inode) zeroRange(t *lab.Thread, off, length int64, keepSize bool) error {
	if in.linux68() {
		return in.zeroRange68(t, off, length, keepSize)
	}
	in.iRwsem.Lock(t)
	defer in.iRwsem.Unlock(t)
	//mutant:ext4-zero-range-invalidate-lock delete
	in.invalidateLock.Lock(t)
	//mutant:ext4-zero-range-invalidate-lock delete
	defer in.invalidateLock.Unlock(t)
	end := off + length
	if err := in.zeroPreallocEdges(t, off, end); err != nil {
		return err
	}
	//mutant:ext4-zero-range-drop-pagecache delete
	in.cache.TruncateRange(t, off, end)
	t.Point("falloc.after_invalidate")
	if full := innerBlocks(off, end); !full.Empty() {
		if err := in.allocFileBlocks(t, full, gbCreate|gbUnwrit|gbConvertUnwritten); err != nil {
			return err
		}
	}
	return in.zeroEdgesAndSize(t, off, end, keepSize)
}

// zeroRange68 is ext4_zero_range as Linux 6.8 has it (fs/ext4/extents.c,
// before the 6.15 rework): the edge preallocation holds i_rwsem only — no
// invalidate_lock, no folio lock, so page_mkwrite can be between its
// lockless extent-status lookup and its delayed insert on a block this
// allocates (the seed's window, as with plain fallocate); only the whole
// blocks' page cache drop and conversion hold invalidate_lock exclusive,
// and only their page cache is dropped; then, as zeroRange, the edges are
// zeroed and i_size grows. Nothing is written back first (6.8 does that
// only for data=journal).
func (in *inode) zeroRange68(t *lab.Thread, off, length int64, keepSize bool) error {
	in.iRwsem.Lock(t)
	defer in.iRwsem.Unlock(t)
	end := off + length
	if err := in.zeroPreallocEdges(t, off, end); err != nil {
		return err
	}
	if full := innerBlocks(off, end); !full.Empty() {
		in.invalidateLock.Lock(t)
		s, n := full.Bytes()
		in.cache.TruncateRange(t, s, s+n)
		t.Point("falloc.after_invalidate")
		err := in.allocFileBlocks(t, full, gbCreate|gbUnwrit|gbConvertUnwritten)
		in.invalidateLock.Unlock(t)
		if err != nil {
			return err
		}
	}
	return in.zeroEdgesAndSize(t, off, end, keepSize)
}

// zeroPreallocEdges is ext4_zero_range's first step: if an edge of
// [off, end) is not block aligned, preallocate the range rounded out to
// blocks as unwritten (holes only).
//
// Preconditions: i_rwsem held exclusively.
func (in *inode) zeroPreallocEdges(t *lab.Thread, off, end int64) error {
	const bs = extent.BlockSize
	if off%bs == 0 && end%bs == 0 {
		return nil
	}
	edges := extent.Range{Start: uint64(off / bs), End: uint64((end + bs - 1) / bs)}
	return in.allocFileBlocks(t, edges, gbCreate|gbUnwrit)
}

// zeroEdgesAndSize is ext4_zero_range's last step: zero the partial edge
// blocks (ext4_zero_partial_blocks), then grow i_size to end unless
// keepSize.
//
// Preconditions: i_rwsem held exclusively.
func (in *inode) zeroEdgesAndSize(t *lab.Thread, off, end int64, keepSize bool) error {
	if err := in.zeroPartialBlocks(t, off, end); err != nil {
		return err
	}
	if !keepSize && end > in.io.Size() {
		if err := in.zeroEOFTail(t, end); err != nil {
			return err
		}
		in.io.SetSize(end)
	}
	return nil
}

// innerBlocks returns the blocks lying wholly inside [start, end).
func innerBlocks(start, end int64) extent.Range {
	first := uint64(start+extent.BlockSize-1) / extent.BlockSize
	stop := uint64(end) / extent.BlockSize
	if stop < first {
		stop = first
	}
	return extent.Range{Start: first, End: stop}
}

// zeroPartialBlocks is ext4_zero_partial_blocks (6.8 and 6.18): zero the bytes of
// [start, end) that lie in blocks it covers only partly.
func (in *inode) zeroPartialBlocks(t *lab.Thread, start, end int64) error {
	const bs = extent.BlockSize
	head, tail := start/bs, (end-1)/bs
	if start%bs != 0 {
		if err := in.blockZeroRange(t, start, min(end, (head+1)*bs)); err != nil {
			return err
		}
	}
	if end%bs != 0 && (tail != head || start%bs == 0) {
		return in.blockZeroRange(t, tail*bs, end)
	}
	return nil
}

// blockZeroRange is ext4_block_zero_page_range for [start, end) inside one
// block (__ext4_block_zero_page_range, the same in 6.8 and 6.18): the folio
// is looked up and locked first, created if absent (FGP_LOCK | FGP_CREAT),
// and only then is the block looked up (ext4_get_block without create), so
// the lookup sees what every thread that had the folio locked left. Only a
// block whose buffer head is mapped is zeroed and dirtied
// (mark_buffer_dirty), so the zeroes reach the disk: a written or delayed
// block, or an unwritten one whose folio a write, a fault or writeback has
// been through (they map its buffer: dirty, or under writeback of old
// bytes, which the I/O completion then makes the block's written
// contents). ext4_get_block leaves the buffer of an unwritten block
// unmapped (ext4_update_bh_state clears BH_Mapped without
// EXT4_MAP_MAPPED), and an unwritten block reads as zeroes, so such a
// block is left alone, unwritten, like a hole (an uptodate cached copy of
// either already reads as zeroes and is zeroed again, not dirtied). A
// mapped block is read in if the folio is not uptodate.
func (in *inode) blockZeroRange(t *lab.Thread, start, end int64) error {
	f := in.cache.GetLocked(t, start, true)
	defer f.Unlock(t)
	m, err := in.mapBlocks(t, lblkOf(start), 1, 0)
	if err != nil {
		return err
	}
	mapped := m.state == extent.Written || m.state == extent.Delalloc ||
		m.state == extent.Unwritten && (f.Dirty() || f.Writeback())
	if !f.Uptodate(0, f.Size) {
		if !mapped {
			return nil
		}
		if err := in.readFolio(t, f); err != nil {
			return err
		}
	}
	f.Zero(start-f.Pos, end-start)
	if mapped {
		f.MarkDirty(start-f.Pos, end-start)
	}
	return nil
}

// removeSpace is ext4_ext_remove_space over r (6.8 and 6.18): unmap the blocks from the
// on-disk tree, disown them on the device and free them.
//
// Preconditions: i_data_sem held exclusively; no I/O in flight to r.
func (in *inode) removeSpace(t *lab.Thread, r extent.Range) {
	for _, e := range in.ext.Remove(r) {
		if !e.State.Physical() {
			continue
		}
		in.fs.dev.Disown(t, e.PBlk, e.Len())
		in.fs.space.Free(t, e.PBlk, e.Len())
		in.disk.blocks -= e.Len() // dquot_free_block
		t.Tracepoint("ext4_free_blocks", lab.F("ino", int64(in.ino)), lab.F("lblk", int64(e.Start)),
			lab.F("len", int64(e.Len())), lab.F("pblk", int64(e.PBlk)))
	}
}
