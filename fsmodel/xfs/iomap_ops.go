package xfs

import (
	"fmt"

	"iomaplab/extent"
	"iomaplab/fsmodel/variant"
	"iomaplab/iomap"
	"iomaplab/lab"
)

// readWriteOps are xfs_buffered_write_iomap_ops (also used for zeroing and
// page_mkwrite, as xfs_page_mkwrite_iomap_ops).
type readWriteOps struct{ ip *Inode }

// Begin is xfs_buffered_write_iomap_begin (Linux 6.18): under one
// exclusive ILOCK hold it looks the offset up, reserves and inserts delalloc
// over a hole (not for zeroing, which leaves holes alone), with speculative
// preallocation past EOF when the hole is the last one and the write ends
// past i_size (prealloc.go), and samples the cookie after the insert.
// Sampling before the insert (cookie-before-insert) hands out a mapping
// that its own insert already made stale. Zeroing trims a delalloc extent at
// the EOF block and converts one past it to unwritten blocks
// (zeroConvertDelay, after ILOCK is dropped).
func (o readWriteOps) Begin(t *lab.Thread, pos, length int64, op iomap.Op) (iomap.Mapping, error) {
	m, convert, err := o.ip.beginLocked(t, pos, length, op)
	if convert {
		return o.ip.zeroConvertDelay(t, pos, length)
	}
	return m, err
}

// beginLocked is Begin's ILOCK hold; convert asks for zeroConvertDelay.
func (ip *Inode) beginLocked(t *lab.Thread, pos, length int64, op iomap.Op) (m iomap.Mapping, convert bool, err error) {
	r := extent.BlockRange(pos, length)
	//mutant:xfs-begin-ilock delete
	ip.ilock.Lock(t)
	//mutant:xfs-begin-ilock delete
	defer ip.ilock.Unlock(t)
	e := ip.df.Lookup(r.Start)
	if ip.reflink {
		if m, done, err := ip.beginCow(t, r, e, op); done {
			return m, false, err
		}
	}
	if op&iomap.OpZero != 0 && e.State == extent.Delalloc {
		if eof := ip.eofBlock(); r.Start >= eof {
			return iomap.Mapping{}, true, nil
		} else if e.End > eof {
			e = e.Clip(extent.Range{Start: e.Start, End: eof})
		}
	}
	if e.State != extent.Hole || op&iomap.OpZero != 0 {
		if e.State == extent.Hole {
			e = e.Clip(extent.Range{Start: r.Start, End: e.End})
		}
		return mapping(e, ip.df.Seq()), false, nil
	}
	// A hole: reserve delalloc up to the next extent or the end of the
	// request (at most 1024 pages), plus the preallocation past EOF.
	count := min(length, maxWriteMapBytes)
	end := min(e.End, extent.BlockRange(pos, count).End)
	var prealloc uint64
	if e.End == extent.MaxBlock && pos+count > ip.io.Size() {
		prealloc = ip.eofPrealloc(t, pos, count, end)
	}
	cookie := ip.df.Seq()
	d, err := ip.reserveDelalloc(t, extent.Range{Start: r.Start, End: end}, prealloc)
	if err != nil {
		return iomap.Mapping{}, false, err
	}
	if !ip.fs.opts.Variant.Has(variant.CookieBeforeInsert) {
		//mutant:xfs-cookie-after-insert delete
		cookie = ip.df.Seq()
	}
	ip.fs.Stats.HoleToDelalloc.Add(1)
	off, n := d.Range.Bytes()
	t.Tracepoint("da_reserve", lab.F("ino", ip.ino), lab.F("off", off), lab.F("len", n))
	m = mapping(d, cookie)
	m.Flags |= iomap.FlagNew
	return m, false, nil
}

// End is xfs_buffered_write_iomap_end: a write that did not use all the
// delalloc it created releases the rest, except under dirty folios.
func (o readWriteOps) End(t *lab.Thread, pos, length, written int64, op iomap.Op, m *iomap.Mapping) error {
	ip := o.ip
	if op&iomap.OpFault != 0 || m.Type != iomap.Delalloc || m.Flags&iomap.FlagNew == 0 {
		return nil
	}
	start := roundDown(pos) // iomap_last_written_block
	if written > 0 {
		start = roundUp(pos + written)
	}
	end := roundUp(pos + length)
	if start >= end {
		return nil
	}
	if op&iomap.OpZero == 0 {
		//mutant:xfs-write-end-mmaplock delete
		ip.mmaplock.Lock(t)
		//mutant:xfs-write-end-mmaplock delete
		defer ip.mmaplock.Unlock(t)
	}
	return iomap.DelallocRelease(t, &ip.io, start, end, ip.punchDelalloc)
}

// Valid is xfs_iomap_valid: the cookie must equal
// xfs_iomap_inode_sequence for the mapping's flags (the data fork's if_seq,
// and for a shared mapping the COW fork's too), read locklessly (the caller
// holds the folio lock). The protocol oracle runs on
// every stale verdict: some other thread must have changed the fork since
// the mapping was made, or the verdict is spurious.
func (o readWriteOps) Valid(t *lab.Thread, m *iomap.Mapping) (bool, uint64) {
	ip := o.ip
	seq := ip.sequence(m.Flags)
	//mutant:xfs-iomap-valid true
	if m.Cookie == seq {
		return true, seq
	}
	if !ip.fs.opts.NoProtocolOracle && !ip.changedByOthersSince(t, m) && !ip.changedByOthersLocked(t, m) {
		t.Tracepoint("protocol_violation", lab.F("ino", ip.ino), lab.F("off", m.Offset),
			lab.F("cookie", int64(m.Cookie)), lab.F("seq", int64(seq)))
		ip.fs.protocolViolation(t, fmt.Sprintf("protocol: ino %d: mapping %v is stale (seq %d) but no other thread changed the data fork since it was made",
			ip.ino, m, seq))
	}
	return false, seq
}

// changedByOthersLocked confirms a suspected spurious verdict under ILOCK:
// a change bumps the seq before it is logged, both inside one exclusive
// ILOCK hold, so only with ILOCK held is the log known to cover the seq.
func (ip *Inode) changedByOthersLocked(t *lab.Thread, m *iomap.Mapping) bool {
	ip.ilock.RLock(t)
	defer ip.ilock.RUnlock(t)
	return ip.changedByOthersSince(t, m)
}

// punchDelalloc removes the delalloc extents in [off, off+n) and returns
// their reservations (xfs_bmap_punch_delalloc_range).
func (ip *Inode) punchDelalloc(t *lab.Thread, off, n int64) error {
	r := extent.BlockRange(off, n)
	ip.ilock.Lock(t)
	defer ip.ilock.Unlock(t)
	for _, e := range ip.df.Extents(r) {
		if e.State != extent.Delalloc {
			continue
		}
		//mutant:xfs-seq-bump-punch-delalloc noseq
		removed := ip.df.Remove(e.Range)
		ip.noteChange(t)
		ip.fs.Stats.DelallocPunched.Add(int64(e.Len()))
		ip.freeExtents(t, removed)
	}
	return nil
}

// noValidOps are readWriteOps without ->iomap_valid (Options.NoIomapValid).
type noValidOps struct{ rw readWriteOps }

func (o noValidOps) Begin(t *lab.Thread, pos, length int64, op iomap.Op) (iomap.Mapping, error) {
	return o.rw.Begin(t, pos, length, op)
}

func (o noValidOps) End(t *lab.Thread, pos, length, written int64, op iomap.Op, m *iomap.Mapping) error {
	return o.rw.End(t, pos, length, written, op, m)
}

// readOps are xfs_read_iomap_ops: a lookup under ILOCK shared.
type readOps struct{ ip *Inode }

func (o readOps) Begin(t *lab.Thread, pos, length int64, op iomap.Op) (iomap.Mapping, error) {
	ip := o.ip
	fblk := blockOf(pos)
	ip.ilock.RLock(t)
	defer ip.ilock.RUnlock(t)
	e := ip.df.Lookup(fblk)
	if e.State == extent.Hole {
		e = e.Clip(extent.Range{Start: fblk, End: e.End})
	}
	return mapping(e, ip.df.Seq()), nil
}

func (o readOps) End(*lab.Thread, int64, int64, int64, iomap.Op, *iomap.Mapping) error { return nil }
