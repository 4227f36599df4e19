package fsx

import (
	"sync"

	"iomaplab/check"
	"iomaplab/vfs"
)

// refFile is one file's oracle (check.RefFile) behind a lock of its own.
// Threads of one epoch touch disjoint byte ranges of it, but the sparse
// reference model shares its page index (and size) between ranges, so
// every call is serialised. The lock is held only inside a call, never
// across a lab scheduling point, so it changes no controlled schedule.
type refFile struct {
	mu  sync.Mutex
	ref check.RefFile
}

func (r *refFile) Size() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ref.Size()
}

func (r *refFile) Write(p []byte, off int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ref.Write(p, off)
}

func (r *refFile) Truncate(size int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ref.Truncate(size)
}

func (r *refFile) Fallocate(mode vfs.FallocMode, off, length int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ref.Fallocate(mode, off, length)
}

func (r *refFile) ReadAt(p []byte, off int64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ref.ReadAt(p, off)
}
