package ext4

import (
	"golang.org/x/sys/unix"

	"iomaplab/iomap"
	"iomaplab/lab"
	"iomaplab/pagecache"
)

// mapStore models stores through a shared writable mapping, page by page
// (Linux 6.18, the same in 6.8): a fault brings the folio in (filemap_fault); a store to a write-protected
// page calls ext4_page_mkwrite first. A page whose folio is still writable
// (dirtied by an earlier fault and not written back since) takes the store
// without a fault. A range reaching past i_size is SIGBUS (EFAULT).
func (in *inode) mapStore(t *lab.Thread, data []byte, off int64) error {
	if off < 0 || off+int64(len(data)) > in.io.Size() {
		return unix.EFAULT
	}
	for done := int64(0); done < int64(len(data)); {
		pos := off + done
		n := min(pagecache.PageSize-pos%pagecache.PageSize, int64(len(data))-done)
		if err := in.storePage(t, data[done:done+n], pos); err != nil {
			return err
		}
		done += n
	}
	return nil
}

// storePage stores p, inside one page, at pos.
func (in *inode) storePage(t *lab.Thread, p []byte, pos int64) error {
	for {
		f, err := in.getUptodate(t, pos)
		if err != nil {
			return err
		}
		if f.Writable() {
			copy(f.Data[pos-f.Pos:], p)
			f.Unlock(t)
			return nil
		}
		f.Unlock(t)
		done, err := in.pageMkwrite(t, p, pos)
		if done || err != nil {
			return err
		}
		// VM_FAULT_NOPAGE: the folio went away; fault again.
	}
}

// pageMkwrite is ext4_page_mkwrite's delalloc case as Linux 6.18 has it (the
// same in 6.8, for 4 KiB folios): invalidate_lock shared,
// then block_page_mkwrite with ext4_da_get_block_prep (folio lock, then
// daMapBlocks for the page's block), block_commit_write (dirty the folio)
// and the pte made writable; on the iomap path iomap_page_mkwrite replaces
// block_page_mkwrite. The faulting store then lands, still under the
// folio lock. It reports false if the folio left the page cache meanwhile
// (the fault is retried); an allocation failure is SIGBUS (the error).
func (in *inode) pageMkwrite(t *lab.Thread, p []byte, pos int64) (bool, error) {
	//mutant:ext4-mkwrite-invalidate-lock delete
	in.invalidateLock.RLock(t)
	//mutant:ext4-mkwrite-invalidate-lock delete
	defer in.invalidateLock.RUnlock(t)
	f := in.cache.GetLocked(t, pos, false)
	if f == nil {
		return false, nil
	}
	defer f.Unlock(t)
	size := in.io.Size()
	//mutant:ext4-mkwrite-eof false
	if f.Pos >= size {
		return true, unix.EFAULT
	}
	if !f.Uptodate(0, f.Size) {
		if err := in.readFolio(t, f); err != nil {
			return true, err
		}
	}
	t.Tracepoint("ext4_page_mkwrite", lab.F("ino", int64(in.ino)), lab.F("lblk", int64(lblkOf(f.Pos))))
	if in.fs.opts.IOMAP {
		// The iomap series' mmap path: iomap_page_mkwrite with the same
		// ops as a write (ext4_iomap_page_mkwrite), the folio locked first.
		if err := iomap.PageMkwrite(t, &in.io, in.iomapWriteOps(), f); err != nil {
			return true, err
		}
	} else {
		if _, err := in.daMapBlocks(t, lblkOf(f.Pos), 1); err != nil {
			return true, err
		}
		f.MarkDirty(0, min(f.Size, size-f.Pos))
	}
	f.SetWritable()
	copy(f.Data[pos-f.Pos:], p)
	return true, nil
}

// mapLoad models loads through a shared mapping (read faults): per page,
// filemap_fault (Linux 6.18) brings the folio uptodate and, with it
// locked, checks i_size again: a page a racing truncate left past EOF is
// SIGBUS (EFAULT), not the zeroes it was just read as.
func (in *inode) mapLoad(t *lab.Thread, p []byte, off int64) error {
	if off < 0 || off+int64(len(p)) > in.io.Size() {
		return unix.EFAULT
	}
	for done := int64(0); done < int64(len(p)); {
		pos := off + done
		f, err := in.getUptodate(t, pos)
		if err != nil {
			return err
		}
		//mutant:ext4-fault-eof false
		if f.Pos >= in.io.Size() {
			f.Unlock(t)
			return unix.EFAULT
		}
		done += int64(copy(p[done:], f.Data[pos-f.Pos:]))
		f.Unlock(t)
	}
	return nil
}
