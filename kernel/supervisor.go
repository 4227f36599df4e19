package kernel

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
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
	sigStop func()
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
			s.Cleanup()
			s.Fatal(fmt.Sprintf("interrupted by %v; everything created was removed", sig), 3)
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

// Cleanup runs every registered cleanup, newest first, once; later calls
// return nil. Errors are logged and joined.
func (s *Supervisor) Cleanup() error {
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
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
	stack := debug.Stack()
	s.Cleanup()
	s.Fatal(fmt.Sprintf("panic in %s: %v\n%s", where, p, stack), 1)
}
