package kernel

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"

	"iomaplab/lab"
	"iomaplab/vfs"
)

// CloneRange implements scenario.Cloner: ioctl(FICLONE) when the whole of
// src is cloned (all arguments 0), else FICLONERANGE, with f as the
// destination. The kernel writes src's dirty page cache back first
// (xfs_reflink_remap_prep, btrfs_remap_file_range_prep); ext4 has no reflink
// and returns EOPNOTSUPP.
func (f *File) CloneRange(_ *lab.Thread, src vfs.File, srcOff, dstOff, length int64) error {
	s, unlock, err := f.pair(src)
	if err != nil {
		return err
	}
	defer unlock()
	if srcOff == 0 && dstOff == 0 && length == 0 {
		return errno(unix.IoctlFileClone(f.fd, s.fd))
	}
	return errno(unix.IoctlFileCloneRange(f.fd, &unix.FileCloneRange{
		Src_fd: int64(s.fd), Src_offset: uint64(srcOff), Src_length: uint64(length), Dest_offset: uint64(dstOff),
	}))
}

// file lets pair find the File inside wrappers that embed it.
func (f *File) file() *File { return f }

// fsxattr is struct fsxattr (include/uapi/linux/fs.h), for
// FS_IOC_FSGETXATTR and FS_IOC_FSSETXATTR, which x/sys/unix lacks.
type fsxattr struct {
	xflags, extsize, nextents, projid, cowextsize uint32
	_                                             [8]byte
}

const (
	fsIocFSGetXattr   = 0x801c581f // _IOR('X', 31, struct fsxattr)
	fsIocFSSetXattr   = 0x401c5820 // _IOW('X', 32, struct fsxattr)
	fsXflagCowExtSize = 0x00010000 // FS_XFLAG_COWEXTSIZE
)

func ioctlFsxattr(fd int, req uintptr, x *fsxattr) error {
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(unsafe.Pointer(x))); e != 0 {
		return e
	}
	return nil
}

// setCowExtSize sets the COW extent size hint of the directory dir (0
// clears it); files created in it inherit the hint, as they do from the
// directory xfs/558 runs `xfs_io -c "cowextsize 1m"` on. XFS only.
func setCowExtSize(dir string, size int64) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var x fsxattr
	if err := ioctlFsxattr(fd, fsIocFSGetXattr, &x); err != nil {
		return fmt.Errorf("FS_IOC_FSGETXATTR %s: %w", dir, err)
	}
	x.xflags &^= fsXflagCowExtSize
	x.cowextsize = 0
	if size > 0 {
		x.xflags |= fsXflagCowExtSize
		x.cowextsize = uint32(size)
	}
	if err := ioctlFsxattr(fd, fsIocFSSetXattr, &x); err != nil {
		return fmt.Errorf("FS_IOC_FSSETXATTR %s (cowextsize %d): %w", dir, size, err)
	}
	return nil
}

// cowExtSize reads a file's or directory's COW extent size hint (0: none).
func cowExtSize(path string) (int64, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	var x fsxattr
	if err := ioctlFsxattr(fd, fsIocFSGetXattr, &x); err != nil {
		return 0, err
	}
	if x.xflags&fsXflagCowExtSize == 0 {
		return 0, nil
	}
	return int64(x.cowextsize), nil
}
