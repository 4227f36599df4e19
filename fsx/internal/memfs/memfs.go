// Package memfs is a small in-memory vfs.FS for testing fsx itself: files
// are byte slices, every cache operation is a no-op, and a data copy is split
// by a lab Point so a controlled schedule can interleave threads inside it.
// Clone, dedupe and copy (vfs.Cloner, Deduper, Copier) copy or compare bytes
// under both files' locks; nothing is shared.
// Bugs re-introduces simple faults so tests can show fsx catches them.
package memfs

import (
	"syscall"

	"iomaplab/lab"
	"iomaplab/vfs"
)

// Bugs are faults the file system can be told to have.
type Bugs struct {
	// PunchKeepsData makes punch a no-op (the data stays).
	PunchKeepsData bool
	// RemountLosesTail makes remount drop the last byte of every non-empty file.
	RemountLosesTail bool
	// ShortWriteStoresAll makes a faulting write store its whole buffer
	// though it reports only the bytes before the fault.
	ShortWriteStoresAll bool
	// PanicOnTruncate makes a Truncate to a non-zero size panic (an engine
	// bug crashing a thread).
	PanicOnTruncate bool
	// CloneDoesNothing makes CloneRange succeed without changing a byte.
	CloneDoesNothing bool
	// DedupeCopies makes DedupeRange copy the source over differing bytes
	// and report them shared.
	DedupeCopies bool
}

// FS is an in-memory file system.
type FS struct {
	Bugs  Bugs
	mu    lab.Mutex
	files []*File
}

// New returns an empty file system.
func New() *FS { return &FS{mu: lab.Mutex{Name: "memfs.files"}} }

var _ vfs.FS = (*FS)(nil)

// Open implements vfs.FS.
func (fs *FS) Open(t *lab.Thread, name string) (vfs.File, error) {
	fs.mu.Lock(t)
	defer fs.mu.Unlock(t)
	for _, f := range fs.files {
		if f.name == name {
			return f, nil
		}
	}
	f := &File{fs: fs, name: name, idx: len(fs.files), mu: lab.RWMutex{Name: "memfs." + name}}
	fs.files = append(fs.files, f)
	return f, nil
}

// Remount implements vfs.FS; nothing is cached, so nothing changes (unless
// Bugs.RemountLosesTail).
func (fs *FS) Remount(t *lab.Thread) error {
	if !fs.Bugs.RemountLosesTail {
		return nil
	}
	fs.mu.Lock(t)
	defer fs.mu.Unlock(t)
	for _, f := range fs.files {
		f.mu.Lock(t)
		if len(f.data) > 0 {
			f.data = f.data[:len(f.data)-1]
		}
		f.mu.Unlock(t)
	}
	return nil
}

// DropCaches implements vfs.FS.
func (fs *FS) DropCaches(t *lab.Thread) error { return t.Point("memfs.drop") }

// Name implements vfs.FS.
func (fs *FS) Name() string { return "memfs" }

// File is one in-memory file. Data ops inside the file hold mu shared, so
// two threads writing the same bytes are a data race the race detector
// reports; size changes hold it exclusively.
type File struct {
	fs   *FS
	name string
	idx  int // creation order: the order lockPair takes two files' locks
	mu   lab.RWMutex
	data []byte
}

var _ vfs.File = (*File)(nil)

// Name implements vfs.File.
func (f *File) Name() string { return f.name }

// copyIn copies p into the file at off in two halves with a Point between.
func (f *File) copyIn(t *lab.Thread, p []byte, off int64) error {
	h := len(p) / 2
	copy(f.data[off:], p[:h])
	if err := t.Point("memfs.copy"); err != nil {
		return err
	}
	copy(f.data[off+int64(h):], p[h:])
	return nil
}

func (f *File) copyOut(t *lab.Thread, p []byte, off int64) error {
	h := len(p) / 2
	copy(p[:h], f.data[off:])
	if err := t.Point("memfs.copy"); err != nil {
		return err
	}
	copy(p[h:], f.data[off+int64(h):])
	return nil
}

func (f *File) grow(size int64) {
	if size > int64(len(f.data)) {
		f.data = append(f.data, make([]byte, size-int64(len(f.data)))...)
	}
}

// Pwrite implements vfs.File. A FaultAt inside the buffer makes it write
// the bytes before it and return EFAULT.
func (f *File) Pwrite(t *lab.Thread, buf vfs.Buffer, off int64) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	data, fault, n := buf.Data, error(nil), len(buf.Data)
	if buf.FaultAt != vfs.NoOffset && buf.FaultAt < int64(len(data)) {
		fault, n = syscall.EFAULT, int(buf.FaultAt)
		if !f.fs.Bugs.ShortWriteStoresAll {
			data = data[:n]
		}
		if len(data) == 0 {
			return 0, fault
		}
	}
	end := off + int64(len(data))
	f.mu.RLock(t)
	inside := end <= int64(len(f.data))
	if inside {
		defer f.mu.RUnlock(t)
	} else {
		f.mu.RUnlock(t)
		f.mu.Lock(t)
		defer f.mu.Unlock(t)
		f.grow(end)
	}
	if err := f.copyIn(t, data, off); err != nil {
		return 0, err
	}
	return n, fault
}

// Pread implements vfs.File.
func (f *File) Pread(t *lab.Thread, p []byte, off int64) (int, error) {
	f.mu.RLock(t)
	defer f.mu.RUnlock(t)
	if off >= int64(len(f.data)) {
		return 0, nil
	}
	n := min(int64(len(p)), int64(len(f.data))-off)
	return int(n), f.copyOut(t, p[:n], off)
}

// MapStore implements vfs.File.
func (f *File) MapStore(t *lab.Thread, data []byte, off int64) error {
	f.mu.RLock(t)
	defer f.mu.RUnlock(t)
	if off < 0 || off+int64(len(data)) > int64(len(f.data)) {
		return syscall.EFAULT
	}
	return f.copyIn(t, data, off)
}

// MapLoad implements vfs.File.
func (f *File) MapLoad(t *lab.Thread, p []byte, off int64) error {
	f.mu.RLock(t)
	defer f.mu.RUnlock(t)
	if off < 0 || off+int64(len(p)) > int64(len(f.data)) {
		return syscall.EFAULT
	}
	return f.copyOut(t, p, off)
}

// Fallocate implements vfs.File.
func (f *File) Fallocate(t *lab.Thread, mode vfs.FallocMode, off, length int64) error {
	if off < 0 || length <= 0 {
		return syscall.EINVAL
	}
	f.mu.Lock(t)
	defer f.mu.Unlock(t)
	end := off + length
	switch mode {
	case vfs.FallocAllocate:
		f.grow(end)
	case vfs.FallocKeepSize:
	case vfs.FallocPunch:
		if !f.fs.Bugs.PunchKeepsData {
			f.zero(off, end)
		}
	case vfs.FallocZero:
		f.grow(end)
		f.zero(off, end)
	case vfs.FallocZeroKeepSize:
		f.zero(off, end)
	default:
		return syscall.EOPNOTSUPP
	}
	return nil
}

func (f *File) zero(off, end int64) {
	end = min(end, int64(len(f.data)))
	if off < end {
		clear(f.data[off:end])
	}
}

// Truncate implements vfs.File.
func (f *File) Truncate(t *lab.Thread, size int64) error {
	if size < 0 {
		return syscall.EINVAL
	}
	if f.fs.Bugs.PanicOnTruncate && size > 0 {
		panic("memfs: truncate bug")
	}
	f.mu.Lock(t)
	defer f.mu.Unlock(t)
	if size < int64(len(f.data)) {
		f.data = f.data[:size:size]
	}
	f.grow(size)
	return nil
}

// Fsync implements vfs.File.
func (f *File) Fsync(t *lab.Thread) error { return t.Point("memfs.fsync") }

// SyncRange implements vfs.File.
func (f *File) SyncRange(t *lab.Thread, off, length int64) error { return t.Point("memfs.sync") }

// FadviseDontneed implements vfs.File.
func (f *File) FadviseDontneed(t *lab.Thread, off, length int64) error {
	return t.Point("memfs.fadvise")
}

// Reclaim implements vfs.File.
func (f *File) Reclaim(t *lab.Thread, off, length int64) error { return t.Point("memfs.reclaim") }

// Size implements vfs.File.
func (f *File) Size(t *lab.Thread) (int64, error) {
	f.mu.RLock(t)
	defer f.mu.RUnlock(t)
	return int64(len(f.data)), nil
}
