package xfs

import (
	"sync/atomic"

	"iomaplab/iomap"
	"iomaplab/lab"
)

// daemons are the optional background threads of Options.Flusher and
// Options.Reclaimer. Each sleeps on an Event until there is work, so that an
// idle daemon is blocked and a run can end.
type daemons struct {
	dirtied  atomic.Int64 // bumped when data is dirtied (balance_dirty_pages' wakeup)
	cleaned  atomic.Int64 // bumped when writeback finishes an ioend
	flushEv  lab.Event
	reclaimE lab.Event
}

// noteDirtied wakes the flusher after a write or mmap store dirtied data.
func (fs *FS) noteDirtied(t *lab.Thread) {
	if fs.opts.Flusher {
		fs.bg.dirtied.Add(1)
		fs.bg.flushEv.Wake(t)
	}
}

// noteCleaned wakes the reclaimer after writeback completed.
func (fs *FS) noteCleaned(t *lab.Thread) {
	if fs.opts.Reclaimer {
		fs.bg.cleaned.Add(1)
		fs.bg.reclaimE.Wake(t)
	}
}

// flusher is the writeback daemon (wb_workfn): WB_SYNC_NONE writeback of
// every inode each time something was dirtied since its last pass.
func (fs *FS) flusher(t *lab.Thread) {
	var seen int64
	for {
		fs.bg.flushEv.Wait(t, func() bool { return fs.bg.dirtied.Load() != seen })
		seen = fs.bg.dirtied.Load()
		for _, ip := range fs.Inodes(t) {
			if err := iomap.Writepages(t, &ip.io, ip.wb, 0, maxFileSize, false); err != nil {
				ip.wbErr.Store(&err)
			}
		}
	}
}

// reclaimer is memory reclaim (kswapd): it evicts every clean, idle folio
// each time writeback has completed since its last pass.
func (fs *FS) reclaimer(t *lab.Thread) {
	var seen int64
	for {
		fs.bg.reclaimE.Wait(t, func() bool { return fs.bg.cleaned.Load() != seen })
		seen = fs.bg.cleaned.Load()
		for _, ip := range fs.Inodes(t) {
			fs.Stats.Reclaimed.Add(int64(ip.io.Cache.Reclaim(t, 0, maxFileSize)))
		}
	}
}
