package fsx

import (
	"fmt"
	"runtime/debug"
	"sync/atomic"

	"iomaplab/lab"
)

// opLog is a worker's log of the ops it ran. Only the worker appends; Run
// reads it at the end, also for a worker still stuck in the target after
// another one died (see Run), so the slice and its length are published
// atomically.
type opLog struct {
	ops []Op
	pub atomic.Pointer[[]Op]
	n   atomic.Int64
}

func (l *opLog) add(op Op) {
	grew := len(l.ops) == cap(l.ops)
	l.ops = append(l.ops, op)
	if grew {
		p := l.ops[:cap(l.ops)]
		l.pub.Store(&p)
	}
	l.n.Add(1)
}

// snapshot returns the ops logged so far.
func (l *opLog) snapshot() []Op {
	n := l.n.Load()
	p := l.pub.Load()
	if p == nil {
		return nil
	}
	return (*p)[:n:n]
}

// worker is one thread of the run with its generator (or recorded stream),
// its log and its counters; only its own thread touches it.
type worker struct {
	h      *harness
	id     int
	g      *gen
	nops   int64
	replay []Op
	log    opLog
	buf    []byte
	// held is the harness lock mode this worker holds (lockNone, lockShared,
	// lockExcl), so a thread that dies in the target (a panic) releases it
	// and the other threads can stop instead of waiting forever.
	held int
}

const (
	lockNone = iota
	lockShared
	lockExcl
)

func (wk *worker) rlock(t *lab.Thread)   { wk.h.mu.RLock(t); wk.held = lockShared }
func (wk *worker) runlock(t *lab.Thread) { wk.held = lockNone; wk.h.mu.RUnlock(t) }
func (wk *worker) lock(t *lab.Thread)    { wk.h.mu.Lock(t); wk.held = lockExcl }
func (wk *worker) unlock(t *lab.Thread)  { wk.held = lockNone; wk.h.mu.Unlock(t) }

func (h *harness) newWorker(id int) *worker {
	cfg := h.cfg
	wk := &worker{h: h, id: id}
	if cfg.Replay != nil {
		wk.replay = cfg.Replay[id]
		return wk
	}
	wk.g = newGen(&cfg.Options, id)
	wk.nops = cfg.Ops / int64(cfg.Threads)
	if int64(id) < cfg.Ops%int64(cfg.Threads) {
		wk.nops++
	}
	return wk
}

func (wk *worker) run(t *lab.Thread) {
	h := wk.h
	finished := false
	defer func() {
		if finished {
			h.finished.Add(1)
			h.doneEv.Wake(t)
			return
		}
		// A panic in the target (or t.Fail, an engine oracle), or the lab
		// unwinding the run. Record it, release the harness lock so the
		// other threads can stop, and let the panic go on to the lab.
		v := recover()
		f := &Failure{Stage: "thread " + t.Name() + " did not finish", aborted: true}
		if ops := wk.log.ops; len(ops) > 0 {
			f.Op = &ops[len(ops)-1] // the op it died in
		}
		if v != nil {
			f.Err = fmt.Errorf("%v\n%s", v, debug.Stack())
		}
		h.setFailure(t, f)
		switch wk.held {
		case lockShared:
			wk.runlock(t)
		case lockExcl:
			wk.unlock(t)
		}
		h.finished.Add(1)
		h.doneEv.Wake(t)
		h.noteDeath()
		if v != nil {
			panic(v)
		}
	}()
	if wk.replay != nil {
		wk.runReplay(t)
	} else {
		for i := range wk.nops {
			if h.stopped() {
				break
			}
			id := i*int64(h.cfg.Threads) + int64(wk.id) + 1
			wk.step(t, wk.g.draw(), id)
		}
	}
	finished = true
}

// step runs one generated operation under the harness lock in the mode its
// kind needs. A write or mapwrite that would cross EOF is retaken
// exclusively; with several threads a data op below EOF is kept inside the
// thread's slice.
func (wk *worker) step(t *lab.Thread, d draw, id int64) {
	h := wk.h
	if d.kind.exclusive() {
		wk.exclusive(t, d, id)
		return
	}
	wk.rlock(t)
	if (d.kind == Clone || d.kind == Copy) && h.cfg.Threads > 1 && d.again {
		// Half the clones and copies stay inside the thread's slice of
		// one file and run shared, racing the other threads' ops on the
		// same file; the rest run exclusively anywhere.
		lo, hi := h.slice(d.file, wk.id)
		if op, ok := wk.g.shapeRemapIn(d, h.sizeOf(d.file), lo, hi); ok {
			op.ID, op.Thread, op.Epoch = id, wk.id, h.epoch
			wk.exec(t, op)
			wk.runlock(t)
			return
		}
	}
	op := wk.g.shape(d, h.sizeOf)
	if op.Excl {
		wk.runlock(t)
		wk.exclusive(t, d, id)
		return
	}
	if h.cfg.Threads > 1 && !d.kind.neutral() {
		lo, hi := h.slice(d.file, wk.id)
		var ok bool
		if op, ok = wk.g.shapeIn(d, op.Size, lo, hi); !ok {
			if d.kind == Write || d.kind == MapWrite {
				wk.runlock(t)
				wk.exclusive(t, d, id)
				return
			}
			op.Len = 0 // a read with nowhere to read: check the size only
		}
	}
	op.ID, op.Thread, op.Epoch = id, wk.id, h.epoch
	wk.exec(t, op)
	wk.runlock(t)
}

// exclusive runs d under the harness lock taken exclusively and ends the epoch.
func (wk *worker) exclusive(t *lab.Thread, d draw, id int64) {
	h := wk.h
	wk.lock(t)
	op := wk.g.shape(d, h.sizeOf)
	op.Excl = true
	op.ID, op.Thread, op.Epoch = id, wk.id, h.epoch
	wk.exec(t, op)
	h.endEpoch()
	wk.unlock(t)
}

// endEpoch starts the next epoch; the caller holds mu exclusively.
func (h *harness) endEpoch() {
	h.epoch++
	h.epochNow.Store(h.epoch)
	h.recut()
}

// runReplay runs a recorded stream. Each op waits for its epoch; an
// exclusive op also waits until every shared op of its epoch (on any
// thread) has finished. So the epochs, and every byte the oracle expects,
// are those of the recording; inside an epoch the threads interleave as the
// scheduler pleases.
func (wk *worker) runReplay(t *lab.Thread) {
	h := wk.h
	for _, op := range wk.replay {
		if h.stopped() {
			return
		}
		e := op.Epoch
		if op.Excl {
			h.epochEv.Wait(t, func() bool {
				return h.stopped() || h.epochNow.Load() == e && h.sharedDone[e].Load() == h.sharedWant[e]
			})
			if h.stopped() {
				return
			}
			wk.lock(t)
			op.Size = h.refs[op.File].Size()
			wk.exec(t, op)
			h.endEpoch()
			wk.unlock(t)
		} else {
			h.epochEv.Wait(t, func() bool { return h.stopped() || h.epochNow.Load() == e })
			if h.stopped() {
				return
			}
			wk.rlock(t)
			op.Size = h.refs[op.File].Size()
			wk.exec(t, op)
			wk.runlock(t)
			h.sharedDone[e].Add(1)
		}
		h.epochEv.Wake(t)
	}
}
