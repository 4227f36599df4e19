package kernel

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"

	"iomaplab/lab"
	"iomaplab/vfs"
)

// pair finds src's File and takes both files' remount locks shared (once
// if they are the same file); the returned func drops them.
func (f *File) pair(src vfs.File) (*File, func(), error) {
	sf, ok := src.(interface{ file() *File })
	if !ok {
		return nil, nil, fmt.Errorf("%T is not a kernel file", src)
	}
	s := sf.file()
	f.mu.RLock()
	if s != f {
		s.mu.RLock()
	}
	return s, func() {
		if s != f {
			s.mu.RUnlock()
		}
		f.mu.RUnlock()
	}, nil
}

// DedupeRange implements vfs.Deduper: ioctl(FIDEDUPERANGE) on src with f
// as the one destination. xfs and btrfs share the blocks when the ranges'
// contents are equal; ext4 and tmpfs return EOPNOTSUPP.
func (f *File) DedupeRange(_ *lab.Thread, src vfs.File, srcOff, dstOff, length int64) (bool, error) {
	s, unlock, err := f.pair(src)
	if err != nil {
		return false, err
	}
	defer unlock()
	r := unix.FileDedupeRange{
		Src_offset: uint64(srcOff), Src_length: uint64(length),
		Info: []unix.FileDedupeRangeInfo{{Dest_fd: int64(f.fd), Dest_offset: uint64(dstOff)}},
	}
	if err := unix.IoctlFileDedupeRange(s.fd, &r); err != nil {
		return false, errno(err)
	}
	switch st := r.Info[0].Status; {
	case st == unix.FILE_DEDUPE_RANGE_SAME && int64(r.Info[0].Bytes_deduped) == length:
		return true, nil
	case st == unix.FILE_DEDUPE_RANGE_SAME:
		return false, fmt.Errorf("FIDEDUPERANGE: %d of %d bytes deduped", r.Info[0].Bytes_deduped, length)
	case st == unix.FILE_DEDUPE_RANGE_DIFFERS:
		return false, nil
	case st < 0:
		return false, syscall.Errno(-st)
	default:
		return false, fmt.Errorf("FIDEDUPERANGE: status %d", st)
	}
}

// CopyRange implements vfs.Copier: one copy_file_range(2) from src to f.
// The kernel may reflink (xfs, btrfs), copy in the filesystem, or fall back
// to splice.
func (f *File) CopyRange(_ *lab.Thread, src vfs.File, srcOff, dstOff, length int64) (int64, error) {
	s, unlock, err := f.pair(src)
	if err != nil {
		return 0, err
	}
	defer unlock()
	roff, woff := srcOff, dstOff
	n, err := unix.CopyFileRange(s.fd, &roff, f.fd, &woff, int(length), 0)
	if err != nil {
		return 0, errno(err)
	}
	return int64(n), nil
}
