package ext4

import (
	"golang.org/x/sys/unix"

	"iomaplab/lab"
	"iomaplab/pagecache"
	"iomaplab/vfs"
)

// performWrite is generic_perform_write with ext4's delalloc address-space
// operations, as Linux 6.18 has them (the same in 6.8, for 4 KiB folios): per folio, prefault the source, ext4_da_write_begin (lock the
// folio, ext4_da_get_block_prep -> daMapBlocks), copy, ext4_da_write_end.
// A source that faults part-way makes the kernel retry the chunk with the
// bytes it could copy, so the write ends exactly at the fault: it returns
// the bytes written, with EFAULT if it stopped at a fault.
//
// Preconditions: i_rwsem held exclusively; len(buf.Data) > 0.
func (in *inode) performWrite(t *lab.Thread, buf vfs.Buffer, off int64) (int, error) {
	limit := int64(len(buf.Data))
	if buf.FaultAt != vfs.NoOffset && buf.FaultAt < limit {
		limit = buf.FaultAt
	}
	var written int64
	for written < int64(len(buf.Data)) {
		pos := off + written
		chunk := min(pagecache.PageSize-pos%pagecache.PageSize, int64(len(buf.Data))-written)
		// fault_in_iov_iter_readable()
		if err := t.Point("ext4.write.prefault"); err != nil {
			return int(written), err
		}
		if buf.StallAt != vfs.NoOffset && written <= buf.StallAt && buf.StallAt < written+chunk {
			t.Park("ext4.write.prefault")
		}
		if written >= limit {
			return int(written), unix.EFAULT
		}
		chunk = min(chunk, limit-written)
		if err := in.writeChunk(t, buf.Data[written:written+chunk], pos); err != nil {
			return int(written), err
		}
		written += chunk
	}
	return int(written), nil
}

// writeChunk writes p, which lies inside one folio, at pos:
// ext4_da_write_begin, copy_folio_from_iter_atomic, ext4_da_write_end
// (ext4_da_do_write_end), Linux 6.18 (the same in 6.8).
func (in *inode) writeChunk(t *lab.Thread, p []byte, pos int64) error {
	f := in.cache.GetLocked(t, pos, true)
	defer f.Unlock(t)
	m, err := in.daMapBlocks(t, lblkOf(pos), 1)
	if err != nil {
		return err
	}
	off, n := pos-f.Pos, int64(len(p))
	if !f.Uptodate(0, f.Size) && n < f.Size {
		// __block_write_begin: a partly written block is read in if it
		// holds data, zeroed if it is new (hole, delayed, unwritten).
		if err := in.fillBlock(t, f, m.mapping); err != nil {
			return err
		}
	}
	copy(f.Data[off:], p)
	f.SetUptodate(0, f.Size)
	f.MarkDirty(off, n)
	// ext4_da_write_end: i_size grows under the folio lock.
	if end := pos + n; end > in.io.Size() {
		in.io.SetSize(end)
	}
	return nil
}
