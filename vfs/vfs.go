// Package vfs is the syscall-shaped surface that every target implements: the
// iomap engine's filesystem models, and real Linux filesystems driven through
// file descriptors by the kernel target. Scenarios and fsx speak only this API,
// so one operation stream runs unchanged against the model and the kernel.
//
// Every call takes the calling simulated thread (the kernel's current). Targets
// that do not schedule through lab may ignore it, but callers always pass it.
//
// Errors are syscall.Errno values (EIO, ENOSPC, EFAULT, EINVAL, ...), the one
// error vocabulary at this boundary; short transfers report bytes done plus the
// error, as the kernel does.
package vfs

import "iomaplab/lab"

// FallocMode selects one fallocate(2) behaviour.
type FallocMode int

const (
	// FallocAllocate is mode 0: allocate unwritten blocks and extend i_size.
	FallocAllocate FallocMode = iota
	// FallocKeepSize is FALLOC_FL_KEEP_SIZE: allocate, leave i_size alone.
	FallocKeepSize
	// FallocPunch is FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE: free the blocks.
	FallocPunch
	// FallocZero is FALLOC_FL_ZERO_RANGE: the range reads as zeroes, i_size may grow.
	FallocZero
	// FallocZeroKeepSize is FALLOC_FL_ZERO_RANGE|FALLOC_FL_KEEP_SIZE.
	FallocZeroKeepSize
)

func (m FallocMode) String() string {
	switch m {
	case FallocAllocate:
		return "allocate"
	case FallocKeepSize:
		return "keep-size"
	case FallocPunch:
		return "punch"
	case FallocZero:
		return "zero"
	case FallocZeroKeepSize:
		return "zero-keep-size"
	}
	return "fallocmode?"
}

// NoOffset marks an absent StallAt or FaultAt.
const NoOffset = -1

// Buffer is the user memory a Pwrite copies from.
//
// StallAt models a userfaultfd page: the writer parks at the prefault of the
// chunk whose source contains Data[StallAt] (kernel target: the uffd page that
// holds that byte) until the lab or the fault handler releases it. FaultAt
// models an unmapped page: copying Data[FaultAt:] fails, so the write is short
// and returns the bytes done (or EFAULT if none were). Either may be NoOffset.
type Buffer struct {
	Data    []byte
	StallAt int64
	FaultAt int64
}

// Plain returns a Buffer that neither stalls nor faults.
func Plain(data []byte) Buffer {
	return Buffer{Data: data, StallAt: NoOffset, FaultAt: NoOffset}
}

// File is one open regular file of a target filesystem.
type File interface {
	// Pwrite is a buffered pwrite(2) of buf.Data at off. It returns the bytes
	// written; a short count comes with the error that stopped it.
	Pwrite(t *lab.Thread, buf Buffer, off int64) (int, error)
	// Pread is a buffered pread(2); it returns fewer bytes only at EOF.
	Pread(t *lab.Thread, p []byte, off int64) (int, error)
	// MapStore stores data through a shared mapping at off (page_mkwrite on
	// each write-protected page first). The range must lie below i_size.
	MapStore(t *lab.Thread, data []byte, off int64) error
	// MapLoad loads through a shared mapping; the range must lie below i_size.
	MapLoad(t *lab.Thread, p []byte, off int64) error
	// Fallocate is fallocate(2) with one of the modes above.
	Fallocate(t *lab.Thread, mode FallocMode, off, length int64) error
	// Truncate is ftruncate(2).
	Truncate(t *lab.Thread, size int64) error
	// Fsync writes back and waits for all dirty data (WB_SYNC_ALL).
	Fsync(t *lab.Thread) error
	// SyncRange is sync_file_range(WRITE|WAIT_AFTER), xfs/559's
	// `sync_range -a -w`: WB_SYNC_NONE writeback of the range (folios
	// already under writeback are skipped), then a wait for the range's
	// writeback to complete.
	SyncRange(t *lab.Thread, off, length int64) error
	// FadviseDontneed is posix_fadvise(POSIX_FADV_DONTNEED): start WB_SYNC_NONE
	// writeback of the range, then drop the clean folios.
	FadviseDontneed(t *lab.Thread, off, length int64) error
	// Reclaim evicts clean folios of the range that are not under writeback,
	// as memory reclaim does (kernel: fadvise DONTNEED of a clean range).
	Reclaim(t *lab.Thread, off, length int64) error
	// Size returns i_size.
	Size(t *lab.Thread) (int64, error)
	// Name is the file's name inside its filesystem.
	Name() string
}

// FS is a mounted target filesystem.
type FS interface {
	// Open opens name, creating an empty file if it does not exist.
	Open(t *lab.Thread, name string) (File, error)
	// Remount syncs everything, drops the page cache and all in-core extent
	// state, and reloads from the block device. Open Files stay usable.
	Remount(t *lab.Thread) error
	// DropCaches writes nothing: it evicts every clean, idle folio of every file.
	DropCaches(t *lab.Thread) error
	// Name names the filesystem type ("xfs", "ext4", ...).
	Name() string
}
