package ext4

import (
	"iomaplab/extent"
	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
)

// daMapBlocks is ext4_da_map_blocks for one block, as ext4_da_get_block_prep
// calls it from ext4_da_write_begin (i_rwsem and the folio lock held) and
// from ext4_page_mkwrite (invalidate_lock shared and the folio lock held).
//
// The extent status lookup is "lockless": it holds only i_es_lock, not
// i_data_sem. On a hole it inserts a delayed block under i_data_sem
// exclusive. Neither caller holds a lock that fallocate takes (6.8-era
// fallocate holds only i_rwsem), so page_mkwrite can race it:
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
// Upstream 0ea6560abb3b closes it by looking again under i_data_sem
// (exclusive) before inserting; variant.Ext4NoRecheck is the code before it.
//
// Points: ext4.da_map.after_lookup, ext4.da_map.before_insert. Tracepoint
// ext4_es_lookup_extent (ino, lblk, status: 0 no entry, 1 hole, 2 delayed,
// 3 unwritten, 4 written).
func (in *inode) daMapBlocks(t *lab.Thread, lblk uint64) (mapping, error) {
	e, ok := in.esLookup(t, lblk)
	status := esNone
	if ok {
		status = e.status
	}
	t.Tracepoint("ext4_es_lookup_extent", lab.F("ino", int64(in.ino)), lab.F("lblk", int64(lblk)), lab.F("status", int64(status)))
	t.Point("ext4.da_map.after_lookup")
	switch {
	case ok && e.status != esHole:
		return fromES(e, lblk, 1), nil
	case !ok:
		in.iDataSem.RLock(t)
		m := in.extQuery(t, lblk, 1)
		in.iDataSem.RUnlock(t)
		if m.state.Physical() {
			return m, nil
		}
	}
	// add_delayed:
	t.Point("ext4.da_map.before_insert")
	in.iDataSem.Lock(t)
	defer in.iDataSem.Unlock(t)
	if !in.fs.opts.Variant.Has(variant.Ext4NoRecheck) {
		// 0ea6560abb3b: check the extent status again, now that nothing
		// can allocate or insert behind our back.
		if e, ok := in.esLookup(t, lblk); ok && e.status != esHole {
			return fromES(e, lblk, 1), nil
		} else if !ok {
			if m := in.extQuery(t, lblk, 1); m.state.Physical() {
				return m, nil
			}
		}
	}
	if err := in.insertDelayedBlock(t, lblk); err != nil {
		return mapping{}, err
	}
	return mapping{lblk: lblk, len: 1, state: extent.Delalloc}, nil
}

// insertDelayedBlock is ext4_insert_delayed_block without bigalloc:
// reserve one block, then record it delayed in the extent status tree.
//
// Preconditions: i_data_sem held exclusively.
func (in *inode) insertDelayedBlock(t *lab.Thread, lblk uint64) error {
	if err := in.daReserveSpace(t, lblk); err != nil {
		return err
	}
	in.esInsertDelayedBlock(t, lblk)
	return nil
}
