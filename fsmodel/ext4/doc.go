// Package ext4 is the ext4 model: a vfs.FS whose buffered I/O, page
// faults, fallocate and writeback follow Linux 6.18's ext4 (the kernel the
// lab machines run), with delayed allocation, the extent status cache, and
// the race of the seed thread: ext4_page_mkwrite against ext4_fallocate
// inserting a delayed block over a freshly allocated unwritten extent,
// which 6.10's re-check under i_data_sem (0ea6560abb3b) closes. Where 6.8,
// the seed thread's kernel, differs (fallocate's locks and write-back,
// reservation accounting, no re-check) the variant Ext4Linux68 follows it:
// there the race leaks a reservation ("Inode N: i_reserved_data_blocks (1)
// not cleared!"). Each function names the kernel function and version it
// follows; docs/design.md "Fidelity" is the audit.
//
// Nouns:
//   - FS (struct super_block + ext4_sb_info): the block device
//     (blockdev.Dev), the block allocator and dirty-clusters counter
//     (extent.Space; Space.Reserved is s_dirtyclusters_counter), the
//     on-disk inode table (diskInode: i_disksize and the extent tree), the
//     in-core inode cache and the kernel log.
//   - inode (struct inode + ext4_inode_info): i_rwsem, invalidate_lock,
//     i_data_sem, i_es_lock, i_block_reservation_lock; i_size; the page
//     cache (pagecache.Cache, 4 KiB folios: one block per folio; 6.18
//     ext4 has large folios for regular files, the model does not); the
//     extent status tree (esTree) with
//     i_es_seq; the on-disk extent tree (extent.Map, journalled metadata
//     committed at once, so it survives Remount); i_reserved_data_blocks.
//   - extent status entry: written, unwritten, delayed or hole. Written,
//     unwritten and hole entries cache the on-disk tree; delayed entries
//     exist only here, each backed by one reserved block.
//   - File: an open file (vfs.File), naming its inode by number so it
//     outlives Remount.
//
// Lock order (lab lock names are the kernel's):
//
//	i_rwsem -> invalidate_lock -> folio_lock -> i_data_sem -> i_es_lock
//	        -> i_block_reservation_lock -> space (extent.Space)
//
// and blockdev's locks below everything. Page faults take invalidate_lock
// shared then the folio lock, never i_rwsem; fallocate (allocate,
// KEEP_SIZE) takes i_rwsem only; punch and zero range take i_rwsem and
// invalidate_lock exclusively for their whole run (ext4_fallocate, 6.15's
// 2890e5e0f49e; under Ext4Linux68 zero range preallocates unaligned edges
// under i_rwsem only and takes invalidate_lock around its whole blocks);
// a shrinking truncate takes i_rwsem and invalidate_lock exclusively;
// writeback takes folio locks and
// i_data_sem (exclusive) to allocate; I/O completion runs on the
// "io-completion" daemon (blockdev.RunCompletions) and converts unwritten
// extents under i_data_sem.
//
// Files and the kernel functions they model:
//
//	fs.go          mount (New), namespace, ext4_iget, ext4_msg
//	file.go        the vfs.File entry points, ext4_fallocate's mode switch
//	inode.go       ext4_inode_info
//	es.go          the extent status tree (extents_status.c internals)
//	es_ops.go      ext4_es_lookup_extent, ext4_es_insert_extent,
//	               ext4_es_cache_extent, ext4_es_insert_delayed_block,
//	               ext4_es_remove_extent; i_es_seq bumps
//	reserve.go     ext4_da_reserve_space, ext4_da_release_space,
//	               ext4_da_update_reserve_space
//	map_blocks.go  ext4_map_blocks, ext4_ext_map_blocks (allocation,
//	               unwritten conversion), ext4_mb_new_blocks' goal
//	da_map.go      ext4_da_map_blocks (pre- and post-0ea6560abb3b),
//	               ext4_insert_delayed_blocks
//	write.go       generic_perform_write, ext4_da_write_begin/_end
//	read.go        filemap_read, filemap_create_folio, ext4_read_folio
//	mkwrite.go     filemap_fault, ext4_page_mkwrite, block_page_mkwrite
//	fallocate.go   ext4_fallocate (allocate: ext4_do_fallocate),
//	               ext4_alloc_file_blocks, ext4_punch_hole,
//	               ext4_zero_range (6.18, and 6.8's under Ext4Linux68),
//	               ext4_zero_partial_blocks, ext4_ext_remove_space
//	version.go     which kernel the legacy paths follow (Ext4Linux68)
//	truncate.go    ext4_setattr (size), ext4_truncate
//	writeback.go   ext4_writepages (mpage_*), ext4_end_io_end,
//	               ext4_sync_file, filemap_write_and_wait_range
//	evict.go       Remount: ext4_evict_inode, ext4_clear_inode,
//	               ext4_destroy_inode; drop_caches
//	iomap_writeback.go ext4_iomap_writepages, ext4_writeback_ops, the
//	               end I/O worker (iomap path)
//	iomap_ops.go   the iomap path: ext4_iomap_buffered_write_begin,
//	               ext4_iomap_buffered_da_write_end,
//	               ext4_iomap_punch_delalloc, ext4_iomap_valid; post-EOF
//	               zeroing before i_size grows
//	iomap_nonda.go the iomap path without delalloc (v4 patch 08/23's
//	               ext4_iomap_buffered_write_ops): ext4_iomap_get_blocks,
//	               its ->iomap_end (ext4_truncate_failed_write)
//	fsck.go        the oracles
//	window.go      RaceWindows, the reachability count
//	errno.go       errno values for log lines
//
// Points: ext4.da_map.after_lookup (after the lockless extent status
// lookup), ext4.da_map.before_insert (on a hole, before taking i_data_sem to
// insert), ext4.write.prefault (each chunk of a legacy buffered write,
// before write_begin; a write whose source stalls, vfs.Buffer.StallAt,
// parks there), ext4.iomap_get_blocks.after_lookup (after
// ext4_iomap_get_blocks' extent status lookup, nodelalloc iomap path).
// Tracepoints: ext4_es_lookup_extent (ino, lblk, len,
// status: 0 none, 1 hole, 2 delayed, 3 unwritten, 4 written),
// ext4_es_insert_extent (ino, lblk, len, pblk, status),
// ext4_es_insert_delayed_block (ino, lblk, len, replaced: the status it
// overwrote), da_reserve, da_release, da_update_reserve (ino, lblk, len,
// reserved; da_update_reserve also claimed: 1 when the allocation consumed
// the dirty-clusters reservation itself), ext4_allocate_blocks (ino, lblk,
// len, pblk, state), ext4_ext_convert (ino, lblk, len, to: 3 unwritten,
// 4 written), ext4_page_mkwrite (ino, lblk),
// ext4_free_blocks (ino, lblk, len, pblk), reserved_not_cleared (ino,
// reserved), ext4_da_map_race_reached (ino, lblk, len: the lookup's hole
// was filled by another thread before the insert took i_data_sem).
//
// The iomap path (Options.IOMAP; `fs ext4 buffered_iomap` in a scenario)
// routes buffered writes through package iomap: ->iomap_begin is
// ext4_da_map_blocks over the whole range (delayed blocks inserted before
// any folio is locked), the cookie is i_es_seq sampled with the lookup or
// right after the insert, ->iomap_valid compares it with i_es_seq, and
// ->iomap_end releases unused new delayed blocks. page_mkwrite goes
// through iomap_page_mkwrite with the same ops (folio locked first, so its
// mapping cannot go stale). Writeback is ext4_iomap_writepages (v4 patch
// 09/23, iomap_writeback.go): iomap_writepages, delayed extents allocated
// unwritten by the writeback range, converted by the end I/O worker.
// With Options.NoDelalloc (`fs ext4 buffered_iomap nodelalloc`) the
// write ops are ext4_iomap_buffered_write_ops (iomap_nonda.go): blocks are
// allocated unwritten in ->iomap_begin, the cookie is the i_es_seq that
// ext4_map_blocks passed out with its lookup (map->m_seq, "ext4: pass out
// extent seq counter when mapping blocks", 23 Sep 2025), a short write
// truncates what it allocated past EOF, and the end I/O worker converts.
// Reads, fallocate and truncate stay on the legacy code in both modes. The
// patches each function follows are named where it is defined (v4 of 11
// May 2026: 06/23, 08/23 with its delalloc and non-delalloc ops, 09/23,
// 23/23's buffered_iomap mount option). A buffered write, which maps before
// locking any folio, and page_mkwrite race to insert delalloc as in
// generic/344 and 346.
//
// Variants (Options.Variant): variant.Ext4NoRecheck is ext4_da_map_blocks
// before 0ea6560abb3b (insert after the lockless lookup without looking
// again under i_data_sem); the default re-checks. variant.Ext4Linux68 is
// the legacy paths as 6.8 has them (no re-check either). On the iomap path the
// engine's variants (NoValidate, PunchIgnoresDirty, ...) apply through
// iomap.Inode.Variant, variant.CookieBeforeInsert samples i_es_seq
// before the delayed insert, and variant.Ext4NoDaMapSeq drops v4 patch
// 06/23 (the cookie is read after ext4_da_map_blocks returns, missing a
// conversion in between: docs/review-ext4-v4.md); variant.Ext4NoMapSeq
// does the same on the non-delalloc path (the cookie read after
// ext4_iomap_get_blocks).
//
// Oracles, for the scenario runner (call them from a lab thread with the
// filesystem quiescent):
//   - (*FS).Fsck: on-disk extent trees well formed, no block owned twice
//     (across files, and against blockdev's ownership table), extent status
//     entries agree with the on-disk tree and no delayed entry covers an
//     allocated block, allocator accounting.
//   - (*FS).CheckReservations: i_reserved_data_blocks == delayed blocks per
//     inode, dirty-clusters counter == their sum.
//   - (*FS).ReservationsCleared: CheckReservations, then Remount (sync +
//     evict), then no "not cleared!" line; (*FS).NotCleared and (*FS).Log
//     give the lines.
//   - RaceWindows(trace records): how often the lookup-to-insert window was
//     hit by another thread's allocation (reachability).
//   - the block-ownership oracle is blockdev's (FS.Dev).
//
// Simplifications, each equivalent for what the model is for: no buffer
// heads (writeback asks the extent status tree whether a block is delayed,
// where ext4 reads BH_Delay); no bigalloc; no "delayed|unwritten"
// combined status, as in 6.18 (6.12's eba8c368c8cb and ce09036ea4f0 made
// the status types exclusive: fallocate over delayed blocks settles their
// reservation at once and leaves a plain unwritten entry);
// no extent status shrinker; no journal (metadata changes are durable at
// once); no separate i_disksize (eviction writes i_size); no
// ext4_nonda_switch (ENOSPC instead); no quota limits, but i_blocks is
// counted as the quota calls charge it (fsck checks it: on 6.18 a delayed
// block wrongly inserted over an allocated one has its reservation given
// back at writeback and is charged twice, i_blocks one block high); 6.8's
// punch
// (Ext4Linux68) writes the range back under i_rwsem, 6.8 just before
// taking it; metadata blocks are not counted; writeback maps and submits
// one folio (one block) at a time; stores through a mapping past i_size
// fault (the kernel allows them up to the end of the EOF page, which is
// why c7fc0366c656 zeroes the old EOF block's tail when i_size grows: here there
// is nothing to zero).
package ext4
