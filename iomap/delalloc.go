package iomap

import (
	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/pagecache"
)

// PunchFunc removes delalloc extents (and their reservations) from
// [off, off+length), leaving every other extent alone (->punch; XFS:
// xfs_bmap_punch_delalloc_range). It must be atomic against other extent
// changes.
type PunchFunc func(t *lab.Thread, off, length int64) error

// DelallocRelease removes the delalloc a write reserved over
// [start, end) but did not use (iomap_write_delalloc_release), keeping the
// delalloc under dirty data: a page fault may have dirtied folios of the
// range through a shared mapping since the write mapped it, and punching
// their delalloc would lose that data at writeback (generic/346). Dirty
// folios keep their dirty blocks' delalloc; their clean blocks, everything
// between dirty folios, and everything past EOF is punched.
//
// Preconditions: invalidate_lock held exclusively (so no fault can dirty
// the range during the scan); start and end block aligned.
func DelallocRelease(t *lab.Thread, in *Inode, start, end int64, punch PunchFunc) error {
	const bs = pagecache.BlockSize
	if start >= end {
		return nil
	}
	in.Stats.DelallocPunch.Add(1)
	if in.Variant.Has(variant.PunchIgnoresDirty) {
		return punch(t, start, end-start)
	}
	scanEnd := min(end, in.Size())
	punchStart := start
	// Lock every cached folio, dirty or not: a folio whose dirty flag
	// writeback has just cleared is locked until its delalloc is converted,
	// and only then may the range around it be punched.
	for f := range in.Cache.LockedDirty(t, start, scanEnd, pagecache.Any) {
		var err error
		if punchStart < f.Pos {
			err = punch(t, punchStart, f.Pos-punchStart)
		}
		// iomap_write_delalloc_ifs_punch: the folio's clean blocks.
		for b := max(start, f.Pos); err == nil && b < min(end, f.End()); b += bs {
			//mutant:iomap-delalloc-release-keeps-dirty true
			if !f.BlockDirty(int((b - f.Pos) / bs)) {
				err = punch(t, b, bs)
			}
		}
		f.Unlock(t)
		if err != nil {
			return err
		}
		punchStart = f.End()
	}
	if punchStart < end {
		return punch(t, punchStart, end-punchStart)
	}
	return nil
}
