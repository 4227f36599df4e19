package ext4

import (
	"fmt"

	"iomaplab/extent"
	"iomaplab/fsmodel/variant"
	"iomaplab/iomap"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// iomapWrite is ext4_buffered_write_iter on the iomap path (Zhang Yi's
// "ext4: use iomap for regular file's buffered I/O path", v4 of 11 May
// 2026; its patch 23/23, "ext4: introduce a mount option for iomap
// buffered I/O path", adds mount option buffered_iomap, spelled `fs ext4
// buffered_iomap` in a scenario): under i_rwsem, iomap_file_buffered_write
// with the ops ext4_iomap_buffered_write picks (patch 08/23: iomapOps with
// delalloc, nondaOps with nodelalloc). The mapping is made before any
// folio is locked and cached across folios, so it carries i_es_seq as its
// validity cookie.
func (in *inode) iomapWrite(t *lab.Thread, buf vfs.Buffer, off int64) (int, error) {
	in.iRwsem.Lock(t)
	defer in.iRwsem.Unlock(t)
	if err := in.zeroEOFTail(t, off); err != nil {
		return 0, err
	}
	n, err := iomap.BufferedWrite(t, &in.io, in.iomapWriteOps(), buf, off)
	return int(n), err
}

// iomapOps are ext4_iomap_buffered_da_write_ops (->iomap_begin,
// ->iomap_end) with ext4_iomap_valid as ->iomap_valid.
type iomapOps struct{ in *inode }

var (
	_ iomap.Ops       = iomapOps{}
	_ iomap.Validator = iomapOps{}
)

// Begin is ext4_iomap_buffered_write_begin with
// ext4_iomap_buffered_da_write_ops (ext4 iomap v4 patch 08/23, "ext4:
// implement buffered write path using iomap"): ext4_da_map_blocks over
// the blocks of [pos, pos+length), inserting delayed blocks over a hole,
// and ext4_set_iomap with the i_es_seq that ext4_da_map_blocks passed out
// in map->m_seq (patch 06/23, "ext4: pass out extent seq counter when
// mapping da blocks": sampled with the extent status lookup, or right
// after the insert, still under i_data_sem) as the cookie.
//
// variant.Ext4NoDaMapSeq drops patch 06/23: the cookie is i_es_seq read
// here, after ext4_da_map_blocks returned. Between its lookup
// (ext4.da_map.after_lookup) and this read, writeback's I/O completion
// may convert the unwritten extent it found (ext4_convert_unwritten_extents
// bumps i_es_seq): the cookie then already carries the bump, and
// ext4_iomap_valid passes a mapping that still says IOMAP_UNWRITTEN
// (docs/review-ext4-v4.md).
func (o iomapOps) Begin(t *lab.Thread, pos, length int64, op iomap.Op) (iomap.Mapping, error) {
	if op&iomap.OpWrite == 0 {
		panic(fmt.Sprintf("ext4: iomap Begin(%d, %d) for op %d: only buffered writes use iomap", pos, length, op))
	}
	r := extent.BlockRange(pos, length)
	dm, err := o.in.daMapBlocks(t, r.Start, r.Len())
	if err != nil {
		return iomap.Mapping{}, err
	}
	if o.in.fs.opts.Variant.Has(variant.Ext4NoDaMapSeq) {
		dm.seq = o.in.esSeq.Load()
	}
	off, n := extent.Range{Start: dm.lblk, End: dm.lblk + dm.len}.Bytes()
	m := iomap.Mapping{Offset: off, Length: n, Addr: iomap.NullAddr, Cookie: dm.seq}
	switch dm.state {
	case extent.Delalloc:
		m.Type = iomap.Delalloc
	case extent.Unwritten:
		m.Type, m.Addr = iomap.Unwritten, int64(dm.pblk*extent.BlockSize)
	case extent.Written:
		m.Type, m.Addr = iomap.Mapped, int64(dm.pblk*extent.BlockSize)
	}
	if dm.inserted {
		m.Flags |= iomap.FlagNew
	}
	return m, nil
}

// End is ext4_iomap_buffered_da_write_end, v4 patch 08/23's short-write
// and failure handling on the delalloc path: delayed blocks this write
// inserted but did not fill are dropped and their reservation released
// (iomap_write_delalloc_release under invalidate_lock, keeping those under
// dirty folios), so no clean folio covers a leftover delayed extent.
func (o iomapOps) End(t *lab.Thread, pos, length, written int64, op iomap.Op, m *iomap.Mapping) error {
	if m.Type != iomap.Delalloc || m.Flags&iomap.FlagNew == 0 {
		return nil
	}
	const bs = extent.BlockSize
	start := (pos + written + bs - 1) &^ (bs - 1) // iomap_last_written_block
	if written == 0 {
		start = pos &^ (bs - 1)
	}
	end := (pos + length + bs - 1) &^ (bs - 1)
	if start >= end {
		return nil
	}
	in := o.in
	//mutant:ext4-write-end-invalidate-lock delete
	in.invalidateLock.Lock(t)
	//mutant:ext4-write-end-invalidate-lock delete
	defer in.invalidateLock.Unlock(t)
	return iomap.DelallocRelease(t, &in.io, start, end, in.punchDelalloc)
}

// punchDelalloc is ext4_iomap_punch_delalloc: drop the extent status
// entries of the range under i_data_sem, releasing the delayed blocks'
// reservations.
func (in *inode) punchDelalloc(t *lab.Thread, off, length int64) error {
	in.iDataSem.Lock(t)
	defer in.iDataSem.Unlock(t)
	in.esRemoveExtent(t, extent.BlockRange(off, length))
	return nil
}

// Valid is ext4_iomap_valid: the mapping is current if no extent status
// entry changed since its cookie was sampled.
func (o iomapOps) Valid(t *lab.Thread, m *iomap.Mapping) (bool, uint64) {
	seq := o.in.esSeq.Load()
	return m.Cookie == seq, seq
}

// zeroEOFTail zeroes the part of the EOF block between i_size and newSize
// before i_size grows to newSize, on the iomap path only (its post-EOF
// zeroing; XFS: xfs_file_write_checks and xfs_setattr_size ->
// xfs_zero_range). An iomap write that copied short into a block it had
// zeroed only outside the write leaves bytes past i_size in the cached EOF
// block undefined; the legacy path never does (ext4_da_write_begin
// zeroes or reads whole blocks), so it needs no such step.
//
// Preconditions: i_rwsem held exclusively.
func (in *inode) zeroEOFTail(t *lab.Thread, newSize int64) error {
	const bs = extent.BlockSize
	size := in.io.Size()
	if !in.fs.opts.IOMAP || newSize <= size || size%bs == 0 {
		return nil
	}
	return in.blockZeroRange(t, size, min(newSize, size-size%bs+bs))
}
