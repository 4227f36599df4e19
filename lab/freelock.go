package lab

import (
	"sync"
	"sync/atomic"
)

// freeLock is the lock of a free world's Mutex and RWMutex: a reader-writer
// lock whose waiters also watch the world's stop channel, so that when a
// thread dies holding it (a panic, a failed oracle, a host fault) the
// threads blocked on it unwind instead of waiting forever. Like
// sync.RWMutex, a waiting writer keeps new readers out.
//
// The uncontended paths are one compare-and-swap each way. Waiters sleep on
// a generation channel that every release closes while anyone waits; each
// retries under mu, so a release between a failed try and the sleep is
// never lost (the release changes state before it reads waiters, the
// waiter counts itself before it tries; both sequentially consistent).
type freeLock struct {
	state   atomic.Int32 // -1: held exclusively; n > 0: n readers
	writers atomic.Int32 // writers waiting
	waiters atomic.Int32 // threads waiting, either kind

	mu  sync.Mutex
	gen chan struct{} // closed and replaced by a release while waiters > 0
}

func (l *freeLock) tryLock() bool { return l.state.CompareAndSwap(0, -1) }

func (l *freeLock) tryRLock() bool {
	for {
		s := l.state.Load()
		if s < 0 || l.writers.Load() > 0 {
			return false
		}
		if l.state.CompareAndSwap(s, s+1) {
			return true
		}
	}
}

// lock takes l exclusively, or returns false once stop is closed.
func (l *freeLock) lock(stop <-chan struct{}) bool {
	if l.tryLock() {
		return true
	}
	l.writers.Add(1)
	defer l.writers.Add(-1)
	return l.wait(l.tryLock, stop)
}

// rlock takes l shared, or returns false once stop is closed.
func (l *freeLock) rlock(stop <-chan struct{}) bool {
	if l.tryRLock() {
		return true
	}
	return l.wait(l.tryRLock, stop)
}

func (l *freeLock) wait(try func() bool, stop <-chan struct{}) bool {
	l.waiters.Add(1)
	defer l.waiters.Add(-1)
	for {
		l.mu.Lock()
		if try() {
			l.mu.Unlock()
			return true
		}
		if l.gen == nil {
			l.gen = make(chan struct{})
		}
		gen := l.gen
		l.mu.Unlock()
		select {
		case <-gen:
		case <-stop:
			return false
		}
	}
}

func (l *freeLock) unlock() {
	if !l.state.CompareAndSwap(-1, 0) {
		panic("lab: unlock of a lock not held exclusively")
	}
	l.wake()
}

func (l *freeLock) runlock() {
	switch n := l.state.Add(-1); {
	case n == 0:
		l.wake()
	case n < 0:
		panic("lab: runlock of a lock not held shared")
	}
}

func (l *freeLock) wake() {
	if l.waiters.Load() == 0 {
		return
	}
	l.mu.Lock()
	if l.gen != nil {
		close(l.gen)
		l.gen = nil
	}
	l.mu.Unlock()
}
