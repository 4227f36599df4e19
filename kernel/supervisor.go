package kernel

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Supervisor owns every resource a kernel run creates (temp dir, image,
// loop device, mount, tracefs instance, open files, parked writers) and
// releases them in reverse order exactly once: on success, on error, on
// SIGINT/SIGTERM, and on a panic in any goroutine started with Go.
//
// Resolving faults comes first in that order by construction: a parked
// writer is registered after the mount it writes to, so its release runs
// before the unmount, which would otherwise fail with EBUSY.
type Supervisor struct {
	mu      sync.Mutex
	stack   []*Resource
	done    bool
	cleaned chan struct{} // closed when the cleanup has finished
	sigStop func()
	// ending is set by the first signal or panic; endDone is closed after
	// its Fatal returned (the default Fatal never returns).
	ending  atomic.Bool
	endDone chan struct{}
	// Fatal is called after cleanup when a signal or a panic ends the run;
	// the default prints the reason and exits with code 3 (signal) or 1
	// (panic). Tests replace it.
	Fatal func(reason string, code int)
	// Log receives cleanup errors (default: stderr).
	Log func(format string, args ...any)
}

// Resource is one registered cleanup.
type Resource struct {
	name string
	fn   func() error
	once sync.Once
	err  error
}

// NewSupervisor returns a supervisor that handles SIGINT and SIGTERM.
func NewSupervisor() *Supervisor {
	s := &Supervisor{
		cleaned: make(chan struct{}),
		endDone: make(chan struct{}),
		Fatal: func(reason string, code int) {
			fmt.Fprintln(os.Stderr, "iomaplab kernel:", reason)
			os.Exit(code)
		},
		Log: func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) },
	}
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	stop := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			s.end(fmt.Sprintf("interrupted by %v; everything created was removed", sig), 3)
		case <-stop:
		}
	}()
	s.sigStop = func() { signal.Stop(ch); close(stop) }
	return s
}

// Defer registers a cleanup. It runs at Cleanup, or earlier through Release.
// A Defer after Cleanup runs fn at once.
func (s *Supervisor) Defer(name string, fn func() error) *Resource {
	r := &Resource{name: name, fn: fn}
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		s.run(r)
		return r
	}
	s.stack = append(s.stack, r)
	s.mu.Unlock()
	return r
}

func (s *Supervisor) run(r *Resource) error {
	r.once.Do(func() { r.err = r.fn() })
	return r.err
}

// Release runs one resource's cleanup now and forgets it.
func (s *Supervisor) Release(r *Resource) error {
	s.mu.Lock()
	for i, x := range s.stack {
		if x == r {
			s.stack = append(s.stack[:i], s.stack[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	return s.run(r)
}

// ErrEnded is what Cleanup returns to other goroutines once a signal or a
// panic has ended the run (with a Fatal that returns, as in tests).
var ErrEnded = errors.New("the run was ended by a signal or a panic")

// Cleanup runs every registered cleanup, newest first, once. Concurrent and
// later calls wait until it has finished. If a signal or a panic is ending
// the run, it waits for that to finish too, so no other goroutine reports
// or exits while the supervisor is still tearing down.
func (s *Supervisor) Cleanup() error {
	err := s.cleanup()
	if s.ending.Load() {
		<-s.endDone
		return ErrEnded
	}
	return err
}

// Ending reports whether a signal or a panic is ending the run: workers
// should stop starting new work.
func (s *Supervisor) Ending() bool { return s.ending.Load() }

// end is the one path for signals and panics: clean up, then Fatal.
func (s *Supervisor) end(reason string, code int) {
	if !s.ending.CompareAndSwap(false, true) {
		<-s.endDone // someone else is ending the run
		return
	}
	s.cleanup()
	s.Fatal(reason, code)
	close(s.endDone)
}

func (s *Supervisor) cleanup() error {
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		<-s.cleaned
		return nil
	}
	s.done = true
	stack := s.stack
	s.stack = nil
	s.mu.Unlock()
	var errs []error
	for i := len(stack) - 1; i >= 0; i-- {
		if err := s.run(stack[i]); err != nil {
			s.Log("cleanup %s: %v", stack[i].name, err)
			errs = append(errs, fmt.Errorf("%s: %w", stack[i].name, err))
		}
	}
	if s.sigStop != nil {
		s.sigStop()
	}
	close(s.cleaned)
	return errors.Join(errs...)
}

// Go runs fn on a new goroutine. A panic in it cleans everything up and then
// calls Fatal: a crashed worker must never leave a writer parked, a mount or
// a loop device behind.
func (s *Supervisor) Go(name string, fn func()) {
	go func() {
		defer s.Recover(name)
		fn()
	}()
}

// Recover is Go's panic handler, for use in a deferred call on goroutines
// the supervisor did not start (the caller's own).
func (s *Supervisor) Recover(where string) {
	p := recover()
	if p == nil {
		return
	}
	// A panic is iomaplab's own bug, not a violation found in the kernel:
	// exit 1 is reserved for violations, so it ends as the environment
	// class (3) after everything created was removed.
	s.end(fmt.Sprintf("panic in %s: %v (an iomaplab bug; everything created was removed)\n%s", where, p, debug.Stack()), 3)
}

// EndAt ends the run at deadline as a signal would (cleanup, then Fatal
// with exit code 3), unless stop is called first. Tests end their runs a
// margin before `go test -timeout` would kill the binary, whose panic runs
// no cleanup at all.
func (s *Supervisor) EndAt(deadline time.Time) (stop func()) {
	t := time.AfterFunc(time.Until(deadline), func() {
		s.end(fmt.Sprintf("deadline %s reached; everything created was removed", deadline.Format(time.TimeOnly)), 3)
	})
	return func() { t.Stop() }
}
