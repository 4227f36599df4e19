// Package xfs is the XFS model: a vfs.FS whose files run the iomap engine
// (package iomap) over an XFS-shaped data fork (package extent) on a block
// device (package blockdev).
//
// What it models, with the kernel function each piece stands for:
//   - Buffered write iomap_begin (xfs_buffered_write_iomap_begin): look up
//     the data fork, reserve and insert delalloc over a hole, and sample the
//     cookie (the fork's if_seq) — all in one exclusive ILOCK hold.
//   - Speculative post-EOF preallocation (prealloc.go): a write over the
//     last hole that ends past EOF reserves more delalloc past it, sized by
//     xfs_iomap_prealloc_size (or fixed by Options.AllocSize, the allocsize=
//     mount option; 4k turns it off); zeroing converts delalloc past the
//     EOF block to unwritten (convert_delay); eviction (Remount) trims the
//     blocks past EOF (xfs_free_eofblocks; XFS_DIFLAG_PREALLOC, set by
//     fallocate, keeps the real ones).
//   - iomap_valid (xfs_iomap_valid): cookie == READ_ONCE(if_seq).
//   - iomap_end (xfs_buffered_write_iomap_end): release unused NEW delalloc
//     under invalidate_lock (iomap_write_delalloc_release).
//   - Writeback (xfs_map_blocks): look up under ILOCK shared; convert
//     the whole delalloc extent to unwritten blocks
//     (xfs_bmapi_convert_delalloc with XFS_BMAPI_PREALLOC, Point
//     xfs.alloc.convert), so that a write remapping blocks this writeback
//     does not send zeroes them instead of reading stale device contents;
//     the cached mapping is revalidated by iomap.
//   - I/O completion (xfs_end_ioend): unwritten -> written conversion on the
//     device's completion daemon (Point xfs.ioend.convert), then the folios'
//     writeback ends.
//   - Reflink and the COW fork (reflink.go, cow.go, wbctx.go):
//     CloneRange is FICLONERANGE (xfs_reflink_remap_blocks: written source
//     extents gain a reference in extent.Space's refcounts and an owner on
//     the device); DedupeRange (dedupe.go) is FIDEDUPERANGE, the same
//     remap once the two ranges compare equal under both files' locks
//     (generic_remap_file_range_prep with REMAP_FILE_DEDUP). On a reflink inode, iomap_begin's COW branch
//     (xfs_buffered_write_iomap_begin: found_cow, xfs_bmap_trim_cow) sends
//     writes to shared blocks, or to blocks the COW fork already covers,
//     to the COW fork, reserving delalloc there rounded out to the
//     cowextsize hint (xfs_bmapi_reserve_delalloc with XFS_COW_FORK,
//     xfs_bmap_extsize_align); a shared mapping's cookie is
//     cow_seq<<32 | data_seq (xfs_iomap_inode_sequence). Writeback runs a
//     context per pass (struct xfs_writepage_ctx): xfs_map_blocks writes
//     through the COW fork where it covers the offset (allocating unwritten
//     staging blocks), xfs_imap_valid checks data_seq and, while the COW
//     fork has extents, cow_seq (tracepoint wb_cow_iomap_invalid).
//     Submission makes the written staging blocks real
//     (xfs_reflink_convert_cow) and I/O completion remaps them into the
//     data fork, dropping the old blocks' references (xfs_reflink_end_cow).
//     Truncate and eviction cancel COW extents
//     (xfs_reflink_cancel_cow_blocks); they are never persisted.
//   - fallocate: allocate (unwritten), keep-size, punch (xfs_free_file_space),
//     zero (punch then allocate unwritten); truncate (xfs_setattr_size);
//     fsync (WB_SYNC_ALL); sync-range (WB_SYNC_NONE, then wait, as xfs_io
//     sync_range -a -w); fadvise DONTNEED (WB_SYNC_NONE, drop clean folios);
//     reclaim; mmap loads and stores (page_mkwrite: xfs_write_fault).
//   - Remount: fsync every file, drop its page cache and its in-core data
//     fork, and reload extents and size from the persisted metadata, which
//     the model writes at every allocation, conversion, punch and truncate
//     (the journal and the on-disk inode, kept beside the data device).
//
// Locks (lab names follow the kernel): i_rwsem (XFS_IOLOCK) ->
// invalidate_lock (XFS_MMAPLOCK) -> folio lock -> ILOCK (xfs_ilock) ->
// extent.Space and blockdev leaf locks. Per operation exactly as docs/design.md:
// write takes i_rwsem excl; read i_rwsem shared; page_mkwrite
// invalidate_lock shared then the folio lock; fallocate, punch, zero and
// truncate take i_rwsem and invalidate_lock exclusively; writeback takes
// folio locks and ILOCK only inside map_blocks; reclaim only try-locks.
//
// Block ownership: blocks are Own()ed when allocated (data and COW fork
// alike: a staging block belongs to the file block it will replace), gain
// owners when shared by a clone (Share) and lose this file's ownership when
// it unmaps them (Unshare); every data write claims (ino, file block), and
// a write in place to a shared block is a violation.
//
// Oracles: Check (fsck and reservation accounting) at quiescent points,
// CheckCleared after sync+evict, and the protocol oracle inside
// iomap_valid, which fails the run when a stale verdict has no extent change
// by another thread behind it. Stats counts state transitions for coverage.
//
// API: Mount(t, dev, Options) starts the device's completion daemon (and,
// with Options.Flusher / Options.Reclaimer, background writeback and reclaim
// daemons that sleep until there is work) and returns the FS (vfs.FS);
// FS.OpenInode returns the model's *Inode (vfs.File) with Extents and Seq for
// oracles and diagrams; FS.Stats counts transitions for coverage.
//
// Mutations come from Options.Variant (package variant); the model honours
// NoSeqBumpOnConvert, CookieBeforeInsert and WBNoCowValidate, and iomap the
// others.
//
// Limitations: no FALLOC_FL_UNSHARE_RANGE, dedupe or always_cow mode; the
// reflink flag is never cleared; no speculative preallocation in the COW
// fork, no close (xfs_file_release's trim happens at eviction only) and no
// background blockgc; no collapse/insert range; the persisted
// metadata is a copy kept beside the device, not a journal on it, and no
// crash is modelled; SyncRange waits for the range's writeback after
// starting it.
package xfs
