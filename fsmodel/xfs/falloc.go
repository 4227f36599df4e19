package xfs

import (
	"syscall"

	"iomaplab/extent"
	"iomaplab/iomap"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// Fallocate is xfs_file_fallocate: i_rwsem and invalidate_lock exclusive.
func (ip *Inode) Fallocate(t *lab.Thread, mode vfs.FallocMode, off, length int64) error {
	if off < 0 || length <= 0 || off+length > maxFileSize {
		return syscall.EINVAL
	}
	ip.iolock.Lock(t)
	defer ip.iolock.Unlock(t)
	//mutant:xfs-falloc-mmaplock delete
	ip.mmaplock.Lock(t)
	//mutant:xfs-falloc-mmaplock delete
	defer ip.mmaplock.Unlock(t)
	end := off + length
	switch mode {
	case vfs.FallocAllocate, vfs.FallocKeepSize:
		ip.fs.Stats.Allocate.Add(1)
		if err := ip.allocFileSpace(t, off, length); err != nil {
			return err
		}
		t.Point("falloc.allocated")
	case vfs.FallocPunch:
		ip.fs.Stats.Punch.Add(1)
		return ip.freeFileSpace(t, off, length)
	case vfs.FallocZero, vfs.FallocZeroKeepSize:
		ip.fs.Stats.Zero.Add(1)
		if err := ip.freeFileSpace(t, off, length); err != nil {
			return err
		}
		if err := ip.allocFileSpace(t, roundDown(off), roundUp(end)-roundDown(off)); err != nil {
			return err
		}
	default:
		return syscall.EOPNOTSUPP
	}
	if (mode == vfs.FallocAllocate || mode == vfs.FallocZero) && end > ip.io.Size() {
		return ip.setSize(t, end)
	}
	return nil
}

// allocFileSpace is xfs_alloc_file_space: unwritten blocks for every hole
// of the range. Delalloc and real extents stay as they are. The inode gets
// XFS_DIFLAG_PREALLOC (Linux 6.18 sets it in each allocation transaction),
// so that xfs_free_eofblocks leaves its real blocks past EOF alone.
// Preconditions: i_rwsem and invalidate_lock exclusive.
func (ip *Inode) allocFileSpace(t *lab.Thread, off, length int64) error {
	r := extent.BlockRange(off, length)
	ip.ilock.Lock(t)
	defer ip.ilock.Unlock(t)
	defer ip.persist(t)
	ip.diflagPrealloc = true
	for _, e := range collect(ip.df.Walk(r)) {
		if e.State != extent.Hole {
			continue
		}
		if err := ip.allocate(t, e.Range, extent.Unwritten, false); err != nil {
			return err
		}
	}
	return nil
}

// freeFileSpace is xfs_free_file_space: write back and drop the range's page
// cache, unmap the whole blocks inside it, and zero the partial blocks at its
// edges through the page cache.
//
// The model zeroes the edges first, while their page cache may still be
// dirty, and flushes afterwards; the kernel flushes first. The result is
// the same, and this order routes the edge zeroing through iomap_zero_range's
// flush-and-stale of dirty unwritten blocks.
// Preconditions: i_rwsem and invalidate_lock exclusive.
func (ip *Inode) freeFileSpace(t *lab.Thread, off, length int64) error {
	end := off + length
	size := ip.io.Size()
	inner := extent.Range{Start: uint64(roundUp(off) / bs), End: uint64(roundDown(end) / bs)}
	if inner.Start > inner.End {
		inner.End = inner.Start
	}
	// Sub-block edges, clipped to EOF (xfs_zero_range must not extend).
	var edges [][2]int64
	if off&(bs-1) != 0 {
		edges = append(edges, [2]int64{off, min(end, roundUp(off))})
	}
	if end&(bs-1) != 0 && roundDown(end) >= roundUp(off) {
		edges = append(edges, [2]int64{roundDown(end), end})
	}
	for _, e := range edges {
		if a, b := e[0], min(e[1], size); a < b {
			if err := iomap.ZeroRange(t, &ip.io, ip.write, ip.wb, a, b-a); err != nil {
				return err
			}
		}
	}
	// xfs_flush_unmap_range, rounded out to whole blocks.
	//mutant:xfs-free-space-flush delete
	if err := iomap.WriteAndWait(t, &ip.io, ip.wb, roundDown(off), roundUp(end)); err != nil {
		return err
	}
	//mutant:xfs-free-space-drop-pagecache delete
	ip.io.Cache.TruncateRange(t, roundDown(off), roundUp(end))
	t.Point("falloc.after_invalidate")
	if inner.Empty() {
		return nil
	}
	ip.ilock.Lock(t)
	defer ip.ilock.Unlock(t)
	//mutant:xfs-seq-bump-free-space noseq
	removed := ip.df.Remove(inner)
	ip.noteChange(t)
	ip.freeExtents(t, removed)
	ip.persist(t)
	return nil
}

// collect drains an extent iterator (the map must not change while it runs).
func collect(seq func(func(extent.Extent) bool)) []extent.Extent {
	var out []extent.Extent
	for e := range seq {
		out = append(out, e)
	}
	return out
}
