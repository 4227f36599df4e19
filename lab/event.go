package lab

import "sync"

// Event is a wait queue: threads Wait until a condition on shared state holds,
// and whoever changes that state calls Wake (folio_wait_writeback and
// folio_end_writeback, a daemon's work queue). The condition must read state
// that the waker changes before calling Wake; in free mode it must be safe to
// read concurrently (atomics, or state guarded by a lock the predicate takes
// no part in changing). The zero value is ready; set Name for traces.
type Event struct {
	Name string
	mu   sync.Mutex
	gen  chan struct{} // free mode: closed and replaced by Wake
}

func (e *Event) name() string {
	if e.Name == "" {
		return "event"
	}
	return e.Name
}

// Wait returns once cond holds. In a controlled world it is a scheduling
// point. A daemon waiting when the run ends is unwound here.
func (e *Event) Wait(t *Thread, cond func() bool) {
	if t.w.controlled {
		t.wait("wait "+e.name(), nil, cond)
		return
	}
	for {
		e.mu.Lock()
		if cond() {
			e.mu.Unlock()
			return
		}
		if e.gen == nil {
			e.gen = make(chan struct{})
		}
		gen := e.gen
		e.mu.Unlock()
		select {
		case <-gen:
		case <-t.w.stopCh:
			panic(abortSentinel)
		}
	}
}

// Wake lets every waiter re-check its condition. It is not a scheduling point.
func (e *Event) Wake(t *Thread) {
	if t.w.controlled {
		return
	}
	e.mu.Lock()
	if e.gen != nil {
		close(e.gen)
		e.gen = nil
	}
	e.mu.Unlock()
}
