package ext4

import (
	"math"
	"slices"

	"iomaplab/blockdev"
	"iomaplab/extent"
	"iomaplab/lab"
	"iomaplab/pagecache"
)

// writepages is ext4_writepages (ext4_do_writepages, Linux 6.18; the same in
// 6.8 for 4 KiB folios) over the dirty folios
// of [start, end), one folio at a time: mpage_prepare_extent_to_map locks
// the folio and write-protects it, mpage_map_and_submit_extent maps its
// block (allocating delayed blocks under i_data_sem exclusive), and
// ext4_bio_write_folio submits it under PG_writeback. With syncAll
// (WB_SYNC_ALL: fsync) a folio already under writeback is waited for and
// written again; otherwise (WB_SYNC_NONE) it is skipped. No i_rwsem.
//
// On the iomap path (Options.IOMAP) it is ext4_iomap_writepages instead
// (iomap_writeback.go).
func (in *inode) writepages(t *lab.Thread, start, end int64, syncAll bool) {
	if in.fs.opts.IOMAP {
		in.iomapWritepages(t, start, end, syncAll)
		return
	}
	for pos := start; pos < end; {
		f := in.cache.Next(t, pos, end, pagecache.Dirty)
		if f == nil {
			return
		}
		pos = f.End()
		in.writeFolio(t, f, syncAll)
	}
}

func (in *inode) writeFolio(t *lab.Thread, f *pagecache.Folio, syncAll bool) {
	f.Lock.Lock(t)
	defer f.Unlock(t)
	if f.Removed() || !f.Dirty() {
		return
	}
	if f.Writeback() {
		if !syncAll {
			return
		}
		f.WaitWriteback(t)
	}
	if !f.ClearDirtyForIO() || !f.AnyBlockDirty(0, f.Size) {
		return
	}
	size := in.io.Size() // sampled once, as mpage_prepare_extent_to_map does
	if f.Pos >= size {
		// Wholly past EOF (a racing truncate): nothing to write.
		f.ClearBlocksDirty(0, f.Size)
		return
	}
	lblk := lblkOf(f.Pos)
	t.Point("ext4.wb.map_blocks")
	m, err := in.wbMapBlock(t, lblk)
	if err != nil {
		// ext4 logs "Delayed block allocation failed" and gives the
		// folio up; the error reaches the next fsync.
		in.fs.msg(t, "Delayed block allocation failed for inode %d at logical offset %d with max blocks 1 with error %d", in.ino, lblk, errno(err))
		in.setWBErr(err)
		f.ClearBlocksDirty(0, f.Size)
		return
	}
	if f.End() > size {
		// ext4_bio_write_folio: the part of the EOF folio past i_size is
		// zeroed before it goes to disk.
		f.Zero(size-f.Pos, f.End()-size)
	}
	f.StartWriteback()
	f.ClearBlocksDirty(0, f.Size)
	unwritten := m.state == extent.Unwritten
	in.fs.dev.Submit(t, &blockdev.Bio{
		Op:    blockdev.OpWrite,
		PBlk:  m.pblkAt(lblk),
		Data:  slices.Clone(f.Data),
		Owner: blockdev.Owner{Ino: in.ino, FBlk: lblk},
		End: func(t *lab.Thread, b *blockdev.Bio) {
			in.endIO(t, f, lblk, unwritten, b.Err)
		},
	})
}

// wbMapBlock is mpage_map_one_extent (Linux 6.18, the same in 6.8) for one
// block: ext4_map_blocks with
// EXT4_GET_BLOCKS_IO_CREATE_EXT (dioread_nolock: new blocks are allocated
// unwritten and converted at I/O completion), plus DELALLOC_RESERVE when the
// block is delayed. The kernel reads "delayed" from the buffer head
// (BH_Delay, set by ext4_da_map_blocks); the model has no buffer heads and
// asks the extent status tree, which holds a delayed entry exactly where
// ext4_da_map_blocks left BH_Delay.
func (in *inode) wbMapBlock(t *lab.Thread, lblk uint64) (mapping, error) {
	flags := gbCreate | gbUnwrit
	//mutant:ext4-wb-delalloc-reserve false
	if e, ok := in.esLookup(t, lblk); ok && e.status == esDelayed {
		flags |= gbDelallocReserve
	}
	return in.mapBlocks(t, lblk, 1, flags)
}

// endIO runs on the I/O completion daemon (Linux 6.18, the same in 6.8):
// ext4_end_io_end converts the
// unwritten extent the folio was written into (ext4_convert_unwritten_extents
// -> ext4_map_blocks with EXT4_GET_BLOCKS_IO_CONVERT_EXT), then
// folio_end_writeback. A failed write is not converted; its error is kept
// for fsync.
func (in *inode) endIO(t *lab.Thread, f *pagecache.Folio, lblk uint64, unwritten bool, err error) {
	switch {
	case err != nil:
		in.fs.msg(t, "I/O error %d writing to inode %d starting block %d", errno(err), in.ino, lblk)
		in.setWBErr(err)
	case unwritten:
		if _, err := in.mapBlocks(t, lblk, 1, gbConvert); err != nil {
			in.setWBErr(err)
		}
	}
	f.EndWriteback(t)
}

// writeAndWait is filemap_write_and_wait_range (Linux 6.18): WB_SYNC_ALL writeback of
// [start, end), then wait for every folio's writeback to end.
func (in *inode) writeAndWait(t *lab.Thread, start, end int64) {
	in.writepages(t, start, end, true)
	//mutant:ext4-write-and-wait delete
	for _, f := range in.cache.Folios(t, start, end) {
		f.WaitWriteback(t)
	}
}

// fsync is ext4_sync_file (Linux 6.18, no journal): write back and wait for the whole file, and
// report a writeback error since the last fsync.
func (in *inode) fsync(t *lab.Thread) error {
	in.writeAndWait(t, 0, math.MaxInt64)
	return in.takeWBErr()
}
