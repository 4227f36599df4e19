package xfs

import (
	"iomaplab/blockdev"
	"iomaplab/extent"
	"iomaplab/fsmodel/variant"
	"iomaplab/iomap"
	"iomaplab/lab"
	"iomaplab/pagecache"
)

// wbOps are xfs_writeback_ops. iomap.Writepages runs each pass in a
// context of its own (NewContext, wbctx.go), which maps and revalidates.
type wbOps struct{ ip *Inode }

// convertFlags are the extent flags of a conversion: the
// no-seq-bump-on-convert mutation drops its if_seq bump.
func (ip *Inode) convertFlags() []extent.Flag {
	if ip.fs.opts.Variant.Has(variant.NoSeqBumpOnConvert) {
		return []extent.Flag{extent.NoSeqBump}
	}
	return nil
}

// convertDelalloc allocates the delalloc extent holding fblk as unwritten
// extents and returns the mapping of the converted piece that holds fblk,
// with the new seq as its cookie; false if fblk is no longer delalloc.
//
// Unwritten, not written (xfs_bmapi_convert_one_delalloc sets
// XFS_BMAPI_PREALLOC for the data fork since commit a5949d3faedf, "xfs:
// force writes to delalloc regions to unwritten", v5.8): the delalloc extent
// may be longer than the folios this writeback sends, and its blocks hold
// whatever the device held before. A buffered write that remaps after this
// conversion sees UNWRITTEN and zeroes the part of a block it does not
// cover (iomap_block_needs_zeroing); a written mapping would make it read
// the block's stale contents into the folio (__iomap_write_begin).
func (ip *Inode) convertDelalloc(t *lab.Thread, fblk uint64) (iomap.Mapping, bool) {
	ip.ilock.Lock(t)
	defer ip.ilock.Unlock(t)
	e := ip.df.Lookup(fblk)
	if e.State != extent.Delalloc {
		return iomap.Mapping{}, false
	}
	if err := ip.allocate(t, e.Range, extent.Unwritten, true, ip.convertFlags()...); err != nil {
		panic("xfs: allocation of reserved blocks failed: " + err.Error())
	}
	ip.fs.Stats.DelallocToUnwritten.Add(1)
	ip.persist(t)
	return mapping(ip.df.Lookup(fblk), ip.df.Seq()), true
}

// Submit writes an ioend's data (iomap_submit_ioend); its completion runs on
// the device's completion daemon (xfs_end_bio / xfs_end_ioend).
// A shared ioend's staging blocks become real in the COW fork first
// (xfs_submit_ioend's xfs_reflink_convert_cow).
func (o wbOps) Submit(t *lab.Thread, io *iomap.Ioend) {
	ip := o.ip
	if io.Flags&iomap.FlagShared != 0 {
		ip.convertCowWritten(t, extent.BlockRange(io.Offset, io.Length))
	}
	b := &blockdev.Bio{
		Op:    blockdev.OpWrite,
		PBlk:  uint64(io.Addr) / bs,
		Data:  io.Data,
		Owner: blockdev.Owner{Ino: uint64(ip.ino), FBlk: blockOf(io.Offset)},
		End:   func(t *lab.Thread, b *blockdev.Bio) { ip.endIO(t, io, b) },
	}
	ip.fs.dev.Submit(t, b)
}

// endIO completes an ioend (xfs_end_ioend): remap a shared ioend's COW
// staging blocks into the data fork (xfs_reflink_end_cow), or convert
// unwritten extents to written, then end the folios' writeback. A failed
// shared ioend cancels its COW blocks (xfs_reflink_cancel_cow_range).
func (ip *Inode) endIO(t *lab.Thread, io *iomap.Ioend, b *blockdev.Bio) {
	r := extent.BlockRange(io.Offset, io.Length)
	if b.Err != nil {
		err := b.Err
		ip.wbErr.Store(&err)
		if io.Flags&iomap.FlagShared != 0 {
			ip.ilock.Lock(t)
			ip.cancelCow(t, r)
			ip.ilock.Unlock(t)
		}
	} else if io.Flags&iomap.FlagShared != 0 {
		ip.endCow(t, r)
	} else if io.Type == iomap.Unwritten {
		if err := t.Point("xfs.ioend.convert"); err != nil {
			ip.wbErr.Store(&err)
		} else {
			ip.convertUnwritten(t, r)
		}
	}
	io.Finish(t)
	ip.fs.noteCleaned(t)
}

// convertUnwritten is xfs_iomap_write_unwritten.
func (ip *Inode) convertUnwritten(t *lab.Thread, r extent.Range) {
	ip.ilock.Lock(t)
	defer ip.ilock.Unlock(t)
	//mutant:xfs-seq-bump-ioend-convert noseq
	if len(ip.df.Convert(r, extent.Unwritten, extent.Written, 0, ip.convertFlags()...)) > 0 {
		ip.fs.Stats.UnwrittenToWritten.Add(1)
	}
	ip.noteChange(t)
	ip.persist(t)
}

// Discard is xfs_discard_folio: after a failed mapping, punch the folio's
// delalloc so that no reservation is left without dirty data.
func (o wbOps) Discard(t *lab.Thread, f *pagecache.Folio, pos int64) {
	//mutant:xfs-discard-folio-punch delete
	_ = o.ip.punchDelalloc(t, pos, f.End()-pos)
}
