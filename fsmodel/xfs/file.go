package xfs

import (
	"syscall"

	"iomaplab/iomap"
	"iomaplab/lab"
	"iomaplab/vfs"
)

var _ vfs.File = (*Inode)(nil)

// Pwrite is xfs_file_buffered_write: i_rwsem exclusive, zero the gap past
// the old EOF (xfs_file_write_checks), then iomap_file_buffered_write.
func (ip *Inode) Pwrite(t *lab.Thread, buf vfs.Buffer, off int64) (int, error) {
	if off < 0 || off+int64(len(buf.Data)) > maxFileSize {
		return 0, syscall.EINVAL
	}
	if len(buf.Data) == 0 {
		return 0, nil
	}
	ip.iolock.Lock(t)
	defer ip.iolock.Unlock(t)
	if size := ip.io.Size(); off > size {
		ip.mmaplock.Lock(t)
		err := iomap.ZeroRange(t, &ip.io, ip.write, ip.wb, size, off-size)
		ip.mmaplock.Unlock(t)
		if err != nil {
			return 0, err
		}
	}
	n, err := iomap.BufferedWrite(t, &ip.io, ip.write, buf, off)
	if n > 0 {
		ip.fs.noteDirtied(t)
	}
	return int(n), err
}

// Pread is xfs_file_buffered_read: i_rwsem shared, filemap_read.
func (ip *Inode) Pread(t *lab.Thread, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	ip.iolock.RLock(t)
	defer ip.iolock.RUnlock(t)
	return iomap.BufferedRead(t, &ip.io, ip.read, p, off)
}

// Size is i_size.
func (ip *Inode) Size(t *lab.Thread) (int64, error) { return ip.io.Size(), nil }

// Fsync is xfs_file_fsync: WB_SYNC_ALL writeback of the whole file and a
// wait for it (no i_rwsem). It reports a writeback error once.
func (ip *Inode) Fsync(t *lab.Thread) error {
	if err := iomap.WriteAndWait(t, &ip.io, ip.wb, 0, maxFileSize); err != nil {
		return err
	}
	if e := ip.wbErr.Swap(nil); e != nil {
		return *e
	}
	return nil
}

// SyncRange is sync_file_range(WRITE|WAIT_AFTER) (xfs_io sync_range -a -w):
// WB_SYNC_NONE writeback of the range, skipping folios already under
// writeback, then a wait for the range's writeback.
func (ip *Inode) SyncRange(t *lab.Thread, off, length int64) error {
	end := clipEnd(off, length)
	err := iomap.Writepages(t, &ip.io, ip.wb, off, end, false)
	iomap.WaitRange(t, &ip.io, off, end)
	return err
}

// FadviseDontneed is POSIX_FADV_DONTNEED: WB_SYNC_NONE writeback of the
// range without waiting, then eviction of its clean idle folios
// (invalidate_mapping_pages).
func (ip *Inode) FadviseDontneed(t *lab.Thread, off, length int64) error {
	end := clipEnd(off, length)
	err := iomap.Writepages(t, &ip.io, ip.wb, off, end, false)
	ip.fs.Stats.Reclaimed.Add(int64(ip.io.Cache.Reclaim(t, off, end)))
	return err
}

// Reclaim evicts the range's clean folios that are not under writeback.
func (ip *Inode) Reclaim(t *lab.Thread, off, length int64) error {
	ip.fs.Stats.Reclaimed.Add(int64(ip.io.Cache.Reclaim(t, off, clipEnd(off, length))))
	return nil
}

// clipEnd returns off+length, with length 0 meaning "to the end of the
// file" as sync_file_range and fadvise read it.
func clipEnd(off, length int64) int64 {
	if length <= 0 || off+length > maxFileSize {
		return maxFileSize
	}
	return off + length
}
