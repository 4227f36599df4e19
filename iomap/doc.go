// Package iomap models Linux fs/iomap's buffered I/O: the mapping a
// filesystem hands out (struct iomap) with its validity cookie, the
// caller-driven iterator of fs/iomap/iter.c, and the operations built on it —
// buffered write, buffered read, zero range, page_mkwrite, delalloc release
// after a short write, and writeback with a cached mapping that is
// revalidated before reuse.
//
// A filesystem model supplies an Inode (the VFS inode fields iomap reads:
// i_size, the page cache, the block read backend) and its callbacks:
//
//	Ops.Begin / Ops.End        ->iomap_begin / ->iomap_end
//	Validator.Valid            ->iomap_valid (optional, as in struct iomap_write_ops):
//	                           is the cached mapping's cookie still current?
//	PunchFunc                  ->punch for delalloc release
//	WritebackOps               ->map_blocks (MapBlocks), xfs_imap_valid (ValidWB),
//	                           ioend submission (Submit, then Ioend.Finish at
//	                           completion) and ->discard_folio (Discard)
//
// Entry points, each named after the kernel function it models:
// BufferedWrite (iomap_file_buffered_write), BufferedRead (filemap_read),
// ReadFolio, GetUptodate, ZeroRange (iomap_zero_range), TruncatePage,
// PageMkwrite (iomap_page_mkwrite), DelallocRelease
// (iomap_write_delalloc_release), Writepages (iomap_writepages), WaitRange
// (filemap_fdatawait_range), WriteAndWait (filemap_write_and_wait_range),
// and the Iter itself for operations a filesystem adds.
//
// The race: a buffered write caches the mapping from Begin without any lock
// and then, chunk by chunk, prefaults the user buffer and locks a folio.
// Writeback, reclaim, page faults and fallocate may change the extent map in
// between. After locking each folio the write asks Valid; a stale mapping is
// flagged STALE, the folio released untouched, and the iterator maps the rest
// of the range again. Writeback revalidates its cached mapping the same way.
//
// Lock order (the caller's side of it is the filesystem's): i_rwsem ->
// invalidate_lock -> folio lock -> the filesystem's extent-map lock (taken
// inside Begin/MapBlocks) -> pagecache's i_pages lock.
//
// Points (lab scheduling and injection): iomap.iter (each iterator round),
// iomap.write.after_begin, iomap.write.prefault, iomap.write.before_valid,
// iomap.write.after_valid, iomap.wb.map_blocks. Tracepoints: iomap_invalid,
// wb_iomap_invalid, iomap_remap, iomap_stale_reached (a folio locked with a
// stale mapping while validation is switched off: reachability evidence).
//
// Oracle: Iter fails the run (livelock) after MaxStaleRemaps consecutive
// stale remaps without progress.
//
// Limitations: no inline data, no COW source mappings (srcmap), no
// unshare; zero range uses the flush-and-stale design (not the 2025 dirty
// folio batch); no balance_dirty_pages; writeback copies folio data into the
// ioend under the folio lock (stable pages) instead of pointing bios at the
// folios; one Inode-wide variant set.
package iomap
