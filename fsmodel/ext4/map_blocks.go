package ext4

import (
	"iomaplab/extent"
	"iomaplab/lab"
)

// getBlocks are ext4_map_blocks' flags (EXT4_GET_BLOCKS_*).
type getBlocks uint

const (
	// gbCreate: allocate blocks for a hole (EXT4_GET_BLOCKS_CREATE).
	gbCreate getBlocks = 1 << iota
	// gbUnwrit: allocate unwritten extents (EXT4_GET_BLOCKS_UNWRIT_EXT;
	// with gbCreate: fallocate's CREATE_UNWRIT_EXT, writeback's IO_CREATE_EXT
	// under dioread_nolock).
	gbUnwrit
	// gbDelallocReserve: the blocks are delayed-allocated; the allocation
	// consumes their reservation (EXT4_GET_BLOCKS_DELALLOC_RESERVE).
	gbDelallocReserve
	// gbConvertUnwritten: turn written extents unwritten (zero range:
	// EXT4_GET_BLOCKS_CONVERT_UNWRITTEN).
	gbConvertUnwritten
	// gbConvert: turn unwritten extents written (I/O completion:
	// EXT4_GET_BLOCKS_IO_CONVERT_EXT).
	gbConvert
)

// mapping is the result of a block mapping (struct ext4_map_blocks after
// the call): blocks [lblk, lblk+len) are in state; pblk is the physical
// block of lblk for Unwritten and Written.
type mapping struct {
	lblk, len uint64
	state     extent.State
	pblk      uint64
}

// pblkAt returns the physical block of lblk inside m.
func (m mapping) pblkAt(lblk uint64) uint64 { return m.pblk + (lblk - m.lblk) }

// fromES turns the part of entry e from lblk on, at most maxLen blocks,
// into a mapping.
func fromES(e esEntry, lblk, maxLen uint64) mapping {
	c := e.clip(extent.Range{Start: lblk, End: min(e.End, lblk+maxLen)})
	m := mapping{lblk: lblk, len: c.Len(), pblk: c.pblk}
	switch e.status {
	case esHole:
		m.state = extent.Hole
	case esDelayed:
		m.state = extent.Delalloc
	case esUnwritten:
		m.state = extent.Unwritten
	case esWritten:
		m.state = extent.Written
	}
	return m
}

func fromExtent(e extent.Extent, lblk, maxLen uint64) mapping {
	c := e.Clip(extent.Range{Start: lblk, End: min(e.End, lblk+maxLen)})
	return mapping{lblk: lblk, len: c.Len(), state: c.State, pblk: c.PBlk}
}

func esStatusOf(s extent.State) esStatus {
	switch s {
	case extent.Unwritten:
		return esUnwritten
	case extent.Written:
		return esWritten
	case extent.Delalloc:
		return esDelayed
	}
	return esHole
}

// mapBlocks is ext4_map_blocks (Linux 6.18): look the blocks from lblk up in
// the extent
// status tree, then (on a miss) in the on-disk tree under i_data_sem
// shared; with gbCreate, allocate or convert under i_data_sem exclusive.
// The result covers at least one block and at most maxLen.
//
// Preconditions: maxLen > 0; the caller holds no i_data_sem.
func (in *inode) mapBlocks(t *lab.Thread, lblk, maxLen uint64, flags getBlocks) (mapping, error) {
	if e, ok := in.esLookup(t, lblk); ok {
		m := fromES(e, lblk, maxLen)
		if !in.mapNeedsWork(m, flags) {
			return m, nil
		}
	} else {
		in.iDataSem.RLock(t)
		m := in.extQuery(t, lblk, maxLen)
		in.iDataSem.RUnlock(t)
		if !in.mapNeedsWork(m, flags) {
			return m, nil
		}
	}
	//mutant:ext4-map-blocks-i-data-sem delete
	in.iDataSem.Lock(t)
	//mutant:ext4-map-blocks-i-data-sem delete
	defer in.iDataSem.Unlock(t)
	return in.extMapBlocks(t, lblk, maxLen, flags)
}

// mapNeedsWork reports whether a found mapping must go on to the
// allocating ext4_ext_map_blocks under i_data_sem exclusive.
func (in *inode) mapNeedsWork(m mapping, flags getBlocks) bool {
	switch m.state {
	case extent.Written:
		return flags&gbConvertUnwritten != 0
	case extent.Unwritten:
		return flags&gbConvert != 0
	}
	return flags&gbCreate != 0
}

// extQuery looks blocks up in the on-disk extent tree without changing it
// (ext4_ext_map_blocks with no create flag, ext4_map_query_blocks; 6.18) and
// caches the answer in the extent status tree, holes included
// (ext4_ext_put_gap_in_cache).
//
// Preconditions: i_data_sem held (shared suffices).
func (in *inode) extQuery(t *lab.Thread, lblk, maxLen uint64) mapping {
	e := in.ext.Lookup(lblk)
	in.esCache(t, esEntry{Range: e.Range, status: esStatusOf(e.State), pblk: e.PBlk})
	return fromExtent(e, lblk, maxLen)
}

// extMapBlocks is ext4_ext_map_blocks with create flags, followed by the
// extent-status update ext4_map_blocks (ext4_map_create_blocks) makes while
// still holding i_data_sem, as Linux 6.18 has them. On a hole it allocates
// (unwritten with gbUnwrit) and owns the new blocks on the device. The
// delayed blocks the new status entry replaces give up their reservation
// (6.12's c543e2429640 moved this into ext4_es_insert_extent:
// ext4_da_update_reserve_space with the delayed blocks __es_remove_extent
// counted):
//   - gbDelallocReserve (writeback of delayed blocks): the allocation
//     consumed the reservation (claimed);
//   - otherwise (fallocate, zero range over delayed blocks) it is given
//     back;
//   - on a block that is already allocated (a delayed entry wrongly
//     inserted over it: variant.Ext4NoRecheck) nothing is allocated and
//     the replaced delayed block's reservation is given back, so it does
//     not leak; the kernel then claims quota for it a second time
//     (i_blocks one block too high), which the model does not count.
//
// With variant.Ext4Linux68 reservations are settled as 6.8's
// ext4_ext_map_blocks does, from what it allocated: an allocation with
// gbDelallocReserve uses the reservation, one without it gives back the
// reservations of the delayed blocks in its range (ext4_es_delayed_clu),
// and on a block already allocated no reservation is touched, even with
// gbDelallocReserve: this is what makes a wrongly inserted delayed block
// leak its reservation for good.
//
// Preconditions: i_data_sem held exclusively.
func (in *inode) extMapBlocks(t *lab.Thread, lblk, maxLen uint64, flags getBlocks) (mapping, error) {
	e := in.ext.Lookup(lblk)
	r := extent.Range{Start: lblk, End: min(e.End, lblk+maxLen)}
	if e.State.Physical() {
		c := e.Clip(r)
		to := c.State
		switch {
		case c.State == extent.Unwritten && flags&gbConvert != 0:
			to = extent.Written
		case c.State == extent.Written && flags&gbConvertUnwritten != 0:
			to = extent.Unwritten
		}
		if to != c.State {
			in.ext.Convert(r, c.State, to, 0)
			c.State = to
			t.Tracepoint("ext4_ext_convert", lab.F("ino", int64(in.ino)), lab.F("lblk", int64(lblk)),
				lab.F("len", int64(r.Len())), lab.F("to", int64(esStatusOf(to))))
		}
		replaced := in.esInsert(t, esEntry{Range: r, status: esStatusOf(c.State), pblk: c.PBlk})
		if n := delayedBlocks(replaced); n > 0 && !in.linux68() {
			used := in.daUpdateReserveSpace(t, lblk, n, false)
			if flags&gbDelallocReserve != 0 {
				// dquot_claim_block: charged once more, though the
				// block was charged when it was allocated.
				in.disk.blocks += used
			}
		}
		return mapping{lblk: lblk, len: r.Len(), state: c.State, pblk: c.PBlk}, nil
	}
	if flags&gbCreate == 0 {
		return in.extQuery(t, lblk, maxLen), nil
	}
	state := extent.Written
	if flags&gbUnwrit != 0 {
		state = extent.Unwritten
	}
	runs, claimed, err := in.allocBlocks(t, r, flags&gbDelallocReserve != 0)
	if err != nil {
		return mapping{}, err
	}
	cur := lblk
	for _, run := range runs {
		in.ext.Set(extent.Extent{Range: extent.Range{Start: cur, End: cur + run.Len()}, State: state, PBlk: run.Start})
		in.fs.dev.Own(t, run.Start, run.Len(), in.ino, cur)
		t.Tracepoint("ext4_allocate_blocks", lab.F("ino", int64(in.ino)), lab.F("lblk", int64(cur)),
			lab.F("len", int64(run.Len())), lab.F("pblk", int64(run.Start)), lab.F("state", int64(esStatusOf(state))))
		note(t, "  ext4_ext_map_blocks: %v %v at pblk %d", extent.Range{Start: cur, End: cur + run.Len()}, state, run.Start)
		cur += run.Len()
	}
	// 6.8's and 6.18's accounting agree on a fresh allocation: a
	// gbDelallocReserve range is delayed throughout (its callers map one
	// delayed extent), so the blocks allocated are the delayed blocks the
	// status insert below replaces.
	if flags&gbDelallocReserve != 0 {
		// The quota reserved with the delayed blocks is claimed.
		in.disk.blocks += in.daUpdateReserveSpace(t, lblk, r.Len(), claimed)
	} else {
		in.disk.blocks += r.Len() // ext4_mb_new_blocks: dquot_alloc_block
		if n := in.esDelayedIn(t, r); n > 0 {
			in.daUpdateReserveSpace(t, lblk, n, false)
		}
	}
	cur = lblk
	for _, run := range runs {
		in.esInsert(t, esEntry{Range: extent.Range{Start: cur, End: cur + run.Len()}, status: esStatusOf(state), pblk: run.Start})
		cur += run.Len()
	}
	return mapping{lblk: lblk, len: runs[0].Len(), state: state, pblk: runs[0].Start}, nil
}

// allocBlocks is ext4_mb_new_blocks (6.18, the same in 6.8) for the blocks
// of r, near the physical
// block after r's left neighbour (ext4_ext_find_goal). Delayed blocks draw
// on the inode's reservation (the dirty-clusters counter holds at least as
// much, and nothing can release it while i_data_sem is held), and it
// reports that the reservation was claimed; others, and delayed blocks
// without enough reservation, need unreserved free space (ENOSPC).
//
// Preconditions: i_data_sem held exclusively.
func (in *inode) allocBlocks(t *lab.Thread, r extent.Range, delalloc bool) (runs []extent.Range, claimed bool, err error) {
	var goal uint64
	if r.Start > 0 {
		if left := in.ext.Lookup(r.Start - 1); left.State.Physical() {
			goal = left.PhysAt(r.Start-1) + 1
		}
	}
	if delalloc && in.reservedBlocks(t) >= r.Len() {
		return in.fs.space.AllocReserved(t, r.Len(), goal), true, nil
	}
	runs, err = in.fs.space.Alloc(t, r.Len(), goal)
	return runs, false, err
}

// delayedBlocks counts the delayed blocks among entries.
func delayedBlocks(entries []esEntry) uint64 {
	var n uint64
	for _, e := range entries {
		if e.status == esDelayed {
			n += e.Len()
		}
	}
	return n
}
