package pagecache

import (
	"fmt"
	"sync/atomic"

	"iomaplab/lab"
)

// BlockSize is the filesystem block size; PageSize the base folio size.
const (
	BlockSize    = 4096
	PageSize     = 4096
	MaxFolioSize = 2 << 20
)

// Folio is FolioSize bytes of one file at Pos (struct folio with its
// iomap_folio_state).
type Folio struct {
	// Pos is the file offset of the first byte; Size the folio size. Both
	// are fixed for the folio's life.
	Pos  int64
	Size int64
	// Lock is the folio lock (PG_locked).
	Lock lab.BitLock
	// Data is the folio's memory. Guarded by Lock.
	Data []byte

	uptodate blockBits // guarded by Lock
	dirtyBlk blockBits // guarded by Lock
	writable bool      // guarded by Lock: a shared mapping may store without a fault
	wrprot   bool      // guarded by Lock: writeback write-protected a writable folio

	dirty     atomic.Bool  // PG_dirty; changed under Lock
	writeback atomic.Bool  // PG_writeback; set under Lock, cleared at I/O completion
	wbRefs    atomic.Int32 // writeback references: a bias plus one per ioend range
	removed   atomic.Bool  // folio->mapping == NULL; set under Lock
	towrite   atomic.Bool  // PAGECACHE_TAG_TOWRITE: a WB_SYNC_ALL pass will write it

	cache *Cache
}

// End is the first byte past the folio.
func (f *Folio) End() int64 { return f.Pos + f.Size }

func (f *Folio) String() string {
	return fmt.Sprintf("folio[%d,%d)", f.Pos, f.End())
}

// Contains reports whether file offset pos lies in the folio.
func (f *Folio) Contains(pos int64) bool { return pos >= f.Pos && pos < f.End() }

// blocks returns the first and last block index (within the folio) that
// bytes [off, off+n) of the folio touch. Preconditions: n > 0.
func (f *Folio) blocks(off, n int64) (int, int) {
	if off < 0 || n <= 0 || off+n > f.Size {
		panic(fmt.Sprintf("pagecache: range [%d,+%d) outside %v", off, n, f))
	}
	return int(off / BlockSize), int((off + n - 1) / BlockSize)
}

// NumBlocks is the number of blocks in the folio.
func (f *Folio) NumBlocks() int { return int(f.Size / BlockSize) }

// Uptodate reports whether bytes [off, off+n) of the folio (off relative to
// Pos) are all in uptodate blocks (ifs_is_fully_uptodate for the range).
// Preconditions: folio locked.
func (f *Folio) Uptodate(off, n int64) bool {
	a, b := f.blocks(off, n)
	return f.uptodate.all(a, b)
}

// BlockUptodate reports whether block i of the folio is uptodate.
func (f *Folio) BlockUptodate(i int) bool { return f.uptodate.test(i) }

// SetUptodate marks the blocks of [off, off+n) uptodate (ifs_set_range_uptodate).
// Preconditions: folio locked; the bytes hold the file's data.
func (f *Folio) SetUptodate(off, n int64) {
	a, b := f.blocks(off, n)
	f.uptodate.setRange(a, b)
}

// MarkDirty marks the blocks of [off, off+n) dirty and the folio dirty
// (iomap_dirty_folio / ifs_set_range_dirty + filemap_dirty_folio).
// Preconditions: folio locked.
func (f *Folio) MarkDirty(off, n int64) {
	a, b := f.blocks(off, n)
	f.dirtyBlk.setRange(a, b)
	f.dirty.Store(true)
}

// BlockDirty reports whether block i of the folio is dirty. Preconditions:
// folio locked.
func (f *Folio) BlockDirty(i int) bool { return f.dirtyBlk.test(i) }

// ClearBlocksDirty clears the dirty bits of the blocks of [off, off+n)
// (ifs_clear_range_dirty); the folio's dirty flag is left alone.
// Preconditions: folio locked.
func (f *Folio) ClearBlocksDirty(off, n int64) {
	a, b := f.blocks(off, n)
	f.dirtyBlk.clearRange(a, b)
}

// AnyBlockDirty reports whether any block of [off, off+n) is dirty.
func (f *Folio) AnyBlockDirty(off, n int64) bool {
	a, b := f.blocks(off, n)
	return f.dirtyBlk.any(a, b)
}

// Dirty reports PG_dirty (safe without the folio lock).
func (f *Folio) Dirty() bool { return f.dirty.Load() }

// Writeback reports PG_writeback (safe without the folio lock).
func (f *Folio) Writeback() bool { return f.writeback.Load() }

// Removed reports whether the folio left its cache (truncated or reclaimed).
func (f *Folio) Removed() bool { return f.removed.Load() }

// Writable reports whether a shared mapping may store into the folio
// without calling ->page_mkwrite. Preconditions: folio locked.
func (f *Folio) Writable() bool { return f.writable }

// SetWritable records that the fault path made the folio writable in a
// shared mapping (after ->page_mkwrite). Preconditions: folio locked.
func (f *Folio) SetWritable() { f.writable, f.wrprot = true, false }

// WriteProtected reports whether writeback write-protected the folio after
// a shared mapping had made it writable, so that this fault is the
// write-protect -> page_mkwrite transition. Preconditions: folio locked.
func (f *Folio) WriteProtected() bool { return f.wrprot }

// ClearDirtyForIO clears PG_dirty and write-protects the folio's mappings
// (folio_clear_dirty_for_io, page_mkclean), returning whether the folio was
// dirty. The per-block dirty bits stay for the writeback to walk.
// Preconditions: folio locked.
func (f *Folio) ClearDirtyForIO() bool {
	if f.writable {
		f.writable, f.wrprot = false, true
	}
	return f.dirty.Swap(false)
}

// StartWriteback sets PG_writeback and clears the TOWRITE tag
// (folio_start_writeback) and takes the writeback bias reference that the
// writeback drops with EndWriteback once it has added the folio's ranges
// to ioends.
// Preconditions: folio locked, not under writeback.
func (f *Folio) StartWriteback() {
	if f.writeback.Swap(true) {
		panic(fmt.Sprintf("pagecache: %v already under writeback", f))
	}
	f.towrite.Store(false)
	f.wbRefs.Store(1)
}

// GetWriteback takes a writeback reference for one ioend range (the
// ifs->write_bytes_pending count). Preconditions: under writeback.
func (f *Folio) GetWriteback() { f.wbRefs.Add(1) }

// EndWriteback drops a writeback reference; the last one clears
// PG_writeback and wakes its waiters (folio_end_writeback). It runs at I/O
// completion, without the folio lock.
func (f *Folio) EndWriteback(t *lab.Thread) {
	switch n := f.wbRefs.Add(-1); {
	case n > 0:
		return
	case n < 0:
		panic(fmt.Sprintf("pagecache: %v not under writeback", f))
	}
	f.writeback.Store(false)
	f.cache.wbWait.Wake(t)
}

// WaitWriteback waits until the folio is not under writeback
// (folio_wait_writeback).
func (f *Folio) WaitWriteback(t *lab.Thread) {
	if !f.writeback.Load() {
		return
	}
	f.cache.wbWait.Wait(t, func() bool { return !f.writeback.Load() })
}

// Unlock unlocks the folio (folio_unlock).
func (f *Folio) Unlock(t *lab.Thread) { f.Lock.Unlock(t) }

// Zero zeroes bytes [off, off+n) of the folio (folio_zero_range).
// Preconditions: folio locked.
func (f *Folio) Zero(off, n int64) {
	if n > 0 {
		clear(f.Data[off : off+n])
	}
}
