package blockdev

import "iomaplab/lab"

// RunCompletions is the I/O completion daemon (the kernel's completion
// workqueue running bi_end_io and XFS's ioend work): it waits for queued
// completions, pops them in submission order, passes Point
// blockdev.complete (an error injected there becomes b.Err if b had none),
// runs b.End, then marks b done and wakes waiters. It never returns; start
// it with t.GoDaemon("io-completion", dev.RunCompletions). More than one
// daemon may run it; each completion then runs on exactly one of them.
func (d *Device) RunCompletions(t *lab.Thread) {
	for {
		d.work.Wait(t, func() bool { return d.queued.Load() > 0 })
		b := d.pop(t)
		if b == nil {
			continue // another daemon took it
		}
		if err := t.Point("blockdev.complete"); err != nil {
			b.setErr(err)
		}
		if b.End != nil {
			b.End(t, b)
		}
		d.qMu.Lock(t)
		d.inflight.Delete(b)
		d.qMu.Unlock(t)
		b.done.Store(true)
		d.done.Wake(t)
	}
}

func (d *Device) pop(t *lab.Thread) *Bio {
	d.qMu.Lock(t)
	defer d.qMu.Unlock(t)
	if d.qHead == len(d.queue) {
		return nil
	}
	b := d.queue[d.qHead]
	d.queue[d.qHead] = nil
	d.qHead++
	if d.qHead == len(d.queue) {
		d.queue, d.qHead = d.queue[:0], 0
	}
	d.queued.Add(-1)
	return b
}

// WaitBio waits until b's completion has run. Only a submitted b completes.
func (d *Device) WaitBio(t *lab.Thread, b *Bio) {
	d.done.Wait(t, b.done.Load)
}

// WaitInode waits until every I/O submitted before the call whose Owner is
// inode ino and whose file blocks overlap [start, end) has completed (its End
// has returned): what fsync and truncate need after writeback
// (filemap_fdatawait_range together with XFS's ioend completion). Pass
// start 0, end ^uint64(0) for the whole file.
func (d *Device) WaitInode(t *lab.Thread, ino, start, end uint64) {
	d.waitFor(t, func(b *Bio) bool {
		return b.Owner.Ino == ino && b.Owner.FBlk < end && start < b.Owner.FBlk+b.Blocks()
	})
}

// WaitAll waits until every I/O submitted before the call has completed
// (unmount, remount).
func (d *Device) WaitAll(t *lab.Thread) {
	d.waitFor(t, func(*Bio) bool { return true })
}

// waitFor waits for the in-flight I/Os that match.
func (d *Device) waitFor(t *lab.Thread, match func(b *Bio) bool) {
	var pending []*Bio
	d.qMu.Lock(t)
	d.inflight.Ascend(func(b *Bio) bool {
		if match(b) {
			pending = append(pending, b)
		}
		return true
	})
	d.qMu.Unlock(t)
	d.done.Wait(t, func() bool {
		for _, b := range pending {
			if !b.done.Load() {
				return false
			}
		}
		return true
	})
}

// Inflight returns the number of submitted I/Os whose completion has not run.
func (d *Device) Inflight(t *lab.Thread) int {
	d.qMu.Lock(t)
	defer d.qMu.Unlock(t)
	return d.inflight.Len()
}
