package xfs

import (
	"syscall"

	"iomaplab/extent"
	"iomaplab/iomap"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// CloneRange is FICLONERANGE with ip as the destination
// (xfs_file_remap_range): the length bytes of src at srcOff come to be
// shared by ip at dstOff, without copying. length 0 means "to src's EOF"
// (FICLONE is CloneRange(src, 0, 0, 0)). Offsets are block aligned; so is
// length, unless the range ends at src's EOF and reaches ip's EOF
// (generic_remap_checks). ip's size grows to dstOff+length if smaller.
//
// Locks: both files' i_rwsem then both invalidate_locks, exclusive, in
// inode number order (xfs_ilock2_io_mmap). A destination past EOF first
// zeroes the gap (xfs_reflink_zero_posteof); both ranges are written back
// and waited for and the destination's page cache is dropped
// (xfs_reflink_remap_prep); then each source extent is remapped
// (xfs_reflink_remap_blocks / xfs_reflink_remap_extent): the destination's
// old mapping loses its references, a written source extent gains one and
// is mapped; holes, delalloc and unwritten source extents leave a hole
// (they read as zeroes either way). Both files become reflink inodes.
func (ip *Inode) CloneRange(t *lab.Thread, src vfs.File, srcOff, dstOff, length int64) error {
	s, ok := src.(*Inode)
	if !ok || s.fs != ip.fs {
		return syscall.EXDEV
	}
	if srcOff < 0 || dstOff < 0 || length < 0 || srcOff%bs != 0 || dstOff%bs != 0 {
		return syscall.EINVAL
	}
	unlock := lockPair(t, s, ip)
	defer unlock()
	srcSize, dstSize := s.io.Size(), ip.io.Size()
	if length == 0 {
		length = srcSize - srcOff
	}
	if length <= 0 || srcOff+length > srcSize || dstOff+length > maxFileSize {
		return syscall.EINVAL
	}
	if length%bs != 0 && (srcOff+length != srcSize || dstOff+length < dstSize) {
		return syscall.EINVAL
	}
	blen := roundUp(length)
	if s == ip && srcOff < dstOff+blen && dstOff < srcOff+blen {
		return syscall.EINVAL
	}
	if dstOff > dstSize {
		// xfs_reflink_zero_posteof: the gap up to the clone reads as zeroes.
		if err := iomap.ZeroRange(t, &ip.io, ip.write, ip.wb, dstSize, dstOff-dstSize); err != nil {
			return err
		}
	}
	if err := iomap.WriteAndWait(t, &s.io, s.wb, srcOff, srcOff+blen); err != nil {
		return err
	}
	if err := iomap.WriteAndWait(t, &ip.io, ip.wb, dstOff, dstOff+blen); err != nil {
		return err
	}
	ip.fs.Stats.Reflinks.Add(1)
	ip.remapBlocks(t, s, srcOff, dstOff, blen)
	if end := dstOff + length; end > dstSize {
		ip.io.SetSize(end)
	}
	ip.ilock.Lock(t)
	ip.persist(t)
	ip.ilock.Unlock(t)
	return nil
}

// remapBlocks is xfs_flush_unmap_range of the destination and
// xfs_reflink_remap_blocks: drop ip's page cache over the blen bytes at
// dstOff, then map there each extent of s's data fork at srcOff. The
// caller holds both files' i_rwsem and invalidate_lock (lockPair) and has
// written back and waited for both ranges.
func (ip *Inode) remapBlocks(t *lab.Thread, s *Inode, srcOff, dstOff, blen int64) {
	ip.io.Cache.TruncateRange(t, dstOff, dstOff+blen)
	sr := extent.BlockRange(srcOff, blen)
	delta := uint64(dstOff/bs) - sr.Start // dst block = src block + delta (mod 2^64)
	for _, e := range s.sourceExtents(t, sr) {
		ip.remapExtent(t, extent.Range{Start: e.Start + delta, End: e.End + delta}, e)
	}
}

// sourceExtents marks ip a reflink inode and returns its data fork over r,
// holes included (xfs_bmapi_read under ILOCK shared, per extent in the
// kernel; the source's i_rwsem and invalidate_lock keep it still here).
func (ip *Inode) sourceExtents(t *lab.Thread, r extent.Range) []extent.Extent {
	ip.ilock.Lock(t)
	defer ip.ilock.Unlock(t)
	ip.reflink = true
	ip.persist(t)
	return collect(ip.df.Walk(r))
}

// remapExtent is xfs_reflink_remap_extent: map source extent e at file
// blocks d of ip, in place of what d mapped.
func (ip *Inode) remapExtent(t *lab.Thread, d extent.Range, e extent.Extent) {
	ip.ilock.Lock(t)
	defer ip.ilock.Unlock(t)
	ip.reflink = true
	//mutant:xfs-seq-bump-remap noseq
	ip.freeExtents(t, ip.df.Remove(d))
	if e.State == extent.Written {
		ip.fs.space.Share(t, e.PBlk, e.Len())
		ip.fs.dev.Share(t, e.PBlk, e.Len(), uint64(ip.ino), d.Start)
		//mutant:xfs-seq-bump-remap noseq
		ip.df.Set(extent.Extent{Range: d, State: extent.Written, PBlk: e.PBlk})
	}
	ip.noteChange(t)
}

// lockPair takes a's and b's i_rwsem, then their invalidate_locks,
// exclusive, lower inode number first (once if a == b), and returns the
// unlock.
func lockPair(t *lab.Thread, a, b *Inode) func() {
	if b.ino < a.ino {
		a, b = b, a
	}
	inodes := []*Inode{a}
	if b != a {
		inodes = append(inodes, b)
	}
	for _, x := range inodes {
		x.iolock.Lock(t)
	}
	for _, x := range inodes {
		x.mmaplock.Lock(t)
	}
	return func() {
		for i := len(inodes) - 1; i >= 0; i-- {
			inodes[i].mmaplock.Unlock(t)
		}
		for i := len(inodes) - 1; i >= 0; i-- {
			inodes[i].iolock.Unlock(t)
		}
	}
}
