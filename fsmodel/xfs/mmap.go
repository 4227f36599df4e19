package xfs

import (
	"syscall"

	"iomaplab/iomap"
	"iomaplab/lab"
	"iomaplab/pagecache"
)

// MapStore stores data at off through a shared mapping. Per folio: a folio
// mapped writable takes the store directly; otherwise the store faults:
// filemap_fault brings the folio uptodate and xfs_write_fault runs
// iomap_page_mkwrite under invalidate_lock shared, with the folio locked
// first. A folio past EOF is SIGBUS (EFAULT).
func (ip *Inode) MapStore(t *lab.Thread, data []byte, off int64) error {
	err := ip.mapEach(t, int64(len(data)), off, func(f *pagecache.Folio, pos, n, done int64) {
		copy(f.Data[pos-f.Pos:pos-f.Pos+n], data[done:done+n])
	}, true)
	ip.fs.noteDirtied(t)
	return err
}

// MapLoad loads from a shared mapping at off (filemap_fault reads).
func (ip *Inode) MapLoad(t *lab.Thread, p []byte, off int64) error {
	return ip.mapEach(t, int64(len(p)), off, func(f *pagecache.Folio, pos, n, done int64) {
		copy(p[done:done+n], f.Data[pos-f.Pos:pos-f.Pos+n])
	}, false)
}

// mapEach runs access on each folio of [off, off+length) with the folio
// locked and ready for a load (uptodate) or a store (writable, dirty).
func (ip *Inode) mapEach(t *lab.Thread, length, off int64, access func(f *pagecache.Folio, pos, n, done int64), store bool) error {
	if off < 0 {
		return syscall.EINVAL
	}
	fsz := ip.io.Cache.FolioSize()
	for done := int64(0); done < length; {
		pos := off + done
		if pos >= ip.io.Size() {
			return syscall.EFAULT
		}
		n := min(length-done, fsz-(pos&(fsz-1)))
		// A mapped page: no fault.
		if f := ip.io.Cache.GetLocked(t, pos, false); f != nil {
			if (store && f.Writable()) || (!store && f.Uptodate(0, f.Size)) {
				access(f, pos, n, done)
				f.Unlock(t)
				done += n
				continue
			}
			f.Unlock(t)
		}
		if err := ip.fault(t, pos, n, done, access, store); err != nil {
			return err
		}
		done += n
	}
	return nil
}

// fault is filemap_fault plus, for a store, xfs_write_fault.
func (ip *Inode) fault(t *lab.Thread, pos, n, done int64, access func(f *pagecache.Folio, pos, n, done int64), store bool) error {
	//mutant:xfs-fault-mmaplock delete
	ip.mmaplock.RLock(t)
	//mutant:xfs-fault-mmaplock delete
	defer ip.mmaplock.RUnlock(t)
	fpos := ip.io.Cache.FolioPos(pos)
	f, err := iomap.GetUptodate(t, &ip.io, ip.read, fpos, ip.io.Cache.FolioSize())
	if err != nil {
		return err
	}
	defer f.Unlock(t)
	//mutant:xfs-fault-eof false
	if pos >= ip.io.Size() {
		return syscall.EFAULT
	}
	if store {
		if err := iomap.PageMkwrite(t, &ip.io, ip.write, f); err != nil {
			return err
		}
		f.SetWritable()
	}
	access(f, pos, n, done)
	return nil
}
