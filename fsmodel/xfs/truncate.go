package xfs

import (
	"syscall"

	"iomaplab/extent"
	"iomaplab/iomap"
	"iomaplab/lab"
)

// Truncate is xfs_setattr_size: i_rwsem and invalidate_lock exclusive.
func (ip *Inode) Truncate(t *lab.Thread, size int64) error {
	if size < 0 || size > maxFileSize {
		return syscall.EINVAL
	}
	ip.iolock.Lock(t)
	defer ip.iolock.Unlock(t)
	//mutant:xfs-truncate-mmaplock delete
	ip.mmaplock.Lock(t)
	//mutant:xfs-truncate-mmaplock delete
	defer ip.mmaplock.Unlock(t)
	return ip.setSize(t, size)
}

// setSize changes i_size. Growing zeroes [old, new) through the page cache
// (xfs_zero_range); shrinking zeroes the rest of the new EOF block
// (iomap_truncate_page), drops the page cache past EOF (truncate_setsize)
// and frees the blocks past the EOF block (xfs_itruncate_extents).
// Preconditions: i_rwsem and invalidate_lock exclusive.
func (ip *Inode) setSize(t *lab.Thread, size int64) error {
	old := ip.io.Size()
	switch {
	case size > old:
		ip.fs.Stats.TruncUp.Add(1)
		if err := iomap.ZeroRange(t, &ip.io, ip.write, ip.wb, old, size-old); err != nil {
			return err
		}
		ip.io.SetSize(size)
	case size < old:
		ip.fs.Stats.TruncDown.Add(1)
		if err := iomap.TruncatePage(t, &ip.io, ip.write, ip.wb, size); err != nil {
			return err
		}
		ip.io.SetSize(size)
		//mutant:xfs-truncate-pagecache delete
		ip.io.Cache.TruncateRange(t, size, maxFileSize)
		ip.ilock.Lock(t)
		past := extent.Range{Start: uint64(roundUp(size) / bs), End: extent.MaxBlock}
		//mutant:xfs-seq-bump-truncate noseq
		removed := ip.df.Remove(past)
		ip.noteChange(t)
		ip.freeExtents(t, removed)
		//mutant:xfs-truncate-cancel-cow delete
		ip.cancelCow(t, past) // xfs_itruncate_extents_flags' xfs_reflink_cancel_cow_blocks
		ip.persist(t)
		ip.ilock.Unlock(t)
		return nil
	}
	ip.ilock.Lock(t)
	ip.persist(t)
	ip.ilock.Unlock(t)
	return nil
}
