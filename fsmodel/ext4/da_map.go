package ext4

import (
	"iomaplab/extent"
	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
)

// daMap is what ext4_da_map_blocks returns: the mapping, the i_es_seq
// sampled with it (the iomap validity cookie) and whether this call
// inserted the delayed blocks (IOMAP_F_NEW).
type daMap struct {
	mapping
	seq      uint64
	inserted bool
}

// daMapBlocks is ext4_da_map_blocks as Linux 6.18 has it (the re-check of
// 0ea6560abb3b, in since 6.10; ext4_insert_delayed_blocks for a range,
// 6.11), from lblk, for at most maxLen blocks:
// one block as ext4_da_get_block_prep calls it from ext4_da_write_begin
// (i_rwsem and the folio lock held) and from ext4_page_mkwrite
// (invalidate_lock shared and the folio lock held), or a whole range as the
// iomap path's ext4_iomap_buffered_write_begin calls it (i_rwsem held, no
// folio lock).
//
// The extent status lookup is "lockless": it holds only i_es_lock, not
// i_data_sem. On a hole it inserts delayed blocks under i_data_sem
// exclusive. Neither legacy caller holds a lock that fallocate takes
// (ext4_do_fallocate holds only i_rwsem, in 6.8 and 6.18 alike; 6.8's zero
// range preallocates its edges the same way), so page_mkwrite can race it:
//
//	ext4_page_mkwrite()             ext4_fallocate()
//	 ext4_da_map_blocks()
//	  // finds a hole (after_lookup)
//	                                 ext4_alloc_file_blocks()
//	                                  ext4_map_blocks()
//	                                   // allocates an unwritten extent
//	  // before_insert
//	  ext4_insert_delayed_block()
//	   ext4_da_reserve_space()       // one more reserved block
//	   ext4_es_insert_delayed_block() // replaces the unwritten entry
//
// and on the iomap path, which maps before locking any folio, a buffered
// write races page_mkwrite the same way (generic/344, 346): both find the
// hole, both insert, one reservation too many. Upstream 0ea6560abb3b closes
// both by looking again under i_data_sem (exclusive) before inserting;
// variant.Ext4NoRecheck is the code before it, and so is
// variant.Ext4Linux68 (6.8 predates the fix).
//
// Points: ext4.da_map.after_lookup, ext4.da_map.before_insert. Tracepoint
// ext4_da_map_race_reached (ino, lblk, len) is reachability evidence,
// whatever the variant: once i_data_sem is held for the insert, part of the
// hole the lockless lookup found is a hole no more. Tracepoint
// ext4_es_lookup_extent (ino, lblk, len: the blocks asked for, status of
// lblk's entry: 0 none, 1 hole, 2 delayed, 3 unwritten, 4 written).
func (in *inode) daMapBlocks(t *lab.Thread, lblk, maxLen uint64) (daMap, error) {
	e, ok, seq := in.esLookupSeq(t, lblk)
	status := esNone
	if ok {
		status = e.status
	}
	t.Tracepoint("ext4_es_lookup_extent", lab.F("ino", int64(in.ino)), lab.F("lblk", int64(lblk)),
		lab.F("len", int64(maxLen)), lab.F("status", int64(status)))
	note(t, "  ext4_es_lookup_extent(lblk %d): %v", lblk, status)
	t.Point("ext4.da_map.after_lookup")
	var hole mapping
	switch {
	case ok && e.status != esHole:
		return daMap{mapping: fromES(e, lblk, maxLen), seq: seq}, nil
	case ok:
		hole = fromES(e, lblk, maxLen)
	default:
		in.iDataSem.RLock(t)
		hole = in.extQuery(t, lblk, maxLen)
		seq = in.esSeq.Load()
		in.iDataSem.RUnlock(t)
		if hole.state.Physical() {
			return daMap{mapping: hole, seq: seq}, nil
		}
		// The on-disk hole does not know the delayed blocks after lblk
		// (ext4_ext_determine_insert_hole stops at them).
		hole.len = min(hole.len, in.esNextEntry(t, lblk)-lblk)
	}
	// add_delayed:
	t.Point("ext4.da_map.before_insert")
	//mutant:ext4-da-insert-i-data-sem delete
	in.iDataSem.Lock(t)
	//mutant:ext4-da-insert-i-data-sem delete
	defer in.iDataSem.Unlock(t)
	if in.holeFilledLocked(extent.Range{Start: lblk, End: lblk + hole.len}) {
		t.Tracepoint("ext4_da_map_race_reached", lab.F("ino", int64(in.ino)), lab.F("lblk", int64(lblk)),
			lab.F("len", int64(hole.len)))
	}
	if !in.fs.opts.Variant.Has(variant.Ext4NoRecheck) && !in.linux68() {
		// 0ea6560abb3b: check the extent status again, now that nothing
		// can allocate or insert behind our back.
		//mutant:ext4-da-map-recheck false
		if m, found := in.daRecheck(t, lblk, maxLen); found {
			return m, nil
		}
		// The hole may have shrunk: stop at the next entry (delayed blocks
		// inserted meanwhile are not in the on-disk tree).
		hole.len = min(hole.len, in.esNextEntry(t, lblk)-lblk)
	}
	r := extent.Range{Start: lblk, End: lblk + hole.len}
	cookie := in.esSeq.Load()
	if err := in.insertDelayedBlocks(t, r); err != nil {
		return daMap{}, err
	}
	if !in.fs.opts.Variant.Has(variant.CookieBeforeInsert) {
		//mutant:ext4-cookie-after-insert delete
		cookie = in.esSeq.Load()
	}
	return daMap{mapping: mapping{lblk: lblk, len: r.Len(), state: extent.Delalloc}, seq: cookie, inserted: true}, nil
}

// daRecheck is 0ea6560abb3b's second look, under i_data_sem exclusive: an
// entry that is no longer a hole, or (no entry) blocks the on-disk tree
// now maps, are returned as found.
//
// Preconditions: i_data_sem held exclusively.
func (in *inode) daRecheck(t *lab.Thread, lblk, maxLen uint64) (daMap, bool) {
	if e, ok, seq := in.esLookupSeq(t, lblk); ok {
		return daMap{mapping: fromES(e, lblk, maxLen), seq: seq}, e.status != esHole
	}
	m := in.extQuery(t, lblk, maxLen)
	return daMap{mapping: m, seq: in.esSeq.Load()}, m.state.Physical()
}

// insertDelayedBlocks is ext4_insert_delayed_block(s) without bigalloc:
// reserve the blocks of r, then record them delayed in the extent status
// tree.
//
// Preconditions: i_data_sem held exclusively.
func (in *inode) insertDelayedBlocks(t *lab.Thread, r extent.Range) error {
	if err := in.daReserveSpace(t, r.Start, r.Len()); err != nil {
		return err
	}
	in.esInsertDelayed(t, r)
	return nil
}

// holeFilledLocked reports whether any block of r, which the lockless
// lookup found to be a hole, now has a non-hole extent status entry or an
// on-disk extent: another thread got into the window. It reads the trees
// without i_es_lock, which is safe because every writer of either holds
// i_data_sem.
//
// Preconditions: i_data_sem held exclusively.
func (in *inode) holeFilledLocked(r extent.Range) bool {
	for _, e := range in.es.overlapping(r) {
		if e.status != esHole {
			return true
		}
	}
	return len(in.ext.Extents(r)) > 0
}
