package blockdev

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"iomaplab/lab"
)

// Two kinds of I/O error meet a Device. Injected errors (InjectError, or a
// Fail rule at blockdev.submit or blockdev.complete) model the device
// failing: the I/O reports EIO and the filesystem model handles it as the
// kernel would. A HostError is the host failing under a file-backed device
// (ENOSPC, EIO or a short transfer on the backing file): the model asked
// for nothing that could fail, so the run stops at once with outcome
// lab.HostFault, and nothing it did is a verdict.

// HostError is a failed transfer or setup of a device's backing file. It is
// an environment error (exit 3), never a violation.
type HostError struct {
	Path string // the backing file
	Op   string // pread, pwrite, create, ...
	PBlk uint64 // the block, for pread and pwrite
	Err  error
}

func (e *HostError) Error() string {
	at := ""
	if e.Op == "pread" || e.Op == "pwrite" {
		at = fmt.Sprintf(" of block %d", e.PBlk)
	}
	msg := e.Err.Error()
	var errno unix.Errno
	if errors.As(e.Err, &errno) {
		msg = fmt.Sprintf("%s (%v)", unix.ErrnoName(errno), errno)
	}
	return fmt.Sprintf("blockdev: the host failed %s%s on the backing file %s: %s", e.Op, at, e.Path, msg)
}

// Unwrap returns the host's error.
func (e *HostError) Unwrap() error { return e.Err }

// Environment marks the error as the host's: the run could not be done.
func (e *HostError) Environment() bool { return true }

type faultKey struct {
	pblk uint64
	op   Op
}

// fault is an injected error at one block and direction.
type fault struct {
	left int // failures still to give; < 0: forever
	hits int // I/Os failed so far
}

// InjectError makes the next count I/Os of direction op that touch block
// pblk fail with EIO (count <= 0: every one from now on). A failed block is
// not transferred; the rest of the I/O is, and the I/O reports EIO (in
// b.Err before b.End runs, or from Read/Write). Injecting again at the same
// block and direction replaces the rule and keeps its hit count.
func (d *Device) InjectError(t *lab.Thread, pblk uint64, op Op, count int) {
	d.mustRange("InjectError", pblk, 1)
	d.fMu.Lock(t)
	defer d.fMu.Unlock(t)
	k := faultKey{pblk, op}
	f := d.faults[k]
	if f == nil {
		f = &fault{}
		d.faults[k] = f
		d.nFaults.Add(1)
	}
	f.left = count
	if count <= 0 {
		f.left = -1
	}
}

// ClearErrors removes every injection rule (their hit counts are lost).
func (d *Device) ClearErrors(t *lab.Thread) {
	d.fMu.Lock(t)
	defer d.fMu.Unlock(t)
	clear(d.faults)
	d.nFaults.Store(0)
}

// ErrorHits returns how many I/Os failed at pblk in direction op because of
// an injected error.
func (d *Device) ErrorHits(t *lab.Thread, pblk uint64, op Op) int {
	d.fMu.Lock(t)
	defer d.fMu.Unlock(t)
	if f := d.faults[faultKey{pblk, op}]; f != nil {
		return f.hits
	}
	return 0
}

// injected reports whether an I/O of op at pblk fails now, and counts it.
func (d *Device) injected(t *lab.Thread, pblk uint64, op Op) bool {
	if d.nFaults.Load() == 0 {
		return false
	}
	d.fMu.Lock(t)
	defer d.fMu.Unlock(t)
	f := d.faults[faultKey{pblk, op}]
	if f == nil || f.left == 0 {
		return false
	}
	if f.left > 0 {
		f.left--
	}
	f.hits++
	return true
}
