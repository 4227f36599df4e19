package ext4

import (
	"iomaplab/extent"
	"iomaplab/lab"
	"iomaplab/pagecache"
)

// fallocate is ext4_fallocate for mode 0 and FALLOC_FL_KEEP_SIZE, as in 6.8
// (before 2890e5e0f49e): under i_rwsem only — no invalidate_lock, no folio
// lock, no writeback — ext4_alloc_file_blocks allocates unwritten extents
// over the holes of the range, then i_size grows unless keepSize. This is
// what lets it race ext4_page_mkwrite (see daMapBlocks).
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

// punchHole is ext4_punch_hole (6.8): under i_rwsem, write the range back
// and wait; then under invalidate_lock exclusive drop its page cache
// (truncate_pagecache_range), zero the partial blocks at its edges
// (ext4_zero_partial_blocks) and, under i_data_sem, remove the extent
// status entries (releasing delayed reservations) and free the blocks.
// A range past EOF is cut at the page after i_size, as ext4 does.
func (in *inode) punchHole(t *lab.Thread, off, length int64) error {
	in.iRwsem.Lock(t)
	defer in.iRwsem.Unlock(t)
	size := in.io.Size()
	if off >= size {
		return nil
	}
	end := off + length
	if end > size {
		end = size + pagecache.PageSize - size%pagecache.PageSize
	}
	//mutant:ext4-punch-flush delete
	in.writeAndWait(t, off, end)
	//mutant:ext4-punch-invalidate-lock delete
	in.invalidateLock.Lock(t)
	//mutant:ext4-punch-invalidate-lock delete
	defer in.invalidateLock.Unlock(t)
	//mutant:ext4-punch-drop-pagecache delete
	in.cache.TruncateRange(t, off, end)
	t.Point("falloc.after_invalidate")
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

// zeroRange is ext4_zero_range as 6.8 has it (fs/ext4/extents.c, before
// the 6.13 rework that takes invalidate_lock first and writes the range
// back): under i_rwsem only, if an edge of the range is not block aligned,
// preallocate the whole range rounded out to blocks as unwritten
// (ext4_alloc_file_blocks with EXT4_GET_BLOCKS_CREATE_UNWRIT_EXT; holes
// only, written blocks stay) — no invalidate_lock, no folio lock, so
// page_mkwrite can be between its lockless extent-status lookup and its
// delayed insert on a block this allocates (the seed's window, as with
// plain fallocate); then, under invalidate_lock exclusive, drop the page
// cache of the whole blocks and make them unwritten (allocating holes,
// converting written extents: EXT4_GET_BLOCKS_CONVERT_UNWRITTEN); then zero
// the partial edge blocks through the page cache (ext4_zero_partial_blocks)
// and grow i_size unless keepSize. Nothing is written back first (6.8 does
// that only for data=journal, which the model does not have): dirty folios
// over the whole blocks are dropped with their data, which the zeroing
// replaces anyway, and dirty edge folios stay dirty and are zeroed in place.
func (in *inode) zeroRange(t *lab.Thread, off, length int64, keepSize bool) error {
	const bs = extent.BlockSize
	in.iRwsem.Lock(t)
	defer in.iRwsem.Unlock(t)
	end := off + length
	if off%bs != 0 || end%bs != 0 {
		edges := extent.Range{Start: uint64(off / bs), End: uint64((end + bs - 1) / bs)}
		if err := in.allocFileBlocks(t, edges, gbCreate|gbUnwrit); err != nil {
			return err
		}
	}
	if full := innerBlocks(off, end); !full.Empty() {
		//mutant:ext4-zero-range-invalidate-lock delete
		in.invalidateLock.Lock(t)
		//mutant:ext4-zero-range-drop-pagecache delete
		s, n := full.Bytes()
		//mutant:ext4-zero-range-drop-pagecache delete
		in.cache.TruncateRange(t, s, s+n)
		t.Point("falloc.after_invalidate")
		err := in.allocFileBlocks(t, full, gbCreate|gbUnwrit|gbConvertUnwritten)
		//mutant:ext4-zero-range-invalidate-lock delete
		in.invalidateLock.Unlock(t)
		if err != nil {
			return err
		}
	}
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

// zeroPartialBlocks is ext4_zero_partial_blocks: zero the bytes of
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
// block (__ext4_block_zero_page_range, 6.8): the folio is looked up and
// locked first, created if absent (FGP_LOCK | FGP_CREAT), and only then is
// the block looked up (ext4_get_block without create), so the lookup sees
// what every thread that had the folio locked left. A hole has nothing on
// disk to zero (an uptodate cached copy already reads as zeroes and is
// zeroed again, not dirtied). A mapped block — written, unwritten or
// delayed — is read in if the folio is not uptodate, zeroed, and dirtied
// (mark_buffer_dirty), so the zeroes reach the disk: an unwritten block's
// folio may be under writeback of its old bytes, which the I/O completion
// then makes the block's written contents.
func (in *inode) blockZeroRange(t *lab.Thread, start, end int64) error {
	f := in.cache.GetLocked(t, start, true)
	defer f.Unlock(t)
	m, err := in.mapBlocks(t, lblkOf(start), 1, 0)
	if err != nil {
		return err
	}
	mapped := m.state != extent.Hole
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

// removeSpace is ext4_ext_remove_space over r: unmap the blocks from the
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
		t.Tracepoint("ext4_free_blocks", lab.F("ino", int64(in.ino)), lab.F("lblk", int64(e.Start)),
			lab.F("len", int64(e.Len())), lab.F("pblk", int64(e.PBlk)))
	}
}
