package kernel

import (
	"runtime"

	"iomaplab/kernel/uffd"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// Pwrite implements vfs.File for scenario runs. A write with StallAt runs
// its syscall on a helper thread and parks the calling lab thread while the
// syscall is parked on its userfaultfd page, so the runner's
// 'await W.stalled' sees W stalled and 'release W' lets it go. Writes of
// scenario threads (not setup or after, which run on "main") are bracketed
// by trace markers naming their OS thread, so evidence is counted in the
// writers' own threads.
func (f *scenarioFile) Pwrite(t *lab.Thread, buf vfs.Buffer, off int64) (int, error) {
	if t == nil || t.Name() == "main" {
		return f.File.Pwrite(t, buf, off)
	}
	f.run.captureBefore(f)
	if buf.StallAt != vfs.NoOffset {
		return f.pwriteParked(t, buf, off)
	}
	tid := LockThread()
	defer runtime.UnlockOSThread()
	f.run.markBegin(tid, false)
	n, err := f.File.Pwrite(t, buf, off)
	f.run.markEnd(tid)
	return n, err
}

type pwriteResult struct {
	n   int
	err error
}

// pwriteParked is the stall-at write. The uffd source reports the park (no
// sleeps); the lab thread then parks at "uffd" until released, and the
// page is filled. If the write returns without parking (it failed before
// reaching the page), the lab thread parks anyway so the scenario's
// await/release still pair up, and the run counts as not parked. The uffd
// watchdog still resolves a fault nobody released in time, and Check reports
// the watchdog; the lab thread stays parked until the scenario releases it.
// (It used to be released with the fault, but a thread that parked and left
// again before its window thread awaited it left that thread waiting for a
// park that was over: await T.stalled waits for a thread that is parked now.
// The window thread's release always comes: once the fault is resolved the
// write returns and drops i_rwsem, so a window op blocked behind it
// finishes.)
func (f *scenarioFile) pwriteParked(t *lab.Thread, buf vfs.Buffer, off int64) (int, error) {
	env := f.run.tg.env
	src, err := uffd.NewSource(buf.Data, buf.StallAt, buf.FaultAt, env.Watchdog)
	if err != nil {
		return 0, err
	}
	f.run.mu.Lock()
	f.run.stalls++
	f.run.mu.Unlock()
	done := make(chan pwriteResult, 1)
	finished := make(chan struct{})
	// A signal or a panic elsewhere: fill the page, wait until the write has
	// returned and let go of the file, so the unmount finds no user.
	res := env.sup.Defer("resolve fault of a write to "+f.name, func() error {
		src.Release()
		<-finished
		return nil
	})
	// Unwinding (a panic on this lab thread) must not leave the write
	// parked, nor unmap its buffer under it.
	defer func() {
		src.Release()
		<-finished
		env.sup.Release(res)
		src.Close()
	}()
	env.sup.Go("parked pwrite of "+f.name, func() {
		defer close(finished)
		tid := LockThread()
		defer runtime.UnlockOSThread()
		f.run.markBegin(tid, true)
		n, err := f.pwriteSource(src, off)
		f.run.markEnd(tid)
		done <- pwriteResult{n, err}
	})
	var r pwriteResult
	returned := false
	select {
	case <-src.Parked():
	case r = <-done:
		returned = true
	}
	parked := !returned
	if returned { // it may have parked and been resolved by the watchdog already
		select {
		case <-src.Parked():
			parked = true
		default:
		}
	}
	where := "uffd (the write never reached its stall page)"
	if parked {
		where = "uffd"
		f.run.mu.Lock()
		f.run.parked++
		f.run.mu.Unlock()
		if hook := env.OnParked; hook != nil {
			hookDone := make(chan struct{})
			// Not closed on a panic: the supervisor ends the run first.
			env.sup.Go("on-parked hook", func() { hook(); close(hookDone) })
			<-hookDone
		}
	}
	if parked {
		f.run.markWindow(true)
	}
	t.Park(where)
	if parked {
		f.run.markWindow(false)
	}
	src.Release()
	if !returned {
		r = <-done
	}
	if src.WatchdogFired() {
		f.run.mu.Lock()
		f.run.watchdog++
		f.run.mu.Unlock()
	}
	if serr := src.Err(); serr != nil && r.err == nil {
		r.err = serr
	}
	return r.n, r.err
}
