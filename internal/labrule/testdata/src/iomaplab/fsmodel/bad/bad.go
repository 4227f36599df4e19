// Package bad is a fixture: an engine package (under iomaplab/fsmodel/...)
// with planted lab-rule violations.
package bad

import (
	"sync"
	"sync/atomic"
)

type inode struct {
	mu    sync.Mutex    // want `sync.Mutex in engine package`
	rw    *sync.RWMutex // want `sync.RWMutex in engine package`
	cond  *sync.Cond    // want `sync.Cond in engine package`
	seq   atomic.Int64
	once  sync.Once
	queue chan int // want `channel type in engine package`
}

type locked struct {
	sync.Mutex // want `sync.Mutex in engine package`
}

type work chan struct{} // want `channel type in engine package`

func literals() {
	_ = sync.Mutex{}              // want `sync.Mutex in engine package`
	_ = &sync.RWMutex{}           // want `sync.RWMutex in engine package`
	_ = sync.NewCond(new(locked)) // want `sync.NewCond in engine package`
}

func methods(ip *inode, l *locked) {
	ip.mu.Lock()   // want `sync.Mutex.Lock in engine package`
	ip.mu.Unlock() // want `sync.Mutex.Unlock in engine package`
	ip.rw.RLock()  // want `sync.RWMutex.RLock in engine package`
	ip.cond.Wait() // want `sync.Cond.Wait in engine package`
	l.Lock()       // want `sync.Mutex.Lock in engine package`
	ip.seq.Add(1)
	ip.once.Do(func() {})
}

func channels(ip *inode, w work) {
	c := make(chan int, 1) // want `channel type in engine package`
	_ = make(work)         // want `make of a channel in engine package`
	c <- 1                 // want `channel send in engine package`
	<-c                    // want `channel receive in engine package`
	for range w {          // want `range over channel in engine package`
	}
	select { // want `select in engine package`
	case v := <-ip.queue: // want `channel receive in engine package`
		_ = v
	default:
	}
	close(c) // want `close of a channel in engine package`
}

func spawn() {
	go spawn() // want `go statement in engine package`
}
