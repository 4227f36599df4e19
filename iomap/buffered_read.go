package iomap

import (
	"iomaplab/lab"
	"iomaplab/pagecache"
)

// ReadFolio makes every block of the locked folio f uptodate, reading
// mapped blocks from the device and zeroing the rest (iomap_read_folio,
// iomap_readpage_iter). Blocks already uptodate are left alone.
func ReadFolio(t *lab.Thread, in *Inode, ops Ops, f *pagecache.Folio) error {
	const bs = pagecache.BlockSize
	if f.Uptodate(0, f.Size) {
		return nil
	}
	it := NewIter(in, ops, f.Pos, f.Size, OpRead)
	for it.Next(t) {
		for n := it.Length(); n > 0; n -= bs {
			b := it.Pos
			off := b - f.Pos
			if !f.Uptodate(off, bs) {
				if needsZeroing(in, &it.Map, b) {
					f.Zero(off, bs)
				} else if err := in.Dev.ReadAt(t, f.Data[off:off+bs], it.Map.AddrAt(b)); err != nil {
					it.SetErr(err)
					break
				}
				f.SetUptodate(off, bs)
			}
			it.Advance(bs)
		}
	}
	return it.Err()
}

// GetUptodate returns the folio holding pos, locked, with the blocks of
// [pos, pos+n) uptodate (filemap_get_pages + filemap_read_folio, or the
// read part of filemap_fault). Preconditions: [pos, pos+n) lies in one folio.
func GetUptodate(t *lab.Thread, in *Inode, ops Ops, pos, n int64) (*pagecache.Folio, error) {
	f := in.Cache.GetLocked(t, pos, true)
	if !f.Uptodate(pos-f.Pos, n) {
		if err := ReadFolio(t, in, ops, f); err != nil {
			f.Unlock(t)
			return nil, err
		}
	}
	return f, nil
}

// BufferedRead reads into p from pos through the page cache (filemap_read).
// It returns fewer bytes only at EOF.
// Preconditions: the caller holds what keeps i_size stable (XFS: i_rwsem shared).
func BufferedRead(t *lab.Thread, in *Inode, ops Ops, p []byte, pos int64) (int, error) {
	const bs = pagecache.BlockSize
	end := min(pos+int64(len(p)), in.Size())
	done := 0
	for pos < end {
		fsz := in.Cache.FolioSize()
		n := min(end, (pos&^(fsz-1))+fsz) - pos
		// Make whole blocks uptodate; copy only the bytes asked for.
		bstart := pos &^ (bs - 1)
		bend := (pos + n + bs - 1) &^ (bs - 1)
		f, err := GetUptodate(t, in, ops, bstart, bend-bstart)
		if err != nil {
			return done, err
		}
		copy(p[done:], f.Data[pos-f.Pos:pos-f.Pos+n])
		f.Unlock(t)
		done += int(n)
		pos += n
	}
	return done, nil
}
