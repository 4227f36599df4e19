package kernel

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"iomaplab/kernel/uffd"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// File is a vfs.File over a real file descriptor on a scratch filesystem.
// The *lab.Thread arguments are ignored: the kernel schedules these threads.
type File struct {
	fs   *FS
	name string
	path string
	mu   sync.RWMutex // held shared by every call, exclusively while Remount reopens fd
	fd   int
	ino  uint64
}

var _ vfs.File = (*File)(nil)

func errno(err error) error {
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return err
}

// Name is the file's name inside its filesystem.
func (f *File) Name() string { return f.name }

// Ino is the inode number (tracepoint and FIEMAP reports name it).
func (f *File) Ino() uint64 { return f.ino }

// Pwrite is pwrite(2). A buffer with FaultAt has a PROT_NONE page there,
// so the write is short. A buffer with StallAt parks the write on a
// userfaultfd page, which is filled as soon as it parks: a plain FS has no
// window to hold open (the scenario target's files hold it, until the
// scenario releases the writer; scenario_pwrite.go).
func (f *File) Pwrite(_ *lab.Thread, buf vfs.Buffer, off int64) (int, error) {
	if buf.StallAt == vfs.NoOffset && buf.FaultAt == vfs.NoOffset {
		f.mu.RLock()
		defer f.mu.RUnlock()
		return ioAll(unix.Pwrite, f.fd, buf.Data, off)
	}
	src, err := uffd.NewSource(buf.Data, buf.StallAt, buf.FaultAt, f.fs.Watchdog)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	done := make(chan struct{})
	// If the run is torn down while we are parked, fill the page and wait
	// until the write has returned and let go of the file, so the unmount
	// that follows finds no user.
	res := f.fs.sup.Defer("resolve fault of a write to "+f.name, func() error {
		src.Release()
		<-done
		return nil
	})
	if buf.StallAt != vfs.NoOffset {
		f.fs.sup.Go("release the stall of "+f.name, func() {
			select {
			case <-src.Parked():
				src.Release()
			case <-done:
			}
		})
	}
	n, err := f.pwriteSource(src, off)
	close(done)
	f.fs.sup.Release(res)
	if serr := src.Err(); serr != nil && err == nil {
		err = serr
	}
	return n, err
}

func (f *File) pwriteSource(src *uffd.Source, off int64) (int, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return ioAll(unix.Pwrite, f.fd, src.Bytes(), off)
}

// ioAll repeats rw (unix.Pread or unix.Pwrite) until p is done, it moves
// no bytes (EOF), or it fails with anything but EINTR.
func ioAll(rw func(fd int, p []byte, off int64) (int, error), fd int, p []byte, off int64) (int, error) {
	done := 0
	for done < len(p) {
		n, err := rw(fd, p[done:], off+int64(done))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return done, errno(err)
		}
		if n == 0 {
			break
		}
		done += n
	}
	return done, nil
}

// Pread is pread(2), repeated until p is full or EOF.
func (f *File) Pread(_ *lab.Thread, p []byte, off int64) (int, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return ioAll(unix.Pread, f.fd, p, off)
}

// withMapping maps [off, off+n) of the file shared and calls fn on it. A
// fault on the mapping (the file shrank) becomes EFAULT, not a crash.
func (f *File) withMapping(off int64, n int, prot int, fn func(m []byte)) (err error) {
	size, err := f.size()
	if err != nil {
		return err
	}
	if off < 0 || off+int64(n) > size {
		return unix.EINVAL
	}
	pg := int64(os.Getpagesize())
	base := off / pg * pg
	m, err := unix.Mmap(f.fd, base, int(off+int64(n)-base), prot, unix.MAP_SHARED)
	if err != nil {
		return errno(err)
	}
	defer unix.Munmap(m)
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		if p := recover(); p != nil {
			err = unix.EFAULT
		}
	}()
	fn(m[off-base:])
	return nil
}

// MapStore stores through a MAP_SHARED mapping (page_mkwrite on each
// write-protected page).
func (f *File) MapStore(_ *lab.Thread, data []byte, off int64) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.withMapping(off, len(data), unix.PROT_READ|unix.PROT_WRITE, func(m []byte) { copy(m, data) })
}

// MapLoad loads through a MAP_SHARED mapping.
func (f *File) MapLoad(_ *lab.Thread, p []byte, off int64) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.withMapping(off, len(p), unix.PROT_READ, func(m []byte) { copy(p, m) })
}

var fallocFlags = map[vfs.FallocMode]uint32{
	vfs.FallocAllocate:     0,
	vfs.FallocKeepSize:     unix.FALLOC_FL_KEEP_SIZE,
	vfs.FallocPunch:        unix.FALLOC_FL_PUNCH_HOLE | unix.FALLOC_FL_KEEP_SIZE,
	vfs.FallocZero:         unix.FALLOC_FL_ZERO_RANGE,
	vfs.FallocZeroKeepSize: unix.FALLOC_FL_ZERO_RANGE | unix.FALLOC_FL_KEEP_SIZE,
}

// Fallocate is fallocate(2).
func (f *File) Fallocate(_ *lab.Thread, mode vfs.FallocMode, off, length int64) error {
	fl, ok := fallocFlags[mode]
	if !ok {
		return unix.EINVAL
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	return errno(unix.Fallocate(f.fd, fl, off, length))
}

// Truncate is ftruncate(2).
func (f *File) Truncate(_ *lab.Thread, size int64) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return errno(unix.Ftruncate(f.fd, size))
}

// Fsync is fsync(2).
func (f *File) Fsync(_ *lab.Thread) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return errno(unix.Fsync(f.fd))
}

// SyncRange is sync_file_range(SYNC_FILE_RANGE_WRITE): start WB_SYNC_NONE
// writeback of the range, do not wait.
func (f *File) SyncRange(_ *lab.Thread, off, length int64) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return errno(unix.SyncFileRange(f.fd, off, length, unix.SYNC_FILE_RANGE_WRITE))
}

// FadviseDontneed is posix_fadvise(POSIX_FADV_DONTNEED).
func (f *File) FadviseDontneed(_ *lab.Thread, off, length int64) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return errno(unix.Fadvise(f.fd, off, length, unix.FADV_DONTNEED))
}

// Reclaim is posix_fadvise(POSIX_FADV_DONTNEED) too: the kernel offers no
// "evict clean folios only" call for one file. Unlike the model's Reclaim,
// it first starts writeback of dirty folios in the range; scenarios call it
// on clean ranges, where the two agree.
func (f *File) Reclaim(t *lab.Thread, off, length int64) error {
	return f.FadviseDontneed(t, off, length)
}

// Size is i_size (fstat).
func (f *File) Size(_ *lab.Thread) (int64, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.size()
}

func (f *File) size() (int64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(f.fd, &st); err != nil {
		return 0, errno(err)
	}
	return st.Size, nil
}

// Extents is the file's FIEMAP (no sync first).
func (f *File) Extents() (Extents, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return fiemap(f.fd)
}

// ReadDirect reads the first n bytes with O_DIRECT on a second descriptor:
// what the device holds, not the page cache (after the kernel wrote back the
// range, as direct reads do).
func (f *File) ReadDirect(n int64) ([]byte, error) {
	fd, err := unix.Open(f.path, unix.O_RDONLY|unix.O_DIRECT|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open O_DIRECT: %w", err)
	}
	defer unix.Close(fd)
	pg := int64(os.Getpagesize())
	alloc := max((n+pg-1)/pg*pg, pg)
	buf, err := unix.Mmap(-1, 0, int(alloc), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, err
	}
	defer unix.Munmap(buf)
	got, err := ioAll(unix.Pread, fd, buf, 0)
	if err != nil {
		return nil, fmt.Errorf("O_DIRECT read: %w", err)
	}
	out := make([]byte, min(int64(got), n))
	copy(out, buf)
	return out, nil
}

// close closes the descriptor (the FS forgets the file).
func (f *File) close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fd < 0 {
		return nil
	}
	err := unix.Close(f.fd)
	f.fd = -1
	return err
}

// LockThread pins the calling goroutine to its OS thread and returns the
// thread id, so tracepoints can be attributed to it. The caller unlocks.
func LockThread() int {
	runtime.LockOSThread()
	return unix.Gettid()
}
