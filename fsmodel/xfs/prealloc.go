package xfs

import (
	"math/bits"

	"iomaplab/extent"
	"iomaplab/iomap"
	"iomaplab/lab"
	"iomaplab/pagecache"
)

// Speculative post-EOF preallocation (Linux 6.18, fs/xfs/xfs_iomap.c and
// fs/xfs/xfs_bmap_util.c): a buffered write that extends the file past EOF
// reserves delalloc beyond what it writes, sized by the extents before it,
// and the blocks past EOF are trimmed when the file is released or evicted.

// maxExtLen is XFS_MAX_BMBT_EXTLEN, the longest extent a bmbt record holds.
const maxExtLen = 1<<21 - 1

// maxWriteMapBytes caps what one hole mapping of a buffered write reserves
// before preallocation: xfs_buffered_write_iomap_begin maps at most 1024
// pages at a time (MAX_WRITEBACK_PAGES).
const maxWriteMapBytes = 1024 * pagecache.PageSize

// allocsizeLog is m_allocsize_log: log2 of the allocsize= mount option, or
// 16 (64 KiB) without it (xfs_init_fs_context, Linux 6.18).
func (fs *FS) allocsizeLog() uint {
	if fs.opts.AllocSize > 0 {
		return uint(bits.TrailingZeros64(uint64(fs.opts.AllocSize)))
	}
	return 16
}

// allocsizeBlocks is m_allocsize_blocks (xfs_mountfs).
func (fs *FS) allocsizeBlocks() uint64 { return 1 << (fs.allocsizeLog() - 12) }

// eofPrealloc is the preallocation part of xfs_buffered_write_iomap_begin
// (Linux 6.18) for a write of [pos, pos+count) over a hole with no extent
// after it (eof) that ends past i_size: how many blocks to reserve past
// endBlk, the end of the write's own reservation. With allocsize= it is the
// mount option's size (xfs_has_allocsize), else xfs_iomap_prealloc_size;
// either way the end is aligned: the preallocation runs from the
// allocsize-aligned block holding the write's last byte (XFS_ALLOC_ALIGN),
// so allocsize=4k preallocates nothing on 4k blocks. No stripe alignment
// (xfs_eof_alignment: the model's device has no stripe unit).
// Preconditions: ILOCK exclusive.
func (ip *Inode) eofPrealloc(t *lab.Thread, pos, count int64, endBlk uint64) uint64 {
	var n uint64
	if ip.fs.opts.AllocSize > 0 {
		n = ip.fs.allocsizeBlocks()
	} else {
		n = ip.preallocSize(t, pos)
	}
	if n == 0 {
		return 0
	}
	log := ip.fs.allocsizeLog()
	aligned := uint64(pos+count-1) >> log << log
	pEnd := min(aligned/bs+n, uint64(maxFileSize)/bs)
	if pEnd <= endBlk {
		return 0
	}
	return pEnd - endBlk
}

// preallocSize is xfs_iomap_prealloc_size for the data fork (Linux 6.18):
// nothing for a file smaller than allocsize (64 KiB), the minimum
// (allocsize) after a hole; otherwise twice the length of the extents that
// end at the write (contiguous in the file and on disk, only the last one
// may be delalloc), or the write offset once that passes MAXEXTLEN, rounded
// down to a power of two, throttled by free space (shifted once per percent
// below 5% of the device, squashed by 16 while not below the free space)
// and at least allocsize. Free space is what the model's extent.Space has
// neither used nor reserved; no quotas, no reserve pool. Like the kernel,
// it emits tracepoint xfs_iomap_prealloc_size only when it computes the
// size from the extents (not for a small file or after a hole).
// Preconditions: ILOCK exclusive; no extent at or after pos (eof).
func (ip *Inode) preallocSize(t *lab.Thread, pos int64) uint64 {
	minBlocks := ip.fs.allocsizeBlocks()
	if ip.io.Size() < int64(minBlocks*bs) {
		return 0
	}
	exts := ip.df.All()
	if len(exts) == 0 || exts[len(exts)-1].End < blockOf(pos) {
		return minBlocks
	}
	prev := exts[len(exts)-1]
	plen := prev.Len()
	for i := len(exts) - 2; i >= 0; i-- {
		got := exts[i]
		if plen > maxExtLen/2 || got.State == extent.Delalloc || prev.State == extent.Delalloc ||
			got.End != prev.Start || got.PBlk+got.Len() != prev.PBlk {
			break
		}
		plen += got.Len()
		prev = got
	}
	alloc := plen * 2
	if alloc > maxExtLen {
		alloc = uint64(roundUp(pos)) / bs
	}
	alloc = min(alloc, 1<<21) // roundup_pow_of_two(XFS_MAX_BMBT_EXTLEN)
	st := ip.fs.space.Stats(t)
	free := st.Available()
	pct := st.Total / 100 // m_low_space[i] = (i+1) percent of the blocks
	shift := 0
	if free < 5*pct {
		shift = 2
		for p := uint64(4); p >= 1; p-- {
			if free < p*pct {
				shift++
			}
		}
	}
	alloc >>= shift
	if alloc > 0 {
		alloc = 1 << (bits.Len64(alloc) - 1) // rounddown_pow_of_two
	}
	alloc = min(alloc, maxExtLen)
	for alloc > 0 && alloc >= free {
		alloc >>= 4
	}
	alloc = max(alloc, minBlocks)
	t.Tracepoint("xfs_iomap_prealloc_size", lab.F("ino", ip.ino), lab.F("blocks", int64(alloc)), lab.F("shift", int64(shift)))
	return alloc
}

// reserveDelalloc is xfs_bmapi_reserve_delalloc for the data fork (Linux
// 6.18): reserve r plus prealloc blocks after it, capped at MAXEXTLEN, and
// insert them as delalloc (merging with delalloc neighbours, as
// xfs_bmap_add_extent_hole_delay does). When the space is not there,
// xfs_buffered_write_iomap_begin retries without the preallocation. It
// returns the delalloc extent it inserted.
// Preconditions: ILOCK exclusive; r and the prealloc blocks after it are a hole.
func (ip *Inode) reserveDelalloc(t *lab.Thread, r extent.Range, prealloc uint64) (extent.Extent, error) {
	n := min(r.Len()+prealloc, maxExtLen)
	if err := ip.fs.space.Reserve(t, n); err != nil {
		if prealloc == 0 {
			return extent.Extent{}, err
		}
		n = r.Len()
		if err := ip.fs.space.Reserve(t, n); err != nil {
			return extent.Extent{}, err
		}
	}
	d := extent.Extent{Range: extent.Range{Start: r.Start, End: r.Start + n}, State: extent.Delalloc}
	//mutant:xfs-seq-bump-delalloc-reserve noseq
	ip.df.Set(d)
	ip.noteChange(t)
	if n > r.Len() {
		ip.fs.Stats.Prealloc.Add(int64(n - r.Len()))
	}
	return d, nil
}

// zeroConvertDelay is the convert_delay branch of
// xfs_buffered_write_iomap_begin for zeroing (Linux 6.18): a delalloc
// extent that starts at or past the EOF block is not zeroed through the
// page cache (iomap must not dirty folios past EOF) but allocated as
// unwritten blocks, which read as zeroes once i_size moves over them: drop
// the page cache from pos (truncate_pagecache), then convert the delalloc
// extent as writeback would (xfs_bmapi_convert_delalloc) and map the
// result. Called without ILOCK.
func (ip *Inode) zeroConvertDelay(t *lab.Thread, pos, length int64) (iomap.Mapping, error) {
	ip.io.Cache.TruncateRange(t, pos, maxFileSize)
	m, ok := ip.convertDelalloc(t, blockOf(pos))
	if !ok {
		// Converted or punched since ILOCK was dropped: look again.
		return ip.write.Begin(t, pos, length, iomap.OpZero)
	}
	ip.fs.Stats.ZeroConvertDelay.Add(1)
	return m, nil
}

// eofBlock is the first block past EOF (XFS_B_TO_FSB of XFS_ISIZE).
func (ip *Inode) eofBlock() uint64 { return uint64(roundUp(ip.io.Size()) / bs) }

// freeEOFBlocks is xfs_can_free_eofblocks plus xfs_free_eofblocks (Linux
// 6.18), as xfs_inactive runs them at eviction and xfs_file_release at the
// first close of a file opened for writing: unmap everything past the EOF
// block (xfs_itruncate_extents_flags to i_size, which also cancels the COW
// fork there), without changing the on-disk size. An inode with
// XFS_DIFLAG_PREALLOC (fallocate was used on it) keeps its real blocks past
// EOF and only loses its delalloc there (xfs_bmap_punch_delalloc_range).
// Preconditions: i_rwsem exclusive or the inode is being evicted; the page
// cache past EOF is gone.
func (ip *Inode) freeEOFBlocks(t *lab.Thread) {
	ip.ilock.Lock(t)
	defer ip.ilock.Unlock(t)
	past := extent.Range{Start: ip.eofBlock(), End: extent.MaxBlock}
	if past.Empty() {
		return
	}
	var removed []extent.Extent
	if ip.diflagPrealloc {
		for _, e := range ip.df.Extents(past) {
			if e.State == extent.Delalloc {
				removed = append(removed, ip.df.Remove(e.Range.Intersect(past))...)
			}
		}
	} else {
		removed = ip.df.Remove(past)
		ip.cancelCow(t, past)
	}
	if len(removed) == 0 {
		return
	}
	ip.noteChange(t)
	ip.freeExtents(t, removed)
	var n uint64
	for _, e := range removed {
		n += e.Len()
	}
	ip.fs.Stats.EOFBlocksFreed.Add(int64(n))
	t.Tracepoint("xfs_free_eofblocks", lab.F("ino", ip.ino), lab.F("blocks", int64(n)))
	ip.persist(t)
}
