package uffd

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// NoOffset marks an absent stall or fault offset (the same value as
// vfs.NoOffset).
const NoOffset = -1

// Source is the source buffer of one write, mapped outside the Go heap. The
// page holding byte stallAt, if any, is a userfaultfd MISSING page: the first
// access parks the accessing thread until Release, Close or the watchdog
// fills it with its intended bytes. The page holding byte faultAt, if any, is
// PROT_NONE, so a copy from it fails with EFAULT (a short write).
//
// Pass Bytes() to a syscall (pwrite); never read or write it from Go code.
type Source struct {
	buf      []byte // the whole mapping, page-rounded
	n        int    // bytes of data
	fill     []byte // one page mapped outside the heap: the stall page's intended bytes
	base     int    // offset of the data's first byte in buf (aligns the fault page)
	stallOff int    // page-aligned offset of the stall page in buf, or NoOffset
	fd       *FD
	watchdog time.Duration

	parked   chan Fault    // gets the first fault; buffered
	release  chan struct{} // closed by Release
	done     chan struct{} // closed when the fault goroutine has finished
	relOnce  sync.Once
	closeMu  sync.Mutex
	closed   bool
	stateMu  sync.Mutex
	fired    bool // the watchdog resolved the fault
	fault    *Fault
	serveErr error // the fault goroutine's error, if any
}

// Fault describes the parked access.
type Fault struct {
	Offset int64 // of the faulting page's start from the buffer's first byte (< 0: the page starts before it)
	TID    int   // the faulting thread
	At     time.Time
}

// NewSource maps len(data) bytes, copies data into every page except the
// stall page and the fault page, registers the stall page (if stallAt is not
// NoOffset) and protects the fault page (if faultAt is not NoOffset). The
// data starts where byte faultAt falls on a page boundary, so the write's
// copy stops exactly at faultAt, as the scenario's fault-at says (the
// buffer is then not page-aligned: the stall page is the page holding byte
// stallAt). The watchdog bounds how long a fault stays unresolved when
// nobody releases it.
func NewSource(data []byte, stallAt, faultAt int64, watchdog time.Duration) (*Source, error) {
	pg := os.Getpagesize()
	n := len(data)
	if n == 0 {
		return nil, errors.New("uffd: empty source buffer")
	}
	for _, o := range []int64{stallAt, faultAt} {
		if o != NoOffset && (o < 0 || o >= int64(n)) {
			return nil, fmt.Errorf("uffd: offset %d outside a %d-byte buffer", o, n)
		}
	}
	base := 0
	if faultAt != NoOffset {
		base = (pg - int(faultAt)%pg) % pg
	}
	size := (base + n + pg - 1) / pg * pg
	buf, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, fmt.Errorf("uffd: mmap source: %w", err)
	}
	s := &Source{buf: buf, n: n, base: base, stallOff: NoOffset, watchdog: watchdog,
		parked: make(chan Fault, 1), release: make(chan struct{}), done: make(chan struct{})}
	page := func(off int64) int { return (base + int(off)) / pg * pg } // in buf
	copy(buf[base:base+n], data)
	if faultAt != NoOffset {
		p := page(faultAt)
		if err := unix.Mprotect(buf[p:p+pg], unix.PROT_NONE); err != nil {
			unix.Munmap(buf)
			return nil, fmt.Errorf("uffd: mprotect: %w", err)
		}
	}
	if stallAt == NoOffset {
		close(s.done)
		return s, nil
	}
	if err := s.armStall(page(stallAt), pg); err != nil {
		s.unmap()
		return nil, err
	}
	go s.serve()
	return s, nil
}

// armStall moves the stall page's bytes (at buf offset off) to the fill
// page, drops the page and registers it for missing faults.
func (s *Source) armStall(off, pg int) error {
	fill, err := unix.Mmap(-1, 0, pg, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return fmt.Errorf("uffd: mmap fill page: %w", err)
	}
	s.fill = fill
	copy(fill, s.buf[off:off+pg])
	s.stallOff = off
	// The page held the data until now: drop it, so the writer's first
	// touch is a missing fault.
	if err := unix.Madvise(s.buf[off:off+pg], unix.MADV_DONTNEED); err != nil {
		return fmt.Errorf("uffd: madvise: %w", err)
	}
	fd, err := Open()
	if err != nil {
		return err
	}
	s.fd = fd
	if err := fd.RegisterMissing(s.pageAddr(), uintptr(pg)); err != nil {
		fd.Close()
		s.fd = nil
		return err
	}
	return nil
}

func (s *Source) pageAddr() uintptr { return uintptr(unsafe.Pointer(&s.buf[s.stallOff])) }

// Bytes is the buffer to hand to the write syscall. Never touch its memory.
func (s *Source) Bytes() []byte { return s.buf[s.base : s.base+s.n] }

// Parked delivers the first fault on the stall page: the writer is parked.
// It never delivers when the Source has no stall page.
func (s *Source) Parked() <-chan Fault { return s.parked }

// Release fills the stall page with its intended bytes and wakes the writer.
// It may be called before the fault (the page is then filled as soon as the
// fault arrives) and more than once.
func (s *Source) Release() { s.relOnce.Do(func() { close(s.release) }) }

// WatchdogFired reports whether the watchdog, not Release, resolved a fault.
func (s *Source) WatchdogFired() bool {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.fired
}

// Err is the fault goroutine's error (a failed UFFDIO_COPY), once it is done.
func (s *Source) Err() error {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.serveErr
}

// serve is the fault-reading goroutine: it reports the first fault on
// Parked, waits for Release or the watchdog, then resolves it. When it stops
// reading (Close), it fills the page anyway, so a fault whose message was
// never read is resolved too.
func (s *Source) serve() {
	defer close(s.done)
	defer s.resolve()
	for {
		m, err := s.fd.ReadMsg()
		if err != nil {
			return
		}
		if m.Event != EventPagefault {
			continue
		}
		f := Fault{Offset: int64(uintptr(m.Addr)-uintptr(unsafe.Pointer(&s.buf[0])))&^int64(os.Getpagesize()-1) - int64(s.base),
			TID: int(m.TID), At: time.Now()}
		s.stateMu.Lock()
		first := s.fault == nil
		if first {
			s.fault = &f
		}
		s.stateMu.Unlock()
		if first {
			s.parked <- f
		}
		timer := time.NewTimer(s.watchdog)
		select {
		case <-s.release:
		case <-timer.C:
			s.stateMu.Lock()
			s.fired = true
			s.stateMu.Unlock()
		}
		timer.Stop()
		s.resolve()
	}
}

// resolve fills the stall page (UFFDIO_COPY wakes the waiters); EEXIST means
// it was already filled. If the copy fails otherwise, it wakes the waiters so
// they at least retry.
func (s *Source) resolve() {
	pg := uintptr(os.Getpagesize())
	err := s.fd.Copy(s.pageAddr(), uintptr(unsafe.Pointer(&s.fill[0])), pg)
	if err == nil || errors.Is(err, unix.EEXIST) {
		return
	}
	if errors.Is(err, os.ErrClosed) {
		return
	}
	s.stateMu.Lock()
	if s.serveErr == nil {
		s.serveErr = err
	}
	s.stateMu.Unlock()
	s.fd.Wake(s.pageAddr(), pg)
}

// Close resolves any fault (with the intended bytes), stops the fault
// goroutine and unmaps the buffers. Call it after the write returned: a
// writer still copying from the buffer would get EFAULT. To end a parked
// write in an emergency, Release, wait for the write to return, then Close.
func (s *Source) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.Release()
	if s.fd != nil {
		s.fd.SetReadDeadline(time.Now())
		<-s.done
		s.fd.Close()
	}
	return s.unmap()
}

func (s *Source) unmap() error {
	err := unix.Munmap(s.buf)
	if s.fill != nil {
		if e := unix.Munmap(s.fill); err == nil {
			err = e
		}
	}
	return err
}
