package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"syscall"

	"iomaplab/lab"
	"iomaplab/vfs"
)

// mmapPage is the granule of map-store and map-load: each page is one fault
// and one store, which the page fault path serialises against punch,
// truncate and fallocate; the reference model applies each page on return.
const mmapPage = 4096

// exec runs one op on thread t and updates the reference model. It returns
// false if the op failed without may-fail (the failure is recorded).
func (r *run) exec(t *lab.Thread, thread string, op Op) bool {
	t.Note(op.Describe())
	f := r.files[op.File]
	start := r.clock.Add(1)
	var err error
	switch op.Kind {
	case OpPwrite:
		data := bytes.Repeat([]byte{op.Fill}, int(op.Len))
		var n int
		n, err = f.Pwrite(t, vfs.Buffer{Data: data, StallAt: op.StallAt, FaultAt: op.FaultAt}, op.Off)
		r.applyWrite(thread, op, start, r.clock.Add(1), data[:n])
		if op.FaultAt >= 0 && (err == nil || errors.Is(err, syscall.EFAULT)) {
			err = nil // the short copy the scenario asked for
		}
	case OpPread:
		_, err = f.Pread(t, make([]byte, op.Len), op.Off)
	case OpMapStore, OpMapLoad:
		err = r.mmap(t, f, op)
	case OpFallocate, OpPunch, OpZero:
		err = f.Fallocate(t, op.Mode, op.Off, op.Len)
		if err == nil {
			w := write{start, r.clock.Add(1), op.Off, op.Off + op.Len, 0}
			if op.Kind == OpFallocate {
				w.end = w.off // changes no byte below EOF
			}
			r.apply(op.File, w, func() { r.ref[op.File].Fallocate(op.Mode, op.Off, op.Len) })
		}
	case OpTruncate:
		err = f.Truncate(t, op.Len)
		if err == nil {
			r.apply(op.File, write{start, r.clock.Add(1), op.Len, maxOffset, 0},
				func() { r.ref[op.File].Truncate(op.Len) })
		}
	case OpFsync:
		err = f.Fsync(t)
	case OpSyncRange:
		err = f.SyncRange(t, op.Off, op.Len)
	case OpFadviseDontneed:
		err = f.FadviseDontneed(t, op.Off, op.Len)
	case OpReclaim:
		err = f.Reclaim(t, op.Off, op.Len)
	case OpDropCaches:
		err = r.fsys.DropCaches(t)
	case OpRemount:
		err = r.fsys.Remount(t)
	case OpReflink:
		err = r.reflink(t, op, start)
	case OpExpect:
		err = r.expect(t, f, op)
	case OpAwait:
		// Recorded while blocked, for misuse; a run that deadlocks here
		// unwinds without clearing it.
		r.mu.Lock()
		r.awaiting[thread] = op
		r.mu.Unlock()
		switch {
		case op.Done:
			d := r.done[op.Thread]
			r.doneEv.Wait(t, d.Load)
		case op.Blocked:
			t.AwaitBlocked(op.Thread)
		case op.ParkPoint != "":
			t.AwaitParkedAt(op.Thread, op.ParkPoint)
		default:
			t.AwaitParked(op.Thread)
		}
		r.mu.Lock()
		delete(r.awaiting, thread)
		r.mu.Unlock()
	case OpRelease:
		if op.ParkPoint != "" { // release T.NAME: T must be parked there
			r.mu.Lock()
			r.awaiting[thread] = op
			r.mu.Unlock()
			t.AwaitParkedAt(op.Thread, op.ParkPoint)
			r.mu.Lock()
			delete(r.awaiting, thread)
			r.mu.Unlock()
		}
		r.mu.Lock()
		r.released[op.Thread] = r.clock.Add(1)
		r.mu.Unlock()
		t.Release(op.Thread)
	}
	if err == nil {
		return true
	}
	if changesData(op) && op.Kind != OpPwrite && op.Kind != OpMapStore {
		// A failed fallocate/punch/zero/truncate may have done part of its work.
		r.mu.Lock()
		r.uncertain[op.File] = true
		r.mu.Unlock()
	}
	if op.MayFail {
		return true
	}
	r.opError(thread, op, err)
	return false
}

func changesData(op Op) bool {
	_, _, ok := op.footprint()
	return ok || op.Kind == OpFallocate
}

// applyWrite records a pwrite of data that ran over [start, finish]. The
// bytes from a stall-at on were copied only after the writer's release, so
// their interval starts there: a window op that stored into them while the
// writer was parked is overwritten, not a possible last value.
func (r *run) applyWrite(thread string, op Op, start, finish int64, data []byte) {
	end := op.Off + int64(len(data))
	r.mu.Lock()
	rel := r.released[thread]
	r.mu.Unlock()
	if op.StallAt < 0 || rel < start || op.Off+op.StallAt >= end {
		r.apply(op.File, write{start, finish, op.Off, end, op.Fill}, func() { r.ref[op.File].Write(data, op.Off) })
		return
	}
	mid := op.Off + op.StallAt
	r.apply(op.File, write{start, finish, op.Off, mid, op.Fill}, func() {})
	r.apply(op.File, write{rel, finish, mid, end, op.Fill}, func() { r.ref[op.File].Write(data, op.Off) })
}

// apply records w in file's history and updates its reference model with
// fn, under r.mu.
func (r *run) apply(file string, w write, fn func()) {
	r.mu.Lock()
	if w.end > w.off {
		r.hist[file] = append(r.hist[file], w)
	}
	fn()
	r.mu.Unlock()
}

// mmap runs a map-store or map-load page by page; a failed page stops it
// (a store that faults with SIGBUS stores nothing).
func (r *run) mmap(t *lab.Thread, f vfs.File, op Op) error {
	for off := op.Off; off < op.Off+op.Len; {
		end := min((off/mmapPage+1)*mmapPage, op.Off+op.Len)
		if op.Kind == OpMapLoad {
			if err := f.MapLoad(t, make([]byte, end-off), off); err != nil {
				return err
			}
		} else {
			data := bytes.Repeat([]byte{op.Fill}, int(end-off))
			start := r.clock.Add(1)
			if err := f.MapStore(t, data, off); err != nil {
				return err
			}
			r.apply(op.File, write{start, r.clock.Add(1), off, end, op.Fill},
				func() { r.ref[op.File].Write(data, off) })
		}
		off = end
	}
	return nil
}

// Cloner is what a target's files implement to run reflink (vfs.Cloner).
// A target whose files do not is asked nothing: the op fails with
// EOPNOTSUPP and the scenario is skipped on it.
type Cloner = vfs.Cloner

// reflink clones op.Src onto op.File (FICLONE). The destination's reference
// becomes the source's known contents over [0, source size), recorded in
// its history run by run of equal bytes.
func (r *run) reflink(t *lab.Thread, op Op, start int64) error {
	c, ok := r.files[op.File].(Cloner)
	if !ok {
		return syscall.EOPNOTSUPP
	}
	if err := c.CloneRange(t, r.files[op.Src], 0, 0, 0); err != nil {
		return err
	}
	finish := r.clock.Add(1)
	r.mu.Lock()
	src := r.ref[op.Src]
	data := make([]byte, src.Size())
	src.ReadAt(data, 0)
	r.mu.Unlock()
	for i := 0; i < len(data); {
		j := i
		for j < len(data) && data[j] == data[i] {
			j++
		}
		r.apply(op.File, write{start, finish, int64(i), int64(j), data[i]}, func() {})
		i = j
	}
	r.apply(op.File, write{}, func() { r.ref[op.File].Write(data, 0) })
	return nil
}

// expect runs a mid-scenario expectation: it reads the range (pread, or
// loads page by page through a shared mapping) and records a data violation
// naming the line if a byte is not one of op.Patterns or the range reads
// short. An error of the read itself is the op's.
func (r *run) expect(t *lab.Thread, f vfs.File, op Op) error {
	got := make([]byte, op.Len)
	n := len(got)
	if op.Sub == OpMapLoad {
		for off := op.Off; off < op.Off+op.Len; {
			end := min((off/mmapPage+1)*mmapPage, op.Off+op.Len)
			if err := f.MapLoad(t, got[off-op.Off:end-op.Off], off); err != nil {
				return err
			}
			off = end
		}
	} else {
		var err error
		if n, err = f.Pread(t, got, op.Off); err != nil {
			return err
		}
	}
	msg := ""
	for i, b := range got[:n] {
		if !slices.Contains(op.Patterns, b) {
			at := op.Off + int64(i)
			msg = fmt.Sprintf("byte at offset %d (0x%x) is 0x%02x, expected %s", at, at, b, formatBytes(op.Patterns))
			break
		}
	}
	if msg == "" && n < len(got) {
		msg = fmt.Sprintf("read returned %d of %d bytes", n, len(got))
	}
	if msg != "" {
		r.mu.Lock()
		r.violations = append(r.violations, Violation{Oracle: "data", Message: fmt.Sprintf("line %d: %s: %s", op.Pos.Line, op.Describe(), msg)})
		r.mu.Unlock()
	}
	return nil
}
