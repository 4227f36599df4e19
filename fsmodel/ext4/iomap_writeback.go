package ext4

import (
	"iomaplab/blockdev"
	"iomaplab/extent"
	"iomaplab/iomap"
	"iomaplab/lab"
	"iomaplab/pagecache"
)

// iomapWritepages is ext4_iomap_writepages (ext4 iomap v4 patch 09/23,
// "ext4: implement writeback path using iomap"), the writeback of an inode
// on the iomap path: iomap_writepages over [start, end) with
// ext4_writeback_ops. No i_rwsem. A mapping error is kept for fsync.
func (in *inode) iomapWritepages(t *lab.Thread, start, end int64, syncAll bool) {
	in.setWBErr(iomap.Writepages(t, &in.io, wbOps{in: in, end: end}, start, end, syncAll))
}

// wbOps are ext4_writeback_ops for one writeback pass of [.., end).
type wbOps struct {
	in  *inode
	end int64 // the end of the range being written back (wbc->range_end + 1)
}

var _ iomap.WritebackOps = wbOps{}

// MapBlocks is ->writeback_range's ext4_iomap_map_writeback_range: the
// longest run of existing extents from pos (ext4_map_blocks with
// EXT4_GET_BLOCKS_IO_CREATE_EXT: unwritten for new blocks), and, on a
// delayed range, an allocation sized by the writeback length and the
// delayed extent's length rather than one folio (the delayed blocks'
// reservation is consumed: EXT4_GET_BLOCKS_DELALLOC_RESERVE).
func (o wbOps) MapBlocks(t *lab.Thread, pos, length int64) (iomap.Mapping, error) {
	in := o.in
	lblk := lblkOf(pos)
	maxLen := uint64(1)
	if o.end > pos {
		maxLen = max(lblkOf(o.end-1)+1-lblk, 1)
	}
	flags := gbCreate | gbUnwrit
	e, ok := in.esLookup(t, lblk)
	switch {
	case ok && e.status == esDelayed:
		//mutant:ext4-iomap-wb-delalloc-reserve delete
		flags |= gbDelallocReserve
		maxLen = min(maxLen, e.End-lblk)
	case !ok || !e.status.physical():
		// Not known to be delayed or allocated: allocate only the blocks
		// iomap asked for.
		maxLen = min(maxLen, uint64((length+extent.BlockSize-1)/extent.BlockSize))
	}
	m, err := in.mapBlocks(t, lblk, maxLen, flags)
	if err != nil {
		in.fs.msg(t, "Delayed block allocation failed for inode %d at logical offset %d with max blocks %d with error %d",
			in.ino, lblk, maxLen, errno(err))
		return iomap.Mapping{}, err
	}
	// Hand iomap only the folio's part: the next folio maps again (see
	// ValidWB), and its blocks, allocated here, are found allocated.
	m.len = min(m.len, uint64((length+extent.BlockSize-1)/extent.BlockSize))
	off, n := extent.Range{Start: m.lblk, End: m.lblk + m.len}.Bytes()
	im := iomap.Mapping{Offset: off, Length: n, Type: iomap.Mapped, Addr: int64(m.pblk * extent.BlockSize)}
	if m.state == extent.Unwritten {
		im.Type = iomap.Unwritten
	}
	return im, nil
}

// ValidWB is never asked: MapBlocks returns mappings that end with the
// folio, so no cached mapping covers the next one and every folio maps
// again (ext4_iomap_map_writeback_range's reuse of a mapping across folios
// is not modelled). Should iomap ask, the mapping is not reused.
func (o wbOps) ValidWB(*lab.Thread, *iomap.Mapping) (bool, uint64) { return false, 0 }

// Submit is ->writeback_submit: submit the ioend's bio with
// ext4_iomap_end_bio as its completion, which runs the end I/O worker
// (iomapEndIO) on the I/O completion daemon.
func (o wbOps) Submit(t *lab.Thread, io *iomap.Ioend) {
	in := o.in
	in.fs.dev.Submit(t, &blockdev.Bio{
		Op:    blockdev.OpWrite,
		PBlk:  uint64(io.Addr) / extent.BlockSize,
		Data:  io.Data,
		Owner: blockdev.Owner{Ino: in.ino, FBlk: lblkOf(io.Offset)},
		End:   func(t *lab.Thread, b *blockdev.Bio) { in.iomapEndIO(t, io, b.Err) },
	})
}

// Discard does nothing after a failed allocation, as the legacy path
// (writeFolio) does: the folio is given up clean, its delayed entry and
// reservation stay, and the error reaches the next fsync.
func (o wbOps) Discard(*lab.Thread, *pagecache.Folio, int64) {}

// iomapEndIO is the end I/O worker of patch 09/23: convert the ioend's
// unwritten extents to written (ext4_convert_unwritten_extents ->
// ext4_map_blocks with EXT4_GET_BLOCKS_IO_CONVERT_EXT, i_data_sem
// exclusive, bumping i_es_seq), then end the folios' writeback. The model
// has no separate i_disksize to update. A failed write is not converted;
// its error is kept for fsync.
func (in *inode) iomapEndIO(t *lab.Thread, io *iomap.Ioend, err error) {
	r := extent.BlockRange(io.Offset, io.Length)
	if err != nil {
		in.fs.msg(t, "I/O error %d writing to inode %d starting block %d", errno(err), in.ino, r.Start)
		in.setWBErr(err)
	}
	convert := err == nil && io.Type == iomap.Unwritten
	//mutant:ext4-iomap-endio-convert false
	if convert {
		in.convertUnwritten(t, r)
	}
	io.Finish(t)
}

// convertUnwritten is ext4_convert_unwritten_extents over r: ext4_map_blocks
// with EXT4_GET_BLOCKS_IO_CONVERT_EXT, extent by extent.
func (in *inode) convertUnwritten(t *lab.Thread, r extent.Range) {
	for lblk := r.Start; lblk < r.End; {
		m, err := in.mapBlocks(t, lblk, r.End-lblk, gbConvert)
		if err != nil {
			in.setWBErr(err)
			return
		}
		lblk += m.len
	}
}
