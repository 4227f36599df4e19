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

// setSize changes i_size (xfs_setattr_size, Linux 6.18). Growing zeroes
// [old, new) through the page cache (xfs_zero_range); shrinking zeroes the
// rest of the new EOF block (xfs_truncate_page), sets i_size and drops the
// page cache past EOF (truncate_setsize: truncate_inode_pages_range locks
// each folio and waits for its writeback), and only then frees the blocks
// past the EOF block and cancels their COW staging blocks
// (xfs_itruncate_extents, whose xfs_reflink_cancel_cow_blocks runs in the
// same transaction). The order keeps writeback safe for the folios a pass
// holds: a pass that mapped blocks past the new EOF has finished with them
// (its folios are no longer under writeback) before they are freed. A folio
// instantiated again there later and met by the same pass is safe because
// the cancel bumps the COW fork's sequence, which xfs_imap_valid checks for
// a cached COW mapping too (the wb-trust-cow-map mutation does not).
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
		t.Point("truncate.before_pagecache")
		//mutant:xfs-truncate-pagecache delete
		ip.io.Cache.TruncateRange(t, size, maxFileSize)
		t.Point("truncate.after_pagecache")
		ip.truncateExtents(t, size)
		return nil
	}
	ip.ilock.Lock(t)
	ip.persist(t)
	ip.ilock.Unlock(t)
	return nil
}

// truncateExtents is xfs_itruncate_extents for a new size: free the data
// fork's blocks past the EOF block and cancel the COW fork there
// (xfs_itruncate_extents_flags' xfs_reflink_cancel_cow_blocks).
func (ip *Inode) truncateExtents(t *lab.Thread, size int64) {
	ip.ilock.Lock(t)
	defer ip.ilock.Unlock(t)
	past := extent.Range{Start: uint64(roundUp(size) / bs), End: extent.MaxBlock}
	//mutant:xfs-seq-bump-truncate noseq
	removed := ip.df.Remove(past)
	ip.noteChange(t)
	ip.freeExtents(t, removed)
	t.Point("xfs.truncate.cancel_cow")
	//mutant:xfs-truncate-cancel-cow delete
	ip.cancelCow(t, past)
	ip.persist(t)
}
