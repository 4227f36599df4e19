package scenario

import (
	"bytes"
	"errors"
	"syscall"

	"iomaplab/check"
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
	var err error
	switch op.Kind {
	case OpPwrite:
		data := bytes.Repeat([]byte{op.Fill}, int(op.Len))
		var n int
		n, err = f.Pwrite(t, vfs.Buffer{Data: data, StallAt: op.StallAt, FaultAt: op.FaultAt}, op.Off)
		r.apply(func() { r.ref[op.File].Write(data[:n], op.Off) })
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
			r.apply(func() { applyFalloc(r.ref[op.File], op) })
		}
	case OpTruncate:
		err = f.Truncate(t, op.Len)
		if err == nil {
			r.apply(func() { r.ref[op.File].Truncate(op.Len) })
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
	case OpAwait:
		if op.Done {
			d := r.done[op.Thread]
			r.doneEv.Wait(t, d.Load)
		} else {
			t.AwaitParked(op.Thread)
		}
	case OpRelease:
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

// apply updates the reference model under r.mu.
func (r *run) apply(fn func()) {
	r.mu.Lock()
	fn()
	r.mu.Unlock()
}

func applyFalloc(ref *check.RefFile, op Op) {
	switch op.Mode {
	case vfs.FallocAllocate:
		ref.Extend(op.Off + op.Len)
	case vfs.FallocPunch, vfs.FallocZeroKeepSize:
		ref.Zero(op.Off, op.Len, false)
	case vfs.FallocZero:
		ref.Zero(op.Off, op.Len, true)
	}
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
			if err := f.MapStore(t, data, off); err != nil {
				return err
			}
			r.apply(func() { r.ref[op.File].Write(data, off) })
		}
		off = end
	}
	return nil
}
