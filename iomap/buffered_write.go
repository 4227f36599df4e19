package iomap

import (
	"syscall"

	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/pagecache"
	"iomaplab/vfs"
)

// BufferedWrite writes buf.Data at pos through the page cache
// (iomap_file_buffered_write). It returns the bytes written; a short count
// comes with the error that stopped it (EFAULT when the source faulted
// before anything was copied in a chunk).
//
// Preconditions: the caller holds i_rwsem exclusively and has done the
// write checks (zeroing any gap past the old EOF).
func BufferedWrite(t *lab.Thread, in *Inode, ops Ops, buf vfs.Buffer, pos int64) (int64, error) {
	if len(buf.Data) == 0 {
		return 0, nil
	}
	w := writer{buf: buf, base: pos}
	it := NewIter(in, ops, pos, int64(len(buf.Data)), OpWrite)
	it.AfterBegin = "iomap.write.after_begin"
	for it.Next(t) {
		w.iter(t, it)
	}
	return it.Pos - pos, it.Err()
}

// writer is one buffered write's user source (the iov_iter).
type writer struct {
	buf     vfs.Buffer
	base    int64 // file offset of buf.Data[0]
	stalled bool  // the userfaultfd stall happened (it happens once)
}

// iter copies into the folios of one mapping (iomap_write_iter). Per chunk
// (a folio): prefault the source, lock the folio and validate the mapping
// (writeBegin), copy, mark dirty, unlock. A stale mapping ends the mapping's
// loop with no progress on that chunk; Next then maps the rest again.
func (w *writer) iter(t *lab.Thread, it *Iter) {
	in := it.In
	chunk := in.Cache.FolioSize()
	limit := chunk // shrinks after a short copy into a non-uptodate folio
	for it.Length() > 0 {
		pos := it.Pos
		bytes := min(chunk-(pos&(chunk-1)), it.Length(), limit)
		src := pos - w.base

		// fault_in_iov_iter_readable: the mapping is cached, no lock is held.
		if err := t.Point("iomap.write.prefault"); err != nil {
			it.SetErr(err)
			return
		}
		if s := w.buf.StallAt; s != vfs.NoOffset && !w.stalled && s >= src && s < src+bytes {
			w.stalled = true
			t.Park("iomap.write.prefault")
		}
		readable := bytes
		if f := w.buf.FaultAt; f != vfs.NoOffset && f < src+bytes {
			readable = f - src
			if readable <= 0 {
				it.SetErr(syscall.EFAULT)
				return
			}
		}

		f, err := writeBegin(t, it, pos, bytes)
		if err != nil {
			it.SetErr(err)
			return
		}
		if f == nil {
			return // stale: remap the rest
		}
		off := pos - f.Pos
		copied := int64(copy(f.Data[off:off+readable], w.buf.Data[src:src+readable]))
		written := writeEnd(t, it, f, pos, bytes, copied)
		f.Unlock(t)
		if written == 0 {
			// iomap_write_failed: drop what the failed chunk created past EOF,
			// then retry the part of the chunk the source can supply.
			//mutant:iomap-write-failed-truncate false
			if size := in.Size(); pos+bytes > size {
				end := (pos + bytes + pagecache.BlockSize - 1) &^ (pagecache.BlockSize - 1)
				in.Cache.TruncateRange(t, max(pos, size), end)
			}
			limit = copied
			continue
		}
		limit = chunk
		it.Advance(written)
	}
}

// writeBegin locks the folio for [pos, pos+n) and checks that the cached
// mapping is still valid (iomap_write_begin). It returns nil, nil after a
// stale verdict, with the mapping flagged STALE and the folio released
// untouched. Otherwise the folio is locked and the blocks the write only
// partly covers are zeroed or read (__iomap_write_begin).
//
// Why validate here: between Begin and this folio lock, writeback may have
// converted the extent (unwritten -> written, delalloc -> real) and reclaim
// may have evicted the folio. A stale UNWRITTEN mapping would then zero a
// block that now holds data on disk (xfs/559).
func writeBegin(t *lab.Thread, it *Iter, pos, n int64) (*pagecache.Folio, error) {
	in := it.In
	f := in.Cache.GetLocked(t, pos, true)
	if err := t.Point("iomap.write.before_valid"); err != nil {
		f.Unlock(t)
		return nil, err
	}
	if it.valid != nil {
		//mutant:iomap-write-valid false
		if ok, seq := it.valid.Valid(t, &it.Map); !ok {
			if !in.Variant.Has(variant.NoValidate) {
				it.Map.Flags |= FlagStale
				in.Stats.Invalid.Add(1)
				t.Tracepoint("iomap_invalid", lab.F("ino", in.Ino), lab.F("off", it.Map.Offset),
					lab.F("len", it.Map.Length), lab.F("cookie", int64(it.Map.Cookie)), lab.F("seq", int64(seq)))
				f.Unlock(t)
				return nil, nil
			}
			// no-validate: the verdict is ignored; record that the window was reached.
			in.Stats.StaleReached.Add(1)
			t.Tracepoint("iomap_stale_reached", lab.F("ino", in.Ino), lab.F("off", pos),
				lab.F("cookie", int64(it.Map.Cookie)), lab.F("seq", int64(seq)))
		}
	}
	if err := t.Point("iomap.write.after_valid"); err != nil {
		f.Unlock(t)
		return nil, err
	}
	if err := prepareBlocks(t, in, &it.Map, f, pos, n); err != nil {
		f.Unlock(t)
		return nil, err
	}
	return f, nil
}

// needsZeroing reports whether the block at pos must be zeroed rather than
// read (iomap_block_needs_zeroing).
func needsZeroing(in *Inode, m *Mapping, pos int64) bool {
	return m.Type != Mapped || m.Flags&FlagNew != 0 || pos >= in.Size()
}

// prepareBlocks makes the blocks of f that [pos, pos+n) touches but does not
// cover wholly uptodate, zeroing or reading each (__iomap_write_begin,
// Linux 6.18, with the short-copy fix below).
//
// A block to be zeroed is zeroed whole, the write's own range included,
// before it is marked uptodate: the copy that follows may come up short (a
// fault in the user buffer), and writeEnd then accepts it because the
// block is uptodate, so whatever the write did not copy must already read
// as zeroes. 6.18 up to at least 7.2 zero only the parts outside the write
// (folio_zero_segments(folio, poff, from, to, poff + plen)) and leave the
// uncopied bytes holding the folio's previous memory; that is the
// short-copy-stale variant.
func prepareBlocks(t *lab.Thread, in *Inode, m *Mapping, f *pagecache.Folio, pos, n int64) error {
	const bs = pagecache.BlockSize
	for b := pos &^ (bs - 1); b < pos+n; b += bs {
		off := b - f.Pos
		if f.Uptodate(off, bs) || (pos <= b && b+bs <= pos+n) {
			continue
		}
		if needsZeroing(in, m, b) {
			from, to := max(pos, b)-f.Pos, min(pos+n, b+bs)-f.Pos
			//mutant:iomap-write-begin-zero-whole-block delete
			if !in.Variant.Has(variant.ShortCopyStale) {
				from = to // zero the whole block
			}
			f.Zero(off, from-off)
			f.Zero(to, off+bs-to)
		} else if err := in.Dev.ReadAt(t, f.Data[off:off+bs], m.AddrAt(b)); err != nil {
			return err
		}
		f.SetUptodate(off, bs)
	}
	return nil
}

// writeEnd finishes the copy of copied of n bytes at pos into the locked
// folio f (iomap_write_end): it marks the bytes uptodate and dirty and
// extends i_size. A short copy into blocks that were not uptodate counts
// as nothing copied, since the rest of those blocks holds garbage.
func writeEnd(t *lab.Thread, it *Iter, f *pagecache.Folio, pos, n, copied int64) int64 {
	off := pos - f.Pos
	//mutant:iomap-write-end-short-copy false
	if copied < n && !f.Uptodate(off, n) {
		return 0
	}
	if copied == 0 {
		return 0
	}
	f.SetUptodate(off, copied)
	f.MarkDirty(off, copied)
	if in := it.In; pos+copied > in.Size() {
		in.SetSize(pos + copied)
		it.Map.Flags |= FlagSizeChanged
	}
	return copied
}
