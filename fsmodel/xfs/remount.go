package xfs

import (
	"iomaplab/extent"
	"iomaplab/iomap"
	"iomaplab/lab"
)

// remount syncs the inode, evicts it (page cache; xfs_inactive's
// xfs_free_eofblocks, which trims the blocks past EOF, as the kernel
// target's close before unmount does too; in-core data fork, COW fork) and
// reads it back from the persisted metadata. A delalloc reservation left
// after that is a leak. The forks' seqs keep
// counting across the reload so that no old cookie can match the new fork.
func (ip *Inode) remount(t *lab.Thread) error {
	ip.iolock.Lock(t)
	defer ip.iolock.Unlock(t)
	ip.mmaplock.Lock(t)
	defer ip.mmaplock.Unlock(t)
	err := iomap.WriteAndWait(t, &ip.io, ip.wb, 0, maxFileSize)
	if e := ip.wbErr.Swap(nil); e != nil && err == nil {
		err = *e
	}
	ip.io.Cache.TruncateRange(t, 0, maxFileSize)
	ip.freeEOFBlocks(t)

	ip.ilock.Lock(t)
	defer ip.ilock.Unlock(t)
	ip.persist(t)
	if d := ip.df.DelallocBlocks(); d > 0 {
		// xfs_inactive would warn about i_delayed_blks: a leak.
		t.Tracepoint("reserved_not_cleared", lab.F("ino", ip.ino), lab.F("blocks", int64(d)))
		ip.leaked += d
	}
	// Eviction cancels the COW fork (xfs_inactive's
	// xfs_reflink_cancel_cow_range; xfs_reflink_recover_cow frees at mount
	// what a crash leaves): its delalloc is speculative, and its staging
	// blocks hold nothing the data fork maps.
	ip.cancelCow(t, extent.Range{Start: 0, End: extent.MaxBlock})
	removed := ip.df.Remove(extent.Range{Start: 0, End: extent.MaxBlock})
	for _, e := range removed {
		if e.State == extent.Delalloc {
			ip.fs.space.Unreserve(t, e.Len())
		}
	}
	disk := ip.fs.disk.load(t, ip.ino)
	for _, e := range disk.extents {
		ip.df.Set(e)
	}
	ip.noteChange(t)
	ip.io.SetSize(disk.size)
	ip.reflink = disk.reflink
	ip.diflagPrealloc = disk.prealloc
	return err
}
