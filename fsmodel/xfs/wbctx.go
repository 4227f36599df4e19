package xfs

import (
	"iomaplab/extent"
	"iomaplab/fsmodel/variant"
	"iomaplab/iomap"
	"iomaplab/lab"
)

// wpc is struct xfs_writepage_ctx: one writeback pass's xfs_writeback_ops
// with the sequences its cached mapping was checked against.
type wpc struct {
	wbOps
	dataSeq uint64 // the data fork's seq when the cached mapping was looked up
	cowSeq  uint64 // the COW fork's seq when a COW extent was last looked up
}

// NewContext starts a writeback context (xfs_vm_writepages' zeroed
// struct xfs_writepage_ctx).
func (o wbOps) NewContext() iomap.WritebackOps { return &wpc{wbOps: o} }

// MapBlocks of wbOps itself maps in a context of its own.
func (o wbOps) MapBlocks(t *lab.Thread, pos, length int64) (iomap.Mapping, error) {
	return o.NewContext().MapBlocks(t, pos, length)
}

// ValidWB of wbOps itself: a fresh context has validated nothing.
func (o wbOps) ValidWB(*lab.Thread, *iomap.Mapping) (bool, uint64) { return false, 0 }

// ValidWB is ValidWBNamed without the tracepoint name.
func (c *wpc) ValidWB(t *lab.Thread, m *iomap.Mapping) (bool, uint64) {
	ok, seq, _ := c.ValidWBNamed(t, m)
	return ok, seq
}

// ValidWBNamed is xfs_imap_valid's sequence checks as Linux 6.18 runs them
// (iomap checked that the mapping covers the offset): a COW (shared)
// mapping needs the COW fork's seq unchanged (wb_cow_iomap_invalid; its
// data fork seq is not checked: it was never recorded for it; the
// wb-trust-cow-map mutation skips this, as 6.12 does, with tracepoint
// wb_cow_map_stale_reached when it would have failed); a data fork
// mapping needs the data fork's seq unchanged (wb_iomap_invalid:
// trace_xfs_wb_data_iomap_invalid) and, while the COW fork has extents, the
// COW fork's seq as last recorded (wb_cow_iomap_invalid): a COW reservation
// made since could cover blocks the cached mapping names, which must then
// be written to the COW fork. The wb-no-cow-validate mutation skips the
// data mapping's COW check (tracepoint wb_cow_stale_reached when it would
// have failed).
//
// The COW mapping's check is measured on 6.18, not read: a truncate that
// cancels converted COW blocks under a running writeback pass makes the
// kernel emit xfs_wb_cow_iomap_invalid for mappings flagged IOMAP_F_SHARED
// and never xfs_wb_data_iomap_invalid for them (docs/design.md, "COW
// mappings are revalidated").
func (c *wpc) ValidWBNamed(t *lab.Thread, m *iomap.Mapping) (bool, uint64, string) {
	ip := c.ip
	if m.Flags&iomap.FlagShared != 0 {
		//mutant:xfs-imap-valid-shared-cow-seq false
		if seq := ip.cf.Seq(); c.cowSeq != seq {
			if !ip.fs.opts.Variant.Has(variant.WBTrustCowMap) {
				return false, seq, "wb_cow_iomap_invalid"
			}
			t.Tracepoint("wb_cow_map_stale_reached", lab.F("ino", ip.ino), lab.F("off", m.Offset),
				lab.F("cookie", int64(c.cowSeq)), lab.F("seq", int64(seq)))
		}
		return true, c.cowSeq, ""
	}
	//mutant:xfs-imap-valid-data-seq false
	if seq := ip.df.Seq(); c.dataSeq != seq {
		return false, seq, "wb_iomap_invalid"
	}
	if ip.cowData.Load() {
		//mutant:xfs-imap-valid-cow-seq false
		if seq := ip.cf.Seq(); c.cowSeq != seq {
			if !ip.fs.opts.Variant.Has(variant.WBNoCowValidate) {
				return false, seq, "wb_cow_iomap_invalid"
			}
			t.Tracepoint("wb_cow_stale_reached", lab.F("ino", ip.ino), lab.F("off", m.Offset),
				lab.F("cookie", int64(c.cowSeq)), lab.F("seq", int64(seq)))
		}
	}
	return true, c.dataSeq, ""
}

// MapBlocks is xfs_map_blocks' slow path. Under ILOCK shared: if the COW
// fork covers the offset, record its seq and convert there (COW I/O takes
// precedence over the data fork, shared or not). Otherwise look up the data
// fork and record its seq; a delalloc extent is converted
// (xfs_bmapi_convert_delalloc: the whole extent, as unwritten; Point
// xfs.alloc.convert), and the mapping is cut at the next COW extent so the
// blocks it covers are looked up again. (The kernel's second
// xfs_imap_valid after the COW lookup cannot succeed here: iomap asks only
// after the cached mapping failed, and this path changes no seq it checks.)
func (c *wpc) MapBlocks(t *lab.Thread, pos, length int64) (iomap.Mapping, error) {
	ip := c.ip
	fblk := blockOf(pos)
	retried := false
	for {
		cowNext := extent.MaxBlock
		ip.ilock.RLock(t)
		if ip.cowData.Load() {
			ce := ip.cf.Lookup(fblk)
			cowNext = ce.End
			if ce.State != extent.Hole {
				c.cowSeq = ip.cf.Seq()
				ip.ilock.RUnlock(t)
				if err := t.Point("xfs.alloc.convert"); err != nil {
					return iomap.Mapping{}, err
				}
				m, seq, ok := ip.convertCow(t, fblk)
				if ok {
					c.cowSeq = seq
					return m, nil
				}
				if retried {
					panic("xfs: the COW extent under a locked folio vanished twice")
				}
				retried = true // remapped by I/O completion: look again
				continue
			}
		}
		e := ip.df.Lookup(fblk)
		c.dataSeq = ip.df.Seq()
		ip.ilock.RUnlock(t)
		if e.State == extent.Hole {
			e = e.Clip(extent.Range{Start: fblk, End: e.End})
		}
		if e.State != extent.Delalloc {
			return mapping(e.Clip(extent.Range{Start: e.Start, End: min(e.End, cowNext)}), c.dataSeq), nil
		}
		if err := t.Point("xfs.alloc.convert"); err != nil {
			return iomap.Mapping{}, err
		}
		m, ok := ip.convertDelalloc(t, fblk)
		if ok {
			//mutant:xfs-wb-data-seq-after-convert delete
			c.dataSeq = m.Cookie
			if cowNext != extent.MaxBlock && int64(cowNext*bs) < m.End() {
				m.Length = int64(cowNext*bs) - m.Offset
			}
			return m, nil
		}
		// The delalloc went away between the locks: look again.
	}
}
