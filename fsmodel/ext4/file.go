package ext4

import (
	"math"

	"golang.org/x/sys/unix"

	"iomaplab/iomap"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// maxBytes is s_maxbytes for 4 KiB blocks of extent-mapped files: 32-bit
// logical block numbers (ext4_max_size).
const maxBytes = (1<<32 - 1) * 4096

// File is an open file of the model. It names its inode by number, so it
// stays usable across Remount (the next call reads the inode back in).
type File struct {
	fs   *FS
	name string
	ino  uint64
}

var _ vfs.File = (*File)(nil)

// Name implements vfs.File.
func (f *File) Name() string { return f.name }

// Ino returns the file's inode number.
func (f *File) Ino() uint64 { return f.ino }

func (f *File) inode(t *lab.Thread) *inode { return f.fs.iget(t, f.ino) }

// Size implements vfs.File (i_size_read).
func (f *File) Size(t *lab.Thread) (int64, error) { return f.inode(t).io.Size(), nil }

// Pwrite implements vfs.File: ext4_buffered_write_iter, through
// ext4_da_write_begin or, with Options.IOMAP, the iomap write path.
func (f *File) Pwrite(t *lab.Thread, buf vfs.Buffer, off int64) (int, error) {
	if off < 0 || off+int64(len(buf.Data)) < off {
		return 0, unix.EINVAL
	}
	if len(buf.Data) == 0 {
		return 0, nil
	}
	if off >= maxBytes { // generic_write_checks
		return 0, unix.EFBIG
	}
	if end := off + int64(len(buf.Data)); end > maxBytes {
		buf.Data = buf.Data[:maxBytes-off]
	}
	in := f.inode(t)
	if f.fs.opts.IOMAP {
		return in.iomapWrite(t, buf, off)
	}
	in.iRwsem.Lock(t)
	defer in.iRwsem.Unlock(t)
	return in.performWrite(t, buf, off)
}

// Pread implements vfs.File.
func (f *File) Pread(t *lab.Thread, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, unix.EINVAL
	}
	return f.inode(t).read(t, p, off)
}

// MapStore implements vfs.File: a store through a shared mapping.
func (f *File) MapStore(t *lab.Thread, data []byte, off int64) error {
	return f.inode(t).mapStore(t, data, off)
}

// MapLoad implements vfs.File: a load through a shared mapping.
func (f *File) MapLoad(t *lab.Thread, p []byte, off int64) error {
	return f.inode(t).mapLoad(t, p, off)
}

// Fallocate implements vfs.File (ext4_fallocate).
func (f *File) Fallocate(t *lab.Thread, mode vfs.FallocMode, off, length int64) error {
	if off < 0 || length <= 0 || off+length < off {
		return unix.EINVAL
	}
	if off+length > maxBytes {
		return unix.EFBIG
	}
	in := f.inode(t)
	switch mode {
	case vfs.FallocAllocate, vfs.FallocKeepSize:
		return in.fallocate(t, off, length, mode == vfs.FallocKeepSize)
	case vfs.FallocPunch:
		return in.punchHole(t, off, length)
	case vfs.FallocZero, vfs.FallocZeroKeepSize:
		return in.zeroRange(t, off, length, mode == vfs.FallocZeroKeepSize)
	}
	return unix.EOPNOTSUPP
}

// Truncate implements vfs.File (ext4_setattr with ATTR_SIZE).
func (f *File) Truncate(t *lab.Thread, size int64) error {
	if size < 0 {
		return unix.EINVAL
	}
	if size > maxBytes {
		return unix.EFBIG
	}
	return f.inode(t).truncate(t, size)
}

// Fsync implements vfs.File (ext4_sync_file).
func (f *File) Fsync(t *lab.Thread) error { return f.inode(t).fsync(t) }

// SyncRange implements vfs.File: sync_file_range(WRITE|WAIT_AFTER), as
// xfs/559's `sync_range -a -w`: WB_SYNC_NONE writeback of the range, then a
// wait for its writeback. A length of 0 means "to the end of the file".
func (f *File) SyncRange(t *lab.Thread, off, length int64) error {
	start, end, err := byteRange(off, length)
	if err != nil {
		return err
	}
	in := f.inode(t)
	in.writepages(t, start, end, false)
	iomap.WaitRange(t, &in.io, start, end)
	return nil
}

// FadviseDontneed implements vfs.File: WB_SYNC_NONE writeback of the range,
// then invalidate_mapping_pages. A length of 0 means "to the end".
func (f *File) FadviseDontneed(t *lab.Thread, off, length int64) error {
	start, end, err := byteRange(off, length)
	if err != nil {
		return err
	}
	in := f.inode(t)
	in.writepages(t, start, end, false)
	in.cache.Reclaim(t, start, end)
	return nil
}

// Reclaim implements vfs.File: memory reclaim of the range's clean folios.
func (f *File) Reclaim(t *lab.Thread, off, length int64) error {
	start, end, err := byteRange(off, length)
	if err != nil {
		return err
	}
	f.inode(t).cache.Reclaim(t, start, end)
	return nil
}

// byteRange turns (off, length) into [start, end); length 0 means to the end.
func byteRange(off, length int64) (int64, int64, error) {
	if off < 0 || length < 0 {
		return 0, 0, unix.EINVAL
	}
	if length == 0 || off+length < off {
		return off, math.MaxInt64, nil
	}
	return off, off + length, nil
}
