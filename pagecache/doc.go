// Package pagecache models the Linux page cache of one inode (struct
// address_space): an ordered index of folios, each with its folio lock
// (PG_locked), per-block uptodate and dirty bits (struct iomap_folio_state),
// the folio-level dirty flag (PG_dirty, the dirty tag), the writeback flag
// (PG_writeback) with its wait queue, and whether user mappings may store to
// it without a fault (the pte write bit, cleared by folio_clear_dirty_for_io
// so that the next mmap store calls ->page_mkwrite again).
//
// Nouns:
//   - Cache: one inode's folios, indexed by file position. All folios of a
//     Cache have the same size: 4 KiB by default, or a power of two up to
//     2 MiB (large folios, a mount option of the models).
//   - Folio: FolioSize bytes of file data at a FolioSize-aligned Pos.
//
// Locking (order): Folio.Lock -> Cache's i_pages lock (the xa_lock; held only
// inside this package, never across a call out). Folio data, the per-block
// bits and Writable are guarded by the folio lock. The dirty and writeback
// flags and Removed are atomics so that lookups (the dirty tag walk of
// writeback, reclaim) may test them without the folio lock, as the kernel
// does; they change only with the folio lock held, except EndWriteback which,
// as folio_end_writeback, runs from I/O completion without it.
//
// A folio looked up without its lock may be removed (truncated, reclaimed)
// before the caller locks it; GetLocked and the writeback helpers recheck
// Removed after locking, as the kernel rechecks folio->mapping.
package pagecache
