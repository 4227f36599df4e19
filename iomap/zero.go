package iomap

import (
	"math"
	"syscall"

	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/pagecache"
)

// ZeroRange makes [pos, pos+length) read as zeroes through the page cache
// (iomap_zero_range). Holes and unwritten extents already read as zeroes and
// are skipped — unless the page cache over the range is dirty: then the
// first such mapping flushes the range and is flagged STALE
// (iomap_zero_iter_flush_and_stale), so that the iterator maps the now
// converted extents again and zeroes the folios over them. Skipping the
// flush leaves dirty data over an "already zero" unwritten extent.
//
// A negative pos is EINVAL and a range whose end overflows a loff_t is
// EFBIG, as vfs_fallocate and generic_write_checks answer before a
// filesystem ever zeroes: the range is never wrapped.
//
// Preconditions: i_rwsem and invalidate_lock held exclusively; the range
// lies below i_size or the caller extends i_size afterwards.
func ZeroRange(t *lab.Thread, in *Inode, ops Ops, wb WritebackOps, pos, length int64) error {
	switch {
	case pos < 0:
		return syscall.EINVAL
	case length <= 0:
		return nil
	case length > math.MaxInt64-pos:
		return syscall.EFBIG
	}
	// filemap_range_needs_writeback, checked once up front: checking after
	// each mapping lookup would race with writeback and reclaim.
	rangeDirty := in.Cache.Next(t, pos, pos+length, pagecache.DirtyOrWriteback) != nil
	it := NewIter(in, ops, pos, length, OpZero)
	it.AfterBegin = "iomap.zero.after_begin"
	for it.Next(t) {
		if it.Map.Type == Hole || it.Map.Type == Unwritten {
			//mutant:iomap-zero-flush-dirty false
			if rangeDirty && !in.Variant.Has(variant.ZeroSkipsDirtyUnwritten) {
				rangeDirty = false
				in.Stats.ZeroFlushes.Add(1)
				if err := WriteAndWait(t, in, wb, it.Pos, it.Pos+it.Len); err != nil {
					it.SetErr(err)
					continue
				}
				//mutant:iomap-zero-flush-stale delete
				it.Map.Flags |= FlagStale
				continue
			}
			it.Advance(it.Length())
			continue
		}
		zeroIter(t, it)
	}
	return it.Err()
}

// zeroIter zeroes the folios over one mapping (iomap_zero_iter).
func zeroIter(t *lab.Thread, it *Iter) {
	chunk := it.In.Cache.FolioSize()
	for it.Length() > 0 {
		pos := it.Pos
		n := min(chunk-(pos&(chunk-1)), it.Length())
		f, err := writeBegin(t, it, pos, n)
		if err != nil {
			it.SetErr(err)
			return
		}
		if f == nil {
			return // stale
		}
		off := pos - f.Pos
		f.Zero(off, n)
		f.SetUptodate(off, n)
		f.MarkDirty(off, n)
		f.Unlock(t)
		it.Advance(n)
	}
}

// TruncatePage zeroes from pos to the end of its block (iomap_truncate_page),
// so that a block cut by a new EOF does not keep stale bytes past it.
func TruncatePage(t *lab.Thread, in *Inode, ops Ops, wb WritebackOps, pos int64) error {
	const bs = pagecache.BlockSize
	if pos&(bs-1) == 0 {
		return nil
	}
	return ZeroRange(t, in, ops, wb, pos, bs-pos&(bs-1))
}
