package ext4

import (
	"fmt"
	"math"

	"iomaplab/extent"
	"iomaplab/fsmodel/variant"
	"iomaplab/iomap"
	"iomaplab/lab"
)

// This file is the non-delalloc half of ext4 iomap v4 patch 08/23 ("ext4:
// implement buffered write path using iomap", Zhang Yi, 11 May 2026): on a
// mount without delayed allocation (-o nodelalloc) a buffered write and
// page_mkwrite allocate their blocks in ->iomap_begin, always as unwritten
// extents ("dioread_nolock always on": no data=ordered to hide stale
// blocks), and writeback's end I/O worker (patch 09/23,
// iomap_writeback.go) converts them to written once the data is on disk.

// iomapWriteOps is ext4_iomap_buffered_write's (and
// ext4_iomap_page_mkwrite's) choice of iomap_ops (v4 patch 08/23):
// ext4_iomap_buffered_da_write_ops with delayed allocation,
// ext4_iomap_buffered_write_ops without. The model has no
// ext4_nonda_switch (a delalloc mount stays delalloc near ENOSPC).
func (in *inode) iomapWriteOps() iomap.Ops {
	if in.fs.opts.NoDelalloc {
		return nondaOps{in}
	}
	return iomapOps{in}
}

// nondaOps are ext4_iomap_buffered_write_ops (->iomap_begin, ->iomap_end)
// with ext4_iomap_valid as ->iomap_valid.
type nondaOps struct{ in *inode }

var (
	_ iomap.Ops       = nondaOps{}
	_ iomap.Validator = nondaOps{}
)

// Begin is ext4_iomap_buffered_write_begin with
// ext4_iomap_buffered_write_ops (v4 patch 08/23): ext4_iomap_get_blocks
// maps the blocks of [pos, pos+length), allocating unwritten extents over
// a hole, and ext4_set_iomap builds the iomap with map->m_seq as its
// cookie: the i_es_seq that ext4_map_blocks passed out ("ext4: pass out
// extent seq counter when mapping blocks", Zhang Yi, 23 Sep 2025), sampled
// with the extent status lookup or right after the allocation's insert.
// New blocks carry IOMAP_F_NEW; like unwritten ones, iomap zeroes them
// around the write.
//
// variant.Ext4NoMapSeq drops m_seq: the cookie is i_es_seq read here,
// after ext4_iomap_get_blocks returned, so a conversion between its lookup
// (ext4.iomap_get_blocks.after_lookup) and this read goes unseen and
// ext4_iomap_valid passes a mapping that still says IOMAP_UNWRITTEN.
func (o nondaOps) Begin(t *lab.Thread, pos, length int64, op iomap.Op) (iomap.Mapping, error) {
	if op&iomap.OpWrite == 0 {
		panic(fmt.Sprintf("ext4: iomap Begin(%d, %d) for op %d: only buffered writes use iomap", pos, length, op))
	}
	r := extent.BlockRange(pos, length)
	m, seq, allocated, err := o.in.iomapGetBlocks(t, r.Start, r.Len())
	if err != nil {
		return iomap.Mapping{}, err
	}
	if o.in.fs.opts.Variant.Has(variant.Ext4NoMapSeq) {
		seq = o.in.esSeq.Load()
	}
	off, n := extent.Range{Start: m.lblk, End: m.lblk + m.len}.Bytes()
	im := iomap.Mapping{Offset: off, Length: n, Type: iomap.Mapped, Addr: int64(m.pblk * extent.BlockSize), Cookie: seq}
	if m.state == extent.Unwritten {
		im.Type = iomap.Unwritten
	}
	if allocated {
		im.Flags |= iomap.FlagNew
	}
	return im, nil
}

// iomapGetBlocks is ext4_iomap_get_blocks (v4 patch 08/23): ext4_map_blocks
// with EXT4_GET_BLOCKS_CREATE_UNWRIT_EXT from lblk, for at most maxLen
// blocks. The extent status lookup holds only i_es_lock; an existing
// extent, written or unwritten, is returned as it is, with the i_es_seq
// sampled in the same i_es_lock hold. A hole is allocated unwritten under
// i_data_sem exclusive (ext4_ext_map_blocks looks again there, so blocks
// another thread allocated meanwhile are found, not allocated twice), and
// the cookie is sampled after the insert, still under i_data_sem
// (ext4_map_create_blocks). allocated reports that this call allocated.
//
// Point ext4.iomap_get_blocks.after_lookup: after the lookup, before the
// mapping is used (the caller holds i_rwsem, or invalidate_lock shared and
// a folio lock from page_mkwrite).
func (in *inode) iomapGetBlocks(t *lab.Thread, lblk, maxLen uint64) (m mapping, seq uint64, allocated bool, err error) {
	e, ok, seq := in.esLookupSeq(t, lblk)
	note(t, "  ext4_iomap_get_blocks(lblk %d): extent status %v", lblk, e.status)
	t.Point("ext4.iomap_get_blocks.after_lookup")
	if ok && e.status.physical() {
		return fromES(e, lblk, maxLen), seq, false, nil
	}
	if !ok {
		in.iDataSem.RLock(t)
		m = in.extQuery(t, lblk, maxLen)
		seq = in.esSeq.Load()
		in.iDataSem.RUnlock(t)
		if m.state.Physical() {
			return m, seq, false, nil
		}
	}
	in.iDataSem.Lock(t)
	defer in.iDataSem.Unlock(t)
	allocated = !in.ext.Lookup(lblk).State.Physical()
	m, err = in.extMapBlocks(t, lblk, maxLen, gbCreate|gbUnwrit)
	if err != nil {
		return mapping{}, 0, false, err
	}
	return m, in.esSeq.Load(), allocated, nil
}

// End is ext4_iomap_buffered_write_end for ext4_iomap_buffered_write_ops
// (v4 patch 08/23's short-write and failure handling on the non-delalloc
// path). The blocks stay unwritten until writeback's completion converts
// them, so a write that copied less than it mapped exposes no stale data
// inside i_size; blocks it allocated past the i_size it reached are
// dropped with ext4_truncate_failed_write. A stale mapping is no failure
// (the write maps again and goes on), and page_mkwrite never ends short.
func (o nondaOps) End(t *lab.Thread, pos, length, written int64, op iomap.Op, m *iomap.Mapping) error {
	if op != iomap.OpWrite || written >= length || m.Flags&iomap.FlagStale != 0 {
		return nil
	}
	if pos+length > o.in.io.Size() {
		o.in.truncateFailedWrite(t)
	}
	return nil
}

// truncateFailedWrite is ext4_truncate_failed_write: under invalidate_lock
// exclusive, ext4_truncate to i_size: drop the cached folios past the EOF
// block (iomap_write_failed already dropped the failed chunk's), then the
// extent status entries and the blocks past it, under i_data_sem.
//
// Preconditions: i_rwsem held exclusively.
func (in *inode) truncateFailedWrite(t *lab.Thread) {
	in.invalidateLock.Lock(t)
	defer in.invalidateLock.Unlock(t)
	past := extent.Range{Start: extent.BlockRange(0, in.io.Size()).End, End: extent.MaxBlock}
	from, _ := extent.Range{Start: past.Start, End: past.Start}.Bytes()
	in.cache.TruncateRange(t, from, math.MaxInt64)
	in.iDataSem.Lock(t)
	defer in.iDataSem.Unlock(t)
	in.esRemoveExtent(t, past)
	in.removeSpace(t, past)
}

// Valid is ext4_iomap_valid, shared with the delalloc ops.
func (o nondaOps) Valid(t *lab.Thread, m *iomap.Mapping) (bool, uint64) {
	return iomapOps(o).Valid(t, m)
}
