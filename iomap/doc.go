// Package iomap models Linux fs/iomap's buffered I/O: the mapping a
// filesystem hands out (struct iomap) with its validity cookie, the
// caller-driven iterator of fs/iomap/iter.c, and the operations built on it —
// buffered write, buffered read, zero range, page_mkwrite, delalloc release
// after a short write, and writeback with a cached mapping that is
// revalidated before reuse.
//
// A filesystem model supplies an Inode (the VFS inode fields iomap reads:
// i_size, the page cache, the block I/O backend) and an Ops table:
//
//	Begin/End   ->iomap_begin / ->iomap_end
//	Valid       ->iomap_valid (write_ops): is the cached mapping's cookie current?
//	WritebackOps.MapBlocks/Valid/Submit  ->map_blocks with xfs_imap_valid, ioend submission
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
package iomap
