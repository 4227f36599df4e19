package xfs

import (
	"iomaplab/extent"
	"iomaplab/iomap"
	"iomaplab/lab"
)

// The COW fork (struct xfs_inode's i_cowfp): staging extents for writes to
// shared blocks. A buffered write to a shared block reserves delalloc in the
// COW fork (rounded out to the COW extent size hint), writeback allocates
// it as unwritten staging blocks and writes there, submission marks the
// written range real, and I/O completion remaps it into the data fork,
// dropping the old blocks' references (fs/xfs/xfs_reflink.c).

// defaultCowExtSize is XFS_DEFAULT_COWEXTSZ_HINT, in blocks.
const defaultCowExtSize = 32

// cowExtSize is xfs_get_cowextsz_hint, in blocks.
func (fs *FS) cowExtSize() uint64 {
	if n := uint64(fs.opts.CowExtSize) / bs; n > 0 {
		return n
	}
	return defaultCowExtSize
}

// noteCowChange records that t changed the COW fork if its seq moved, and
// refreshes cowData. Preconditions: ILOCK held exclusively.
func (ip *Inode) noteCowChange(t *lab.Thread) {
	recordChange(t, &ip.cowChanges, &ip.cowNoted, ip.cf.Seq())
	ip.cowData.Store(ip.cf.Count() > 0)
}

// sequence is xfs_iomap_inode_sequence: a shared mapping's cookie carries
// both forks' sequences, cow_seq << 32 | data_seq; any other mapping's is
// the data fork's.
func (ip *Inode) sequence(flags iomap.Flags) uint64 {
	if flags&iomap.FlagShared != 0 {
		return ip.cf.Seq()<<32 | ip.df.Seq()&0xffffffff
	}
	return ip.df.Seq()
}

// changedBySharedOthers is the protocol oracle's test for a shared
// mapping's cookie: some other thread changed either fork since.
func (ip *Inode) changedBySharedOthers(t *lab.Thread, cookie uint64) bool {
	return changedByOthers(t, &ip.changes, cookie&0xffffffff) || changedByOthers(t, &ip.cowChanges, cookie>>32)
}

// beginCow is the reflink half of xfs_buffered_write_iomap_begin, for a
// reflink inode under ILOCK exclusive: e is the data fork's extent (or
// hole) at r.Start. If the COW fork covers r.Start the write goes there
// (found_cow). Otherwise a written data extent is trimmed to r and to the
// nearest shared boundary (xfs_bmap_trim_cow); if its first block is shared,
// the shared run is forked: delalloc is reserved in the COW fork over it
// (xfs_bmapi_reserve_delalloc with XFS_COW_FORK). It returns false when the
// data fork path decides (a hole gets data-fork delalloc, zeroing a hole or
// an unwritten extent maps the data fork).
//
// The returned mapping is the range where the COW extent and the data
// fork's source mapping (srcmap) overlap, typed by the source, which is what
// iomap's write and zero paths read (iomap_iter_srcmap, iomap_length): a
// written source is read for partial blocks, anything else is zeroed. It is
// flagged shared and its cookie holds both forks' sequences.
func (ip *Inode) beginCow(t *lab.Thread, r extent.Range, e extent.Extent, op iomap.Op) (iomap.Mapping, bool, error) {
	if op&iomap.OpZero != 0 && e.State == extent.Hole {
		return iomap.Mapping{}, false, nil
	}
	if c := ip.cf.Lookup(r.Start); c.State != extent.Hole {
		return ip.cowMapping(e, c), true, nil
	}
	if e.State == extent.Hole || (op&iomap.OpZero != 0 && e.State != extent.Written) {
		return iomap.Mapping{}, false, nil
	}
	d := e.Clip(r)
	if d.State != extent.Written {
		return mapping(d, ip.df.Seq()), true, nil // only written extents are shared
	}
	s, shared := ip.fs.space.FindShared(t, d.PhysRange())
	if !shared {
		return mapping(d, ip.df.Seq()), true, nil
	}
	if s.Start > d.PBlk {
		// Shared midway: map up to the shared run; the next call forks it.
		return mapping(d.Clip(extent.Range{Start: d.Start, End: d.Start + (s.Start - d.PBlk)}), ip.df.Seq()), true, nil
	}
	d = d.Clip(extent.Range{Start: d.Start, End: d.Start + s.Len()})
	c, err := ip.reserveCow(t, d.Range)
	if err != nil {
		return iomap.Mapping{}, true, err
	}
	return ip.cowMapping(d, c), true, nil
}

// cowMapping is found_cow: the COW extent c over the data fork's e.
func (ip *Inode) cowMapping(e, c extent.Extent) iomap.Mapping {
	src := c.Clip(e.Range) // a data-fork hole: the COW extent is the source
	if e.State != extent.Hole {
		src = e.Clip(c.Range)
	}
	m := mapping(src, ip.sequence(iomap.FlagShared))
	m.Flags |= iomap.FlagShared
	return m
}

// reserveCow reserves delalloc in the COW fork for the shared file blocks
// d, rounded out to the COW extent size hint without overlapping the COW
// fork's neighbouring extents (xfs_bmapi_reserve_delalloc with
// XFS_COW_FORK and xfs_bmap_extsize_align), and returns the COW extent at
// d.Start. Preconditions: ILOCK exclusive; the COW fork has a hole at
// d.Start.
func (ip *Inode) reserveCow(t *lab.Thread, d extent.Range) (extent.Extent, error) {
	h := ip.cf.Lookup(d.Start)
	eof := h.End == extent.MaxBlock
	end := d.End
	if !eof {
		end = min(end, h.End)
	}
	start, end := alignCow(d.Start, end, ip.fs.cowExtSize(), h.Start, h.End, eof)
	if err := ip.fs.space.Reserve(t, end-start); err != nil {
		return extent.Extent{}, err
	}
	//mutant:xfs-cow-seq-bump-reserve noseq
	ip.cf.Set(extent.Extent{Range: extent.Range{Start: start, End: end}, State: extent.Delalloc})
	ip.noteCowChange(t)
	ip.fs.Stats.CowReserved.Add(1)
	off, n := extent.Range{Start: start, End: end}.Bytes()
	t.Tracepoint("cow_reserve", lab.F("ino", ip.ino), lab.F("off", off), lab.F("len", n))
	return ip.cf.Lookup(d.Start), nil
}

// alignCow is xfs_bmap_extsize_align for a delayed allocation: round
// [off, end) out to multiples of extsz, then pull it back so that it
// neither starts before prevo (the end of the previous COW extent) nor,
// unless eof (no next extent), ends after nexto (the next one's start).
func alignCow(off, end, extsz, prevo, nexto uint64, eof bool) (uint64, uint64) {
	origOff, origEnd := off, end
	n := end - off
	if r := off % extsz; r != 0 {
		n += r
		off -= r
	}
	if r := n % extsz; r != 0 {
		n += extsz - r
	}
	if off != origOff && off < prevo {
		off = prevo
	}
	if !eof && off+n != origEnd && off+n > nexto {
		off = 0
		if nexto > n {
			off = nexto - n
		}
	}
	if off != origOff && off < prevo {
		off = prevo
	}
	if !eof && off+n != origEnd && off+n > nexto {
		n = nexto - off
	}
	return off, off + n
}

// convertCow is xfs_bmapi_convert_delalloc on the COW fork at writeback:
// allocate the delalloc COW extent holding fblk as unwritten staging
// blocks (XFS_BMAPI_COWFORK | XFS_BMAPI_PREALLOC) owned by this file's
// blocks, and map the COW extent there, shared. A real COW extent is mapped
// as it is. It returns the COW fork's seq with the mapping, or false when no
// COW extent holds fblk any more (-EAGAIN: I/O completion remapped it).
func (ip *Inode) convertCow(t *lab.Thread, fblk uint64) (iomap.Mapping, uint64, bool) {
	ip.ilock.Lock(t)
	defer ip.ilock.Unlock(t)
	c := ip.cf.Lookup(fblk)
	switch c.State {
	case extent.Hole:
		return iomap.Mapping{}, 0, false
	case extent.Delalloc:
		runs := ip.fs.space.AllocReserved(t, c.Len(), ip.lastAlloc)
		at := c.Start
		for _, run := range runs {
			ip.fs.dev.Own(t, run.Start, run.Len(), uint64(ip.ino), at)
			//mutant:xfs-cow-seq-bump-convert noseq
			ip.cf.Convert(extent.Range{Start: at, End: at + run.Len()}, extent.Delalloc, extent.Unwritten, run.Start)
			at += run.Len()
			ip.lastAlloc = run.End
		}
		ip.noteCowChange(t)
		c = ip.cf.Lookup(fblk)
	}
	m := mapping(c, ip.sequence(iomap.FlagShared))
	m.Flags |= iomap.FlagShared
	return m, ip.cf.Seq(), true
}

// convertCowWritten is xfs_reflink_convert_cow, run as a shared ioend is
// submitted: the staging blocks it writes become real (written) in the COW
// fork, so that only they are remapped at completion.
func (ip *Inode) convertCowWritten(t *lab.Thread, r extent.Range) {
	ip.ilock.Lock(t)
	defer ip.ilock.Unlock(t)
	ip.cf.Convert(r, extent.Unwritten, extent.Written, 0)
	ip.noteCowChange(t)
}

// endCow is xfs_reflink_end_cow at I/O completion of a shared ioend: each
// real COW extent in r replaces the data fork's mapping (whose blocks lose
// this file's reference, whose delalloc is released) and leaves the COW
// fork. Unwritten or delalloc COW extents in r are speculative
// preallocation and stay. Both forks' seqs move.
func (ip *Inode) endCow(t *lab.Thread, r extent.Range) {
	ip.ilock.Lock(t)
	defer ip.ilock.Unlock(t)
	for _, c := range ip.cf.Extents(r) {
		if c.State != extent.Written {
			continue
		}
		//mutant:xfs-seq-bump-end-cow noseq
		ip.freeExtents(t, ip.df.Remove(c.Range))
		//mutant:xfs-cow-seq-bump-end-cow noseq
		ip.cf.Remove(c.Range)
		//mutant:xfs-seq-bump-end-cow noseq
		ip.df.Set(extent.Extent{Range: c.Range, State: extent.Written, PBlk: c.PBlk})
		ip.fs.Stats.CowRemapped.Add(1)
		off, n := c.Range.Bytes()
		t.Tracepoint("cow_remap", lab.F("ino", ip.ino), lab.F("off", off), lab.F("len", n), lab.F("pblk", int64(c.PBlk)))
	}
	ip.noteChange(t)
	ip.noteCowChange(t)
	ip.persist(t)
}

// cancelCow is xfs_reflink_cancel_cow_blocks: drop the COW fork's extents
// in r, releasing delalloc reservations and freeing staging blocks.
// Preconditions: ILOCK exclusive.
func (ip *Inode) cancelCow(t *lab.Thread, r extent.Range) {
	if removed := ip.cf.Remove(r); len(removed) > 0 {
		ip.noteCowChange(t)
		ip.freeExtents(t, removed)
	}
}

// CowExtents returns the COW fork's extents (for oracles and tests).
func (ip *Inode) CowExtents(t *lab.Thread) []extent.Extent {
	ip.ilock.RLock(t)
	defer ip.ilock.RUnlock(t)
	return ip.cf.All()
}

// CowSeq returns the COW fork's sequence counter.
func (ip *Inode) CowSeq() uint64 { return ip.cf.Seq() }
