package lab

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// runWithin runs main in w and fails the test if Run does not return
// within limit (a hang guard, not a timing claim: on a correct lab the run
// returns as soon as its threads unwind).
func runWithin(t *testing.T, w *World, limit time.Duration, main func(*Thread)) *Result {
	t.Helper()
	done := make(chan *Result, 1)
	go func() { done <- w.Run(main) }()
	select {
	case r := <-done:
		return r
	case <-time.After(limit):
		t.Fatalf("free world still running after %v: threads blocked on a dead thread's lock were not unwound", limit)
		return nil
	}
}

// A thread that panics holding a lock another thread waits for: the waiter
// is unwound and the run ends promptly with the panic, for every kind of
// lab lock and wait.
func TestFreePanicUnwindsLockWaiters(t *testing.T) {
	cases := map[string]struct {
		hold, wait func(*Thread)
	}{}
	var m Mutex
	cases["mutex"] = struct{ hold, wait func(*Thread) }{func(t *Thread) { m.Lock(t) }, func(t *Thread) { m.Lock(t) }}
	var rw RWMutex
	cases["rwsem writer, reader waits"] = struct{ hold, wait func(*Thread) }{func(t *Thread) { rw.Lock(t) }, func(t *Thread) { rw.RLock(t) }}
	var rw2 RWMutex
	cases["rwsem reader, writer waits"] = struct{ hold, wait func(*Thread) }{func(t *Thread) { rw2.RLock(t) }, func(t *Thread) { rw2.Lock(t) }}
	var bl BitLock
	cases["bit lock"] = struct{ hold, wait func(*Thread) }{func(t *Thread) { bl.Lock(t) }, func(t *Thread) { bl.Lock(t) }}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var held Event
			var locked atomic.Bool
			r := runWithin(t, NewFree(), time.Minute, func(t *Thread) {
				t.Go("a", func(t *Thread) {
					c.hold(t)
					locked.Store(true)
					held.Wake(t)
					panic("engine bug while holding the lock")
				})
				t.Go("b", func(t *Thread) {
					held.Wait(t, locked.Load)
					c.wait(t)
					t.Fail("b got a lock a never released")
				})
			})
			if r.Outcome != Panicked || r.Thread != "a" || !strings.Contains(r.Message, "engine bug") {
				t.Fatalf("got %v", r)
			}
		})
	}
}

// Many threads contend for a free RWMutex: writers stay exclusive, readers
// share, and the run completes (the free lock's own correctness).
func TestFreeRWMutexExcludesWriters(t *testing.T) {
	var rw RWMutex
	var inside, most int32
	var mu Mutex
	r := runWithin(t, NewFree(), time.Minute, func(t *Thread) {
		for i := range 8 {
			t.Go("t", func(t *Thread) {
				for range 2000 {
					if i%4 == 0 {
						rw.Lock(t)
						mu.Lock(t)
						if inside != 0 {
							mu.Unlock(t)
							t.Fail("writer beside another holder")
						}
						inside = -1
						mu.Unlock(t)
						mu.Lock(t)
						inside = 0
						mu.Unlock(t)
						rw.Unlock(t)
						continue
					}
					rw.RLock(t)
					mu.Lock(t)
					if inside < 0 {
						mu.Unlock(t)
						t.Fail("reader beside a writer")
					}
					inside++
					most = max(most, inside)
					mu.Unlock(t)
					mu.Lock(t)
					inside--
					mu.Unlock(t)
					rw.RUnlock(t)
				}
			})
		}
	})
	if !r.OK() {
		t.Fatal(r)
	}
	t.Logf("at most %d readers at once", most)
}
