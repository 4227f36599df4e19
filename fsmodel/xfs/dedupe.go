package xfs

import (
	"bytes"
	"syscall"

	"iomaplab/iomap"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// DedupeRange is FIDEDUPERANGE with ip as the one destination
// (xfs_file_remap_range with REMAP_FILE_DEDUP): if the length bytes of src
// at srcOff equal ip's at dstOff, ip's blocks there are replaced by shared
// references to src's, as CloneRange does, and same is true; otherwise
// nothing changes (FILE_DEDUPE_RANGE_DIFFERS).
//
// Both ranges lie below EOF; offsets are block aligned, and so is length
// unless both ranges end at their file's EOF (generic_remap_checks). Locks
// as CloneRange (xfs_ilock2_io_mmap). Both ranges are written back and
// waited for, then compared through the page cache
// (generic_remap_file_range_prep, vfs_dedupe_file_range_compare), all under
// both files' i_rwsem and invalidate_lock, so no write or page fault can
// change either range between the compare and the remap.
func (ip *Inode) DedupeRange(t *lab.Thread, src vfs.File, srcOff, dstOff, length int64) (bool, error) {
	s, ok := src.(*Inode)
	if !ok || s.fs != ip.fs {
		return false, syscall.EXDEV
	}
	if srcOff < 0 || dstOff < 0 || length <= 0 || srcOff%bs != 0 || dstOff%bs != 0 {
		return false, syscall.EINVAL
	}
	unlock := lockPair(t, s, ip)
	defer unlock()
	srcSize, dstSize := s.io.Size(), ip.io.Size()
	if srcOff+length > srcSize || dstOff+length > dstSize {
		return false, syscall.EINVAL
	}
	if length%bs != 0 && (srcOff+length != srcSize || dstOff+length != dstSize) {
		return false, syscall.EINVAL
	}
	blen := roundUp(length)
	if s == ip && srcOff < dstOff+blen && dstOff < srcOff+blen {
		return false, syscall.EINVAL
	}
	if err := iomap.WriteAndWait(t, &s.io, s.wb, srcOff, srcOff+blen); err != nil {
		return false, err
	}
	if err := iomap.WriteAndWait(t, &ip.io, ip.wb, dstOff, dstOff+blen); err != nil {
		return false, err
	}
	same, err := ip.sameData(t, s, srcOff, dstOff, length)
	if err != nil || !same {
		return false, err
	}
	ip.fs.Stats.Reflinks.Add(1)
	ip.remapBlocks(t, s, srcOff, dstOff, blen)
	ip.ilock.Lock(t)
	ip.persist(t)
	ip.ilock.Unlock(t)
	return true, nil
}

// sameData is vfs_dedupe_file_range_compare: read both ranges through the
// page cache (the caller holds both i_rwsem) and compare them.
func (ip *Inode) sameData(t *lab.Thread, s *Inode, srcOff, dstOff, length int64) (bool, error) {
	a, b := make([]byte, length), make([]byte, length)
	if _, err := iomap.BufferedRead(t, &s.io, s.read, a, srcOff); err != nil {
		return false, err
	}
	if _, err := iomap.BufferedRead(t, &ip.io, ip.read, b, dstOff); err != nil {
		return false, err
	}
	return bytes.Equal(a, b), nil
}
