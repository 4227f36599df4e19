package scenario

import (
	"fmt"
	"sync/atomic"
	"syscall"

	"iomaplab/lab"
	"iomaplab/vfs"
)

// fakeTarget is a toy Target for the runner's tests: an in-memory fs with
// the engine's locks in miniature (i_rwsem, one lock for the page cache),
// the injection points the catalogue names, a write that notices a changed
// sequence number after a stall (tracepoint iomap_invalid), and planted
// bugs that each oracle path must catch.
type fakeTarget struct {
	types []string // fs types it mounts; nil for all
	bug   string   // "", "stale-zero", "ownership", "lose-unsynced", "fsck", "lost-after-park", "lost-wakeup", "abba", "pread-rwsem", "first-write-sticks"
	last  *fakeFS
}

func (ft *fakeTarget) Supports(spec FSSpec) error {
	if ft.types != nil && !contains(ft.types, spec.Type) {
		return fmt.Errorf("needs the %s model", spec.Type)
	}
	return nil
}

func (ft *fakeTarget) Mount(t *lab.Thread, spec FSSpec) (vfs.FS, error) {
	ft.last = &fakeFS{typ: spec.Type, nodelalloc: spec.NoDelalloc, bug: ft.bug}
	return ft.last, nil
}

func (ft *fakeTarget) Check(t *lab.Thread, fsys vfs.FS, at Quiescent) []Violation {
	if ft.bug == "fsck" && at == AfterRemount {
		return []Violation{{Oracle: "fsck", Message: "planted"}}
	}
	return nil
}

func (ft *fakeTarget) Classify(msg string) string { return "" }

func (ft *fakeTarget) Evidence(w *lab.World, name string) (int, bool) {
	if name == "reachable" && ft.last != nil {
		return int(ft.last.reachable.Load()), true
	}
	return 0, false
}

type fakeFS struct {
	typ        string
	nodelalloc bool // reaches ext4.iomap_get_blocks.after_lookup, not ext4.da_map.*
	bug        string
	mu         lab.Mutex
	files      []*fakeFile
	reachable  atomic.Int64
}

type fakeFile struct {
	fs    *fakeFS
	name  string
	rwsem lab.RWMutex
	mu    lab.Mutex // the page cache, as one lock
	data  []byte    // what reads see
	disk  []byte    // what survives a remount
	// first holds each byte's first written value (bug first-write-sticks:
	// a remount brings those back, not the last ones).
	first, stuck []byte
	seq          atomic.Uint64
}

func (fs *fakeFS) Name() string { return fs.typ }

func (fs *fakeFS) Open(t *lab.Thread, name string) (vfs.File, error) {
	fs.mu.Lock(t)
	defer fs.mu.Unlock(t)
	for _, f := range fs.files {
		if f.name == name {
			return f, nil
		}
	}
	f := &fakeFile{fs: fs, name: name}
	fs.files = append(fs.files, f)
	return f, nil
}

func (fs *fakeFS) Remount(t *lab.Thread) error {
	fs.mu.Lock(t)
	files := append([]*fakeFile(nil), fs.files...)
	fs.mu.Unlock(t)
	for _, f := range files {
		if fs.bug != "lose-unsynced" {
			f.Fsync(t)
		}
		f.mu.Lock(t)
		f.data = append([]byte(nil), f.disk...)
		if fs.bug == "first-write-sticks" {
			copy(f.data, f.first)
		}
		f.mu.Unlock(t)
	}
	return nil
}

func (fs *fakeFS) DropCaches(t *lab.Thread) error {
	if fs.typ == "ext4" {
		return syscall.EOPNOTSUPP
	}
	return nil
}

func (f *fakeFile) Name() string { return f.name }

func (f *fakeFile) grow(n int64) {
	if n > int64(len(f.data)) {
		f.data = append(f.data, make([]byte, n-int64(len(f.data)))...)
	}
}

func (f *fakeFile) Pwrite(t *lab.Thread, buf vfs.Buffer, off int64) (int, error) {
	f.rwsem.Lock(t)
	defer f.rwsem.Unlock(t)
	seq := f.seq.Load()
	f.fs.ext4MapPoint(t)
	t.Point("iomap.write.after_begin")
	done := 0
	for done < len(buf.Data) {
		chunk := min(4096-int((off+int64(done))%4096), len(buf.Data)-done)
		t.Point("iomap.write.prefault")
		if buf.StallAt >= int64(done) && buf.StallAt < int64(done+chunk) {
			t.Park("iomap.write.prefault")
			if f.fs.bug == "lost-after-park" {
				return len(buf.Data), nil // claims the rest, copies nothing
			}
		}
		if buf.FaultAt >= 0 && buf.FaultAt < int64(done+chunk) {
			chunk = int(buf.FaultAt) - done
			f.write(t, buf.Data[done:done+chunk], off+int64(done), &seq)
			done += chunk
			if done == 0 {
				return 0, syscall.EFAULT
			}
			return done, nil
		}
		f.write(t, buf.Data[done:done+chunk], off+int64(done), &seq)
		done += chunk
	}
	return done, nil
}

// write copies one chunk under the "folio lock", validating the cookie.
func (f *fakeFile) write(t *lab.Thread, p []byte, off int64, seq *uint64) {
	f.mu.Lock(t)
	defer f.mu.Unlock(t)
	stale := f.seq.Load() != *seq
	if stale {
		f.fs.reachable.Add(1)
		t.Tracepoint("iomap_invalid", lab.F("off", off))
		*seq = f.seq.Load()
	}
	f.grow(off + int64(len(p)))
	if f.fs.bug == "first-write-sticks" {
		for i, c := range p {
			at := off + int64(i)
			for int64(len(f.first)) <= at {
				f.first, f.stuck = append(f.first, 0), append(f.stuck, 0)
			}
			if f.stuck[at] == 0 {
				f.first[at], f.stuck[at] = c, 1
			}
		}
	}
	if stale && f.fs.bug == "stale-zero" {
		clear(f.data[off : off+int64(len(p))])
		return
	}
	copy(f.data[off:], p)
}

func (f *fakeFile) Pread(t *lab.Thread, p []byte, off int64) (int, error) {
	if f.fs.typ == "xfs" || f.fs.bug == "pread-rwsem" {
		f.rwsem.RLock(t)
		defer f.rwsem.RUnlock(t)
	}
	f.mu.Lock(t)
	defer f.mu.Unlock(t)
	if off >= int64(len(f.data)) {
		return 0, nil
	}
	return copy(p, f.data[off:]), nil
}

// ext4MapPoint reaches the point after ext4's extent status lookup: in
// ext4_da_map_blocks, or with nodelalloc in ext4_iomap_get_blocks.
func (fs *fakeFS) ext4MapPoint(t *lab.Thread) {
	switch {
	case fs.typ == "ext4" && fs.nodelalloc:
		t.Point("ext4.iomap_get_blocks.after_lookup")
	case fs.typ == "ext4":
		t.Point("ext4.da_map.after_lookup")
	}
}

func (f *fakeFile) MapStore(t *lab.Thread, data []byte, off int64) error {
	f.fs.ext4MapPoint(t)
	f.mu.Lock(t)
	defer f.mu.Unlock(t)
	if off+int64(len(data)) > int64(len(f.data)) {
		return syscall.EFAULT
	}
	copy(f.data[off:], data)
	f.seq.Add(1)
	return nil
}

func (f *fakeFile) MapLoad(t *lab.Thread, p []byte, off int64) error {
	f.mu.Lock(t)
	defer f.mu.Unlock(t)
	if off+int64(len(p)) > int64(len(f.data)) {
		return syscall.EFAULT
	}
	copy(p, f.data[off:])
	return nil
}

func (f *fakeFile) Fallocate(t *lab.Thread, mode vfs.FallocMode, off, length int64) error {
	f.rwsem.Lock(t)
	defer f.rwsem.Unlock(t)
	f.mu.Lock(t)
	defer f.mu.Unlock(t)
	f.seq.Add(1)
	end := off + length
	switch mode {
	case vfs.FallocAllocate, vfs.FallocZero:
		f.grow(end)
	}
	if mode == vfs.FallocPunch || mode == vfs.FallocZero || mode == vfs.FallocZeroKeepSize {
		end = min(end, int64(len(f.data)))
		if off < end {
			clear(f.data[off:end])
		}
		t.Point("falloc.after_invalidate")
	} else {
		t.Point("falloc.allocated")
	}
	return nil
}

func (f *fakeFile) Truncate(t *lab.Thread, size int64) error {
	f.rwsem.Lock(t)
	defer f.rwsem.Unlock(t)
	f.mu.Lock(t)
	grow := size > int64(len(f.data))
	f.mu.Unlock(t)
	if grow { // xfs zeroes the old EOF block's tail (iomap_zero_range)
		t.Point("iomap.zero.after_begin")
	}
	f.mu.Lock(t)
	defer f.mu.Unlock(t)
	f.seq.Add(1)
	t.Point("truncate.before_pagecache")
	if size < int64(len(f.data)) {
		f.data = f.data[:size]
	}
	t.Point("truncate.after_pagecache")
	t.Point("xfs.truncate.cancel_cow")
	f.grow(size)
	return nil
}

func (f *fakeFile) Fsync(t *lab.Thread) error {
	switch f.fs.bug {
	case "lost-wakeup": // waits for a writeback completion nobody signals
		ev := lab.Event{Name: "writeback-done"}
		ev.Wait(t, func() bool { return false })
	case "abba": // takes the page cache lock before i_rwsem; Truncate the other way
		f.mu.Lock(t)
		defer f.mu.Unlock(t)
		f.rwsem.Lock(t)
		defer f.rwsem.Unlock(t)
		f.disk = append([]byte(nil), f.data...)
		return nil
	}
	f.mu.Lock(t)
	defer f.mu.Unlock(t)
	f.disk = append([]byte(nil), f.data...)
	return nil
}

// SyncRange "writes back" page by page, each behind iomap.wb.map_blocks.
func (f *fakeFile) SyncRange(t *lab.Thread, off, length int64) error {
	for p := off &^ 4095; p < off+length; p += 4096 {
		t.Point("iomap.wb.map_blocks")
		if f.fs.bug == "ownership" {
			t.Fail("ownership: block " + fmt.Sprint(p/4096) + " written while not owned")
		}
		f.mu.Lock(t)
		if len(f.disk) != len(f.data) {
			f.disk = append(f.disk[:0:0], f.data...)
		}
		end := min(p+4096, int64(len(f.data)))
		if p < end {
			copy(f.disk[p:end], f.data[p:end])
		}
		f.seq.Add(1)
		f.mu.Unlock(t)
	}
	return nil
}

func (f *fakeFile) FadviseDontneed(t *lab.Thread, off, length int64) error {
	return f.SyncRange(t, off, length)
}

// Reclaim holds the file's lock at reclaim.evict, as the model's reclaim
// holds the lock of the folio it is about to evict.
func (f *fakeFile) Reclaim(t *lab.Thread, off, length int64) error {
	t.Point("reclaim")
	f.mu.Lock(t)
	defer f.mu.Unlock(t)
	t.Point("reclaim.evict")
	return nil
}

func (f *fakeFile) Size(t *lab.Thread) (int64, error) {
	f.mu.Lock(t)
	defer f.mu.Unlock(t)
	return int64(len(f.data)), nil
}

// CloneRange is reflink on the fake (whole files only): both files are
// flushed, as FICLONE does, and the destination gets a copy of the source.
func (f *fakeFile) CloneRange(t *lab.Thread, src vfs.File, srcOff, dstOff, length int64) error {
	s := src.(*fakeFile)
	s.Fsync(t)
	s.mu.Lock(t)
	data := append([]byte(nil), s.data...)
	s.mu.Unlock(t)
	f.mu.Lock(t)
	f.grow(int64(len(data)))
	copy(f.data, data)
	f.mu.Unlock(t)
	return f.Fsync(t)
}
