package iomap

import (
	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/pagecache"
)

// WritebackOps are the filesystem's writeback callbacks (struct
// iomap_writeback_ops, with XFS's xfs_imap_valid split out so that iomap
// owns the cached-mapping reuse decision).
type WritebackOps interface {
	// MapBlocks maps pos for writeback, converting delalloc to real blocks
	// (xfs_map_blocks' slow path). The mapping is never Delalloc.
	MapBlocks(t *lab.Thread, pos, length int64) (Mapping, error)
	// ValidWB reports whether a cached writeback mapping is still current
	// (xfs_imap_valid's sequence checks) and the value it compared with.
	// Called with the folio locked.
	ValidWB(t *lab.Thread, m *Mapping) (ok bool, seq uint64)
	// Submit starts the device write of a built ioend; the filesystem calls
	// Ioend.Finish when the I/O (and any unwritten conversion) completes.
	Submit(t *lab.Thread, io *Ioend)
	// Discard cleans up after MapBlocks failed on the locked folio f at pos
	// (->discard_folio: XFS punches the folio's delalloc).
	Discard(t *lab.Thread, f *pagecache.Folio, pos int64)
}

// ContextOps is implemented by WritebackOps that keep state per writeback
// context (XFS's struct xfs_writepage_ctx with its data_seq and cow_seq):
// Writepages calls NewContext once and uses what it returns for that pass.
type ContextOps interface {
	NewContext() WritebackOps
}

// NamedValidator is implemented by WritebackOps whose revalidation checks
// more than one sequence (XFS: the data fork's and the COW fork's): it is
// ValidWB that also names the tracepoint a failed check emits
// (wb_iomap_invalid, wb_cow_iomap_invalid).
type NamedValidator interface {
	ValidWBNamed(t *lab.Thread, m *Mapping) (ok bool, seq uint64, tracepoint string)
}

// Writepages writes back the dirty folios overlapping [start, end)
// (iomap_writepages over writeback_iter). WB_SYNC_NONE (syncAll false) skips
// folios already under writeback; WB_SYNC_ALL waits for them. It does not
// wait for the I/O it starts (see WaitRange, WriteAndWait). It visits the
// folios pagecache.WritebackFolios yields (writeback_iter): a WB_SYNC_ALL
// pass only those dirty when it began, and no pass goes back to an index
// its batched lookup has passed, so a folio truncated and instantiated
// again behind the pass waits for the next pass, whose context maps afresh
// (explore-truncate-cow-writeback).
//
// The writeback context caches the last mapping across folios and reuses
// it only after revalidating it with the folio locked: between two folios,
// a punch can free the blocks it names and a page fault can re-dirty the
// range over new delalloc (writeback-stale-punch).
func Writepages(t *lab.Thread, in *Inode, wb WritebackOps, start, end int64, syncAll bool) error {
	if c, ok := wb.(ContextOps); ok {
		wb = c.NewContext()
	}
	w := wbCtx{in: in, ops: wb}
	var firstErr error
	folios := in.Cache.WritebackFolios(t, start, end, syncAll)
	for f := range folios {
		if f.Writeback() {
			if !syncAll {
				f.Unlock(t)
				continue
			}
			//mutant:iomap-wb-sync-wait delete
			f.WaitWriteback(t)
		}
		if !f.ClearDirtyForIO() {
			f.Unlock(t)
			continue
		}
		if err := w.writeFolio(t, f); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	w.submit(t)
	return firstErr
}

// WaitRange waits for the writeback of every folio overlapping [start, end)
// (filemap_fdatawait_range).
func WaitRange(t *lab.Thread, in *Inode, start, end int64) {
	for pos := start; pos < end; {
		f := in.Cache.Next(t, pos, end, pagecache.Writeback)
		if f == nil {
			return
		}
		//mutant:iomap-wait-range delete
		f.WaitWriteback(t)
		pos = f.End()
	}
}

// WriteAndWait writes back [start, end) with WB_SYNC_ALL and waits for it
// (filemap_write_and_wait_range).
func WriteAndWait(t *lab.Thread, in *Inode, wb WritebackOps, start, end int64) error {
	err := Writepages(t, in, wb, start, end, true)
	WaitRange(t, in, start, end)
	return err
}

// wbCtx is struct iomap_writepage_ctx: the cached mapping and the ioend
// being built.
type wbCtx struct {
	in    *Inode
	ops   WritebackOps
	m     Mapping
	valid bool
	io    *Ioend
}

// writeFolio writes back one locked folio whose dirty flag was just cleared
// and unlocks it (iomap_writepage_map).
func (w *wbCtx) writeFolio(t *lab.Thread, f *pagecache.Folio) error {
	const bs = pagecache.BlockSize
	defer f.Unlock(t)
	size := w.in.Size()
	endPos := f.End()
	if endPos > size {
		// iomap_writepage_handle_eof: a folio entirely past EOF (a
		// truncate that set i_size is on its way to drop it) is not
		// written; the EOF folio's tail past i_size goes out as zeroes,
		// from offset_in_folio(folio, isize), and only up to i_size.
		//mutant:iomap-wb-handle-eof false
		if f.Pos >= size {
			f.ClearBlocksDirty(0, f.Size)
			return nil
		}
		poff := size & (f.Size - 1)
		f.Zero(poff, f.Size-poff)
		endPos = size
	}
	blkEnd := min((endPos+bs-1)&^(bs-1), f.End())
	f.StartWriteback()
	var err error
	for pos := f.Pos; pos < blkEnd && err == nil; {
		if !f.BlockDirty(int((pos - f.Pos) / bs)) {
			pos += bs
			continue
		}
		re := pos + bs
		for re < blkEnd && f.BlockDirty(int((re-f.Pos)/bs)) {
			re += bs
		}
		for pos < re {
			var m Mapping
			if m, err = w.mapBlocks(t, pos, re-pos); err != nil {
				w.ops.Discard(t, f, pos)
				break
			}
			n := min(re, m.End()) - pos
			switch m.Type {
			case Mapped, Unwritten:
				w.add(t, f, pos, n, &m)
			case Delalloc:
				panic("iomap: MapBlocks returned delalloc " + m.String())
			}
			pos += n
		}
	}
	f.ClearBlocksDirty(0, f.Size)
	w.in.Stats.WBFolios.Add(1)
	f.EndWriteback(t) // the bias reference of StartWriteback
	return err
}

// mapBlocks returns a mapping of pos for writeback, reusing the cached one
// only if it still validates (xfs_map_blocks' fast path).
func (w *wbCtx) mapBlocks(t *lab.Thread, pos, length int64) (Mapping, error) {
	if err := t.Point("iomap.wb.map_blocks"); err != nil {
		return Mapping{}, err
	}
	if w.valid && w.m.Contains(pos) {
		ok, seq, tracepoint := w.validWB(t)
		//mutant:iomap-wb-valid true
		if ok {
			return w.m, nil
		}
		if w.in.Variant.Has(variant.WBNoValidate) {
			t.Tracepoint("wb_stale_reached", lab.F("ino", w.in.Ino), lab.F("off", pos),
				lab.F("cookie", int64(w.m.Cookie)), lab.F("seq", int64(seq)))
			return w.m, nil
		}
		w.in.Stats.WBInvalid.Add(1)
		t.Tracepoint(tracepoint, lab.F("ino", w.in.Ino), lab.F("off", w.m.Offset),
			lab.F("len", w.m.Length), lab.F("cookie", int64(w.m.Cookie)), lab.F("seq", int64(seq)))
	}
	m, err := w.ops.MapBlocks(t, pos, length)
	if err != nil {
		w.valid = false
		return Mapping{}, err
	}
	w.m, w.valid = m, true
	return m, nil
}

// validWB revalidates the cached mapping and names the tracepoint of a
// failed check.
func (w *wbCtx) validWB(t *lab.Thread) (bool, uint64, string) {
	if v, ok := w.ops.(NamedValidator); ok {
		return v.ValidWBNamed(t, &w.m)
	}
	ok, seq := w.ops.ValidWB(t, &w.m)
	return ok, seq, "wb_iomap_invalid"
}

// maxIoend bounds an ioend's size (the kernel's bio chain batching).
const maxIoend = 4 << 20

// add appends [pos, pos+n) of the locked folio f to the ioend being built,
// starting a new one when it cannot merge (iomap_add_to_ioend; a shared
// and an unshared mapping never merge, as iomap_can_add_to_ioend checks).
func (w *wbCtx) add(t *lab.Thread, f *pagecache.Folio, pos, n int64, m *Mapping) {
	addr := m.AddrAt(pos)
	shared := m.Flags & FlagShared
	if io := w.io; io == nil || io.Type != m.Type || io.Flags != shared || pos != io.Offset+io.Length ||
		addr != io.Addr+io.Length || io.Length+n > maxIoend {
		w.submit(t)
		w.io = &Ioend{Ino: w.in.Ino, Type: m.Type, Flags: shared, Offset: pos, Addr: addr}
	}
	io := w.io
	off := pos - f.Pos
	io.Data = append(io.Data, f.Data[off:off+n]...)
	io.Length += n
	f.GetWriteback()
	io.folios = append(io.folios, f)
}

func (w *wbCtx) submit(t *lab.Thread) {
	if w.io != nil {
		io := w.io
		w.io = nil
		w.ops.Submit(t, io)
	}
}

// Ioend is a contiguous run of written-back file data headed for one
// device range (struct iomap_ioend).
type Ioend struct {
	Ino  int64
	Type Type // Mapped or Unwritten: Unwritten needs conversion at completion
	// Flags holds FlagShared when the ioend writes COW staging blocks
	// (IOMAP_IOEND_SHARED): its completion remaps them into the file.
	Flags  Flags
	Offset int64 // file offset
	Length int64
	Addr   int64  // device byte address of Offset
	Data   []byte // the folio contents, copied under the folio locks
	folios []*pagecache.Folio
}

// Finish ends writeback of the ioend's folio ranges (iomap_finish_ioend);
// the filesystem calls it once the I/O and any conversion are done.
func (io *Ioend) Finish(t *lab.Thread) {
	for _, f := range io.folios {
		f.EndWriteback(t)
	}
	io.folios = nil
}
