package lab

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// Thread is a simulated kernel thread: the kernel's current.
type Thread struct {
	w      *World
	id     int
	name   string
	daemon bool
	wake   chan struct{} // controlled mode: the baton

	// Controlled-mode scheduling state, touched only by the running thread.
	done      bool
	pred      func() bool // non-nil while blocked: runnable once it is true
	waitDesc  string
	waitOwner func() *Thread

	// Park state; guarded by w.mu in free mode.
	parkedAt string
	releases int
}

// ID is the thread's index in its world, in spawn order (main is 0).
func (t *Thread) ID() int { return t.id }

// Name is the name the thread was spawned with.
func (t *Thread) Name() string { return t.name }

// World returns the thread's world.
func (t *Thread) World() *World { return t.w }

// Go spawns a thread running fn. The run is not over until it returns.
func (t *Thread) Go(name string, fn func(t *Thread)) *Thread { return t.spawn(name, false, fn) }

// GoDaemon spawns a daemon thread (flusher, I/O completion, reclaim): it does
// not keep the run alive, and is stopped (unwound) at its next wait once every
// non-daemon thread has returned.
func (t *Thread) GoDaemon(name string, fn func(t *Thread)) *Thread { return t.spawn(name, true, fn) }

func (t *Thread) spawn(name string, daemon bool, fn func(t *Thread)) *Thread {
	w := t.w
	u := w.newThread(name, daemon)
	if !w.controlled {
		if daemon {
			w.daemons.Add(1)
		} else {
			w.live.Add(1)
		}
		go w.freeThread(u, fn)
		return u
	}
	w.startControlled(u, fn)
	t.record(KindSpawn, name, nil)
	t.yield()
	return u
}

// yield is a scheduling point of a controlled world.
func (t *Thread) yield() {
	if t.w.controlled {
		t.checkAbort()
		t.w.switchFrom(t)
	}
}

// wait blocks a controlled thread until pred holds, as one scheduling point:
// if pred already holds the strategy may still run someone else first.
func (t *Thread) wait(desc string, owner func() *Thread, pred func() bool) {
	t.checkAbort()
	t.pred, t.waitDesc, t.waitOwner = pred, desc, owner
	t.w.switchFrom(t)
	t.pred, t.waitOwner = nil, nil
}

func (t *Thread) checkAbort() {
	if t.w.aborting.Load() || t.w.finishing {
		panic(abortSentinel)
	}
}

// Fail ends the run with outcome Failed and msg (an oracle caught a
// violation). A controlled run is cut short; in a free world this thread
// unwinds, and so does every thread waiting on a lab Event, while threads
// running on keep going until they wait or return.
func (t *Thread) Fail(msg string) {
	panic(failure(msg))
}

// HostFault ends the run with outcome HostFault and err in Result.Err: the
// host could not do what the model asked of it (a backing file's pwrite
// failed with ENOSPC or EIO), so the run proves nothing either way. It
// stops the run as Fail does.
func (t *Thread) HostFault(err error) {
	panic(hostFault{err})
}

type failure string

type hostFault struct{ err error }

func hostErr(v any) error {
	if h, ok := v.(hostFault); ok {
		return h.err
	}
	return nil
}

type divergence string

// ErrDiverged marks a replay that did not follow its recording.
var ErrDiverged = errors.New("lab: replay diverged from its recording")

// abortSentinel unwinds a thread whose run was cut short.
var abortSentinel = &struct{ name string }{"lab: schedule aborted"}

func outcomeOf(v any) Outcome {
	switch v.(type) {
	case failure:
		return Failed
	case divergence:
		return Diverged
	case hostFault:
		return HostFault
	}
	return Panicked
}

func panicMessage(v any) string {
	switch v := v.(type) {
	case failure:
		return string(v)
	case divergence:
		return fmt.Sprintf("%v: %s", ErrDiverged, string(v))
	case hostFault:
		return v.err.Error()
	}
	return fmt.Sprintf("panic: %v\n%s", v, debug.Stack())
}
