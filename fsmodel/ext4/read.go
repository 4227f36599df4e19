package ext4

import (
	"golang.org/x/sys/unix"

	"iomaplab/extent"
	"iomaplab/lab"
	"iomaplab/pagecache"
)

// read is filemap_read: per folio, find it uptodate or read it in.
func (in *inode) read(t *lab.Thread, p []byte, off int64) (int, error) {
	size := in.io.Size()
	if off >= size {
		return 0, nil
	}
	n := min(int64(len(p)), size-off)
	var done int64
	for done < n {
		pos := off + done
		f, err := in.getUptodate(t, pos)
		if err != nil {
			return int(done), err
		}
		c := int64(copy(p[done:n], f.Data[pos-f.Pos:]))
		f.Unlock(t)
		done += c
	}
	return int(done), nil
}

// getUptodate returns the folio holding pos, locked and uptodate, reading
// it in if needed (filemap_get_pages / filemap_fault). A folio is
// instantiated under invalidate_lock shared (filemap_create_folio), so that
// punch and truncate, which hold it exclusively, see no new folios.
func (in *inode) getUptodate(t *lab.Thread, pos int64) (*pagecache.Folio, error) {
	if f := in.cache.GetLocked(t, pos, false); f != nil {
		if f.Uptodate(0, f.Size) {
			return f, nil
		}
		f.Unlock(t)
	}
	in.invalidateLock.RLock(t)
	defer in.invalidateLock.RUnlock(t)
	f := in.cache.GetLocked(t, pos, true)
	if !f.Uptodate(0, f.Size) {
		if err := in.readFolio(t, f); err != nil {
			f.Unlock(t)
			return nil, err
		}
	}
	return f, nil
}

// readFolio is ext4_read_folio (ext4_mpage_readpages) for a one-block
// folio: map the block without allocating; written blocks are read from
// the device, everything else (hole, unwritten, delayed, past EOF) reads as
// zeroes.
//
// Preconditions: folio locked.
func (in *inode) readFolio(t *lab.Thread, f *pagecache.Folio) error {
	m := mapping{state: extent.Hole}
	if f.Pos < in.io.Size() {
		var err error
		if m, err = in.mapBlocks(t, lblkOf(f.Pos), 1, 0); err != nil {
			return err
		}
	}
	if err := in.fillBlock(t, f, m); err != nil {
		return err
	}
	f.SetUptodate(0, f.Size)
	return nil
}

// fillBlock makes the folio's memory hold the block's on-disk content:
// read for a written block, zeroes otherwise.
//
// Preconditions: folio locked.
func (in *inode) fillBlock(t *lab.Thread, f *pagecache.Folio, m mapping) error {
	if m.state != extent.Written {
		f.Zero(0, f.Size)
		return nil
	}
	if err := in.fs.dev.Read(t, m.pblkAt(lblkOf(f.Pos)), f.Data); err != nil {
		return unix.EIO
	}
	return nil
}
