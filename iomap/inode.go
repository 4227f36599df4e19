package iomap

import (
	"sync/atomic"

	"iomaplab/fsmodel/variant"
	"iomaplab/pagecache"
)

// Inode is the part of a VFS inode iomap works on.
type Inode struct {
	Ino   int64
	Cache *pagecache.Cache
	Dev   BlockReader
	// Variant holds the mutations of iomap's own checks (NoValidate,
	// WBNoValidate, PunchIgnoresDirty, ZeroSkipsDirtyUnwritten).
	Variant variant.Variant
	// Stats counts what iomap did to this inode.
	Stats Stats

	size atomic.Int64 // i_size: i_size_read / i_size_write
}

// Size is i_size (i_size_read).
func (in *Inode) Size() int64 { return in.size.Load() }

// SetSize sets i_size (i_size_write). Callers serialise writers of i_size
// (i_rwsem, or the folio lock of the EOF folio for extending writes).
func (in *Inode) SetSize(n int64) { in.size.Store(n) }

// Stats are per-inode event counters, safe to read at any time.
type Stats struct {
	Remaps         atomic.Int64 // stale mappings mapped again (iomap_remap)
	Invalid        atomic.Int64 // write-side stale verdicts (iomap_invalid)
	WBInvalid      atomic.Int64 // writeback stale verdicts (wb_iomap_invalid)
	StaleReached   atomic.Int64 // folio locked with a stale mapping, validation off
	Mkwrite        atomic.Int64 // page_mkwrite calls
	MkwriteAfterWB atomic.Int64 // page_mkwrite on a folio write-protected by writeback
	ZeroFlushes    atomic.Int64 // zero range flush-and-stale
	DelallocPunch  atomic.Int64 // delalloc release punches
	WBFolios       atomic.Int64 // folios written back
	Livelocks      atomic.Int64 // operations stopped by the livelock oracle (free runs)
}
