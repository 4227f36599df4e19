// Package extent holds the block-level bookkeeping of the filesystem models:
// the per-fork extent map with its sequence counter (the iomap validity
// cookie's source), the physical block allocator, and free-space and
// delayed-allocation reservation accounting.
//
// Nouns:
//   - Block: 4 KiB (BlockSize). File blocks (fblk) index a file; physical
//     blocks (pblk) index the block device. Both are uint64 below MaxBlock.
//   - Range: half-open [Start, End) of blocks, gVisor pkg/segment style
//     (Len, WellFormed, Contains, Overlaps, Intersect, CanSplitAt).
//     BlockRange converts a byte range to the blocks covering it.
//   - Extent: a Range of file blocks in one State: Hole (never stored),
//     Delalloc (reserved, no physical block yet), Unwritten(PBlk) (allocated,
//     reads as zeroes), Written(PBlk).
//   - Map: one fork's extents over google/btree (XFS xfs_ifork incore
//     extents, ext4 extent status tree). Lookup finds the extent or hole
//     holding a block (xfs_iext_lookup_extent); Walk and Extents iterate a
//     range; Set, Remove and Convert mutate it, splitting and merging so it
//     stays canonical, and return the pieces they replaced so the caller can
//     free blocks or release reservations. Seq is the fork's if_seq: bumped
//     exactly once per mutating call that changed the contents.
//   - Space: one filesystem's free-space extents and counters free, used,
//     reserved. Reserve/Unreserve account delayed allocation (ENOSPC when
//     free - reserved is short); Alloc and AllocReserved hand out physical
//     runs near a hint; Free returns them; Allocated checks that a physical
//     range is in use (fsck). Here free counts reserved blocks
//     too (reserved <= free); docs/design.md's fsck identity "free + used +
//     reserved == device size" is Stats.Available() + Used + Reserved == Total.
//   - Refcounts (inside Space): XFS's refcount btree for reflinked blocks,
//     with records only for blocks mapped more than once. Space.Share adds a
//     reference, Space.Release drops one and frees the blocks whose last
//     reference it was, FindShared finds the first shared run
//     (xfs_reflink_find_shared); Free refuses shared blocks. CheckShared is
//     fsck's cross-file check when blocks may be shared: each physical block
//     is mapped exactly as often as its refcount says (1 without a record).
//
// Example (example_test.go) shows the delalloc life cycle an fs model runs:
// Reserve + Set(Delalloc) under the fork lock at write time, AllocReserved +
// Convert per run at writeback, Remove then Free/Unreserve of the returned
// pieces at punch.
//
// Locking: Map has no lock; its owner (the fs model) holds the fork lock, a
// lab.RWMutex (XFS ILOCK, ext4 i_data_sem), around every call except Seq,
// which is an atomic load that iomap validity checks make without the lock.
// Space guards itself with a lab.Mutex (a leaf lock: take it last) and its
// methods take the calling *lab.Thread. Lock order of a caller:
// fork lock -> Space.
//
// Mutations: passing NoSeqBump to a mutator suppresses its sequence bump.
// Only the lab's no-seq-bump-on-convert variant passes it, to Convert.
//
// Errors: caller bugs (malformed ranges, double free, releasing more than is
// reserved) panic with the offending values; running out of space returns
// unix.ENOSPC. Map.Verify and Space.Verify are the fsck of this layer, and
// Map.String marks inconsistencies with "!!".
package extent
