package uffd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ioctl numbers and ABI constants from <linux/userfaultfd.h> (checked against
// the headers of Linux 6.18, include/uapi/linux/userfaultfd.h, on x86-64).
const (
	ioctlAPI      = 0xc018aa3f // UFFDIO_API
	ioctlRegister = 0xc020aa00 // UFFDIO_REGISTER
	ioctlCopy     = 0xc028aa03 // UFFDIO_COPY
	ioctlZeropage = 0xc020aa04 // UFFDIO_ZEROPAGE
	ioctlWake     = 0x8010aa02 // UFFDIO_WAKE

	apiVersion          = 0xaa
	featureThreadID     = 1 << 8 // UFFD_FEATURE_THREAD_ID: report the faulting tid
	registerModeMissing = 1      // UFFDIO_REGISTER_MODE_MISSING

	// EventPagefault is UFFD_EVENT_PAGEFAULT.
	EventPagefault = 0x12
	msgSize        = 32 // sizeof(struct uffd_msg)
)

type apiArg struct{ API, Features, Ioctls uint64 }
type rangeArg struct{ Start, Len uint64 }
type registerArg struct {
	Range  rangeArg
	Mode   uint64
	Ioctls uint64
}
type copyArg struct {
	Dst, Src, Len, Mode uint64
	Copy                int64
}
type zeropageArg struct {
	Range    rangeArg
	Mode     uint64
	Zeropage int64
}

// FD is an open userfaultfd. Reads go through Go's poller, so ReadMsg blocks
// a goroutine, not a thread, honours deadlines and returns when FD is closed.
type FD struct {
	f   *os.File
	raw syscall.RawConn
}

// Open creates a userfaultfd (O_CLOEXEC|O_NONBLOCK) and does the API
// handshake asking for the faulting thread's id in each message. It needs
// root or CAP_SYS_PTRACE when vm.unprivileged_userfaultfd is 0.
func Open() (*FD, error) {
	r, _, e := unix.Syscall(unix.SYS_USERFAULTFD, unix.O_CLOEXEC|unix.O_NONBLOCK, 0, 0)
	if e != 0 {
		return nil, fmt.Errorf("userfaultfd: %w", e)
	}
	fd := int(r)
	api := apiArg{API: apiVersion, Features: featureThreadID}
	if err := ioctlPtr(fd, ioctlAPI, unsafe.Pointer(&api)); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("UFFDIO_API: %w", err)
	}
	f := os.NewFile(uintptr(fd), "userfaultfd")
	raw, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &FD{f: f, raw: raw}, nil
}

func ioctlPtr(fd int, req uintptr, arg unsafe.Pointer) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
	if e != 0 {
		return e
	}
	return nil
}

func (u *FD) ioctl(req uintptr, arg unsafe.Pointer) error {
	var err error
	cerr := u.raw.Control(func(fd uintptr) { err = ioctlPtr(int(fd), req, arg) })
	if cerr != nil {
		return cerr
	}
	return err
}

// RegisterMissing registers [addr, addr+length) in MISSING mode: a fault on an
// unpopulated page of the range is reported instead of being filled.
func (u *FD) RegisterMissing(addr, length uintptr) error {
	reg := registerArg{Range: rangeArg{uint64(addr), uint64(length)}, Mode: registerModeMissing}
	if err := u.ioctl(ioctlRegister, unsafe.Pointer(&reg)); err != nil {
		return fmt.Errorf("UFFDIO_REGISTER: %w", err)
	}
	return nil
}

// Copy atomically fills [dst, dst+length) with the bytes at src and wakes the
// threads waiting on it (UFFDIO_COPY). EEXIST (already populated) is reported
// as is: the caller decides whether that is fine.
func (u *FD) Copy(dst, src, length uintptr) error {
	c := copyArg{Dst: uint64(dst), Src: uint64(src), Len: uint64(length)}
	if err := u.ioctl(ioctlCopy, unsafe.Pointer(&c)); err != nil {
		return fmt.Errorf("UFFDIO_COPY: %w", err)
	}
	return nil
}

// ZeroPage fills [dst, dst+length) with zeroes and wakes the waiters.
func (u *FD) ZeroPage(dst, length uintptr) error {
	z := zeropageArg{Range: rangeArg{uint64(dst), uint64(length)}}
	if err := u.ioctl(ioctlZeropage, unsafe.Pointer(&z)); err != nil {
		return fmt.Errorf("UFFDIO_ZEROPAGE: %w", err)
	}
	return nil
}

// Wake wakes the threads waiting on [dst, dst+length) without filling it;
// they fault again if the page is still missing.
func (u *FD) Wake(dst, length uintptr) error {
	r := rangeArg{uint64(dst), uint64(length)}
	if err := u.ioctl(ioctlWake, unsafe.Pointer(&r)); err != nil {
		return fmt.Errorf("UFFDIO_WAKE: %w", err)
	}
	return nil
}

// Msg is one struct uffd_msg. For a page fault, Addr is the faulting address,
// Flags the UFFD_PAGEFAULT_FLAG_* bits and TID the faulting thread.
type Msg struct {
	Event uint8
	Flags uint64
	Addr  uint64
	TID   uint32
}

// ReadMsg blocks until a message arrives, the deadline passes
// (os.ErrDeadlineExceeded) or FD is closed (os.ErrClosed).
func (u *FD) ReadMsg() (Msg, error) {
	var b [msgSize]byte
	n, err := u.f.Read(b[:])
	if err != nil {
		return Msg{}, err
	}
	if n != msgSize {
		return Msg{}, fmt.Errorf("userfaultfd: short message (%d bytes)", n)
	}
	return Msg{
		Event: b[0],
		Flags: binary.LittleEndian.Uint64(b[8:]),
		Addr:  binary.LittleEndian.Uint64(b[16:]),
		TID:   binary.LittleEndian.Uint32(b[24:]),
	}, nil
}

// SetReadDeadline bounds the next ReadMsg.
func (u *FD) SetReadDeadline(t time.Time) error { return u.f.SetReadDeadline(t) }

// Close closes the userfaultfd. The kernel then wakes every waiter; a thread
// still touching a missing page gets SIGBUS (user mode) or EFAULT (kernel
// copy), so resolve faults first when the data matters.
func (u *FD) Close() error { return u.f.Close() }

// IsClosed reports whether err came from reading a closed FD.
func IsClosed(err error) bool { return errors.Is(err, os.ErrClosed) }
