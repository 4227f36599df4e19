package fsx

import (
	"errors"
	"fmt"
	"syscall"

	"iomaplab/lab"
	"iomaplab/vfs"
)

// exec runs op on the target and applies it to the oracle. The caller holds
// the harness lock in the op's mode, so the bytes of op's range in the oracle
// (and, for exclusive ops, the whole oracle) are stable. On a mismatch or an
// unexpected error it records the failure; the run then stops. Once the run
// has stopped it does nothing.
func (wk *worker) exec(t *lab.Thread, op Op) {
	h := wk.h
	if h.stopped() { // another thread failed while this one waited for the lock
		return
	}
	wk.log.add(op)
	if p := h.cfg.Progress; p != nil {
		p.Add(1)
	}
	f, ref := h.files[op.File], h.refs[op.File]
	var err error
	switch op.Kind {
	case Read, MapRead:
		wk.read(t, op)
		return
	case Write:
		err = wk.write(t, op)
	case MapWrite:
		if op.End() > ref.Size() { // fsx extends the file before storing
			if err = f.Truncate(t, op.End()); err != nil {
				break
			}
			ref.Truncate(op.End())
		}
		p := wk.pattern(op)
		err = f.MapStore(t, p, op.Off)
		ref.Write(p, op.Off)
	case Truncate:
		err = f.Truncate(t, op.Off)
		ref.Truncate(op.Off)
	case Fallocate, Punch, ZeroRange:
		mode := op.fallocMode()
		err = f.Fallocate(t, mode, op.Off, op.Len)
		ref.Fallocate(mode, op.Off, op.Len)
	case Fsync:
		err = f.Fsync(t)
	case SyncRange:
		err = f.SyncRange(t, op.Off, op.Len)
	case Fadvise:
		err = f.FadviseDontneed(t, op.Off, op.Len)
	case Reclaim:
		err = f.Reclaim(t, op.Off, op.Len)
	case DropCaches:
		err = h.fs.DropCaches(t)
	case Clone:
		err = wk.clone(t, op)
	case Dedupe:
		err = wk.dedupe(t, op)
	case Copy:
		err = wk.copyRange(t, op)
	case Remount:
		if err = h.fs.Remount(t); err == nil {
			if h.verifyAll(t, &op, "check after remount") && h.cfg.Check != nil {
				if err := h.cfg.Check(t, false); err != nil {
					h.failErr(t, &op, "target check after remount", err)
				}
			}
			return
		}
	}
	if err != nil {
		h.failErr(t, &op, "op", err)
		return
	}
	if op.Excl {
		h.checkSize(t, &op, op.File, "size check")
	}
}

// fallocMode is the fallocate(2) mode of a Fallocate, Punch or ZeroRange op.
func (op Op) fallocMode() vfs.FallocMode {
	switch {
	case op.Kind == Punch:
		return vfs.FallocPunch
	case op.Kind == ZeroRange && op.Keep:
		return vfs.FallocZeroKeepSize
	case op.Kind == ZeroRange:
		return vfs.FallocZero
	case op.Keep:
		return vfs.FallocKeepSize
	}
	return vfs.FallocAllocate
}

// pattern returns op's bytes in the worker's scratch buffer.
func (wk *worker) pattern(op Op) []byte {
	p := wk.scratch(op.Len)
	Pattern(p, op.ID, op.Off)
	return p
}

func (wk *worker) scratch(n int64) []byte {
	if int64(cap(wk.buf)) < n {
		wk.buf = make([]byte, n)
	}
	return wk.buf[:n]
}

// write runs a pwrite. A short one (op.Short) faults in its source buffer
// at byte op.Short: the target must write a prefix of the buffer (at most
// op.Short bytes, rounded up to its fault granularity) and report its
// length, with EFAULT; the oracle takes that prefix.
func (wk *worker) write(t *lab.Thread, op Op) error {
	p := wk.pattern(op)
	buf := vfs.Plain(p)
	if op.Short > 0 {
		buf.FaultAt = op.Short
	}
	n, err := wk.h.files[op.File].Pwrite(t, buf, op.Off)
	if n < 0 || n > len(p) {
		return fmt.Errorf("write returned %d for %d bytes", n, len(p))
	}
	if n > 0 { // a write of nothing does not extend the file
		wk.h.refs[op.File].Write(p[:n], op.Off)
	}
	switch {
	case err == nil && n != len(p):
		return fmt.Errorf("short write without an error: %d of %d bytes", n, len(p))
	case op.Short > 0 && n == len(p):
		return fmt.Errorf("write faulting at byte %d wrote all %d bytes", op.Short, n)
	case op.Short > 0 && errors.Is(err, syscall.EFAULT):
		return nil
	}
	return err
}

// read runs a read or mapread and checks every byte against the oracle.
func (wk *worker) read(t *lab.Thread, op Op) {
	h := wk.h
	f, ref := h.files[op.File], h.refs[op.File]
	if op.Len == 0 || op.Off >= ref.Size() {
		h.checkSize(t, &op, op.File, "size check")
		return
	}
	want := min(op.Len, ref.Size()-op.Off)
	p := wk.scratch(want)
	if op.Kind == MapRead {
		if err := f.MapLoad(t, p, op.Off); err != nil {
			h.failErr(t, &op, "op", err)
			return
		}
	} else {
		n, err := f.Pread(t, p, op.Off)
		if err == nil && int64(n) != want {
			err = fmt.Errorf("short read: %d of %d bytes below EOF %d", n, want, ref.Size())
		}
		if err != nil {
			h.failErr(t, &op, "op", err)
			return
		}
	}
	h.compare(t, &op, "op", op.File, p, op.Off)
}
