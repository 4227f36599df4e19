package kernel

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"iomaplab/lab"
	"iomaplab/vfs"
)

// FS is a vfs.FS over a mounted scratch filesystem.
type FS struct {
	s   *Scratch
	sup *Supervisor
	// Watchdog bounds how long a parked write waits for its release.
	Watchdog time.Duration

	res   *Resource
	mu    sync.Mutex
	files []*File
}

var _ vfs.FS = (*FS)(nil)

// NewFS wraps a mounted scratch filesystem; its files are closed by the
// supervisor before the unmount.
func NewFS(sup *Supervisor, s *Scratch) *FS {
	fs := &FS{s: s, sup: sup, Watchdog: 10 * time.Second}
	fs.res = sup.Defer("close files on "+s.Mnt, fs.closeAll)
	return fs
}

// Scratch is the filesystem's device and mount.
func (fs *FS) Scratch() *Scratch { return fs.s }

// Name is the filesystem type.
func (fs *FS) Name() string { return fs.s.FSType }

// Open opens name read-write, creating it if needed.
func (fs *FS) Open(_ *lab.Thread, name string) (vfs.File, error) { return fs.OpenFile(name) }

// OpenFile is Open with the concrete type.
func (fs *FS) OpenFile(name string) (*File, error) {
	path := filepath.Join(fs.s.Mnt, name)
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, errno(err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, errno(err)
	}
	f := &File{fs: fs, name: name, path: path, fd: fd, ino: st.Ino}
	fs.mu.Lock()
	fs.files = append(fs.files, f)
	fs.mu.Unlock()
	return f, nil
}

// Remove closes f and unlinks it.
func (fs *FS) Remove(f *File) error {
	fs.forget(f)
	err := f.close()
	if rerr := os.Remove(f.path); err == nil {
		err = rerr
	}
	return err
}

func (fs *FS) forget(f *File) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, x := range fs.files {
		if x == f {
			fs.files = append(fs.files[:i], fs.files[i+1:]...)
			return
		}
	}
}

// Remount syncs, unmounts and mounts the filesystem again: the page cache
// and every in-core extent are dropped and reloaded from the device. Open
// files are reopened and stay usable.
func (fs *FS) Remount(_ *lab.Thread) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, f := range fs.files {
		f.mu.Lock()
		defer f.mu.Unlock()
	}
	for _, f := range fs.files {
		if err := unix.Fsync(f.fd); err != nil {
			return errno(err)
		}
		unix.Close(f.fd)
		f.fd = -1
	}
	if err := fs.s.cycle(); err != nil {
		return err
	}
	var errs []error
	for _, f := range fs.files {
		fd, err := unix.Open(f.path, unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			errs = append(errs, errno(err))
			continue
		}
		f.fd = fd
	}
	return errors.Join(errs...)
}

// DropCaches is echo 1 > /proc/sys/vm/drop_caches: every clean, idle
// page-cache folio of the machine is evicted (nothing is written).
func (fs *FS) DropCaches(_ *lab.Thread) error {
	return os.WriteFile("/proc/sys/vm/drop_caches", []byte("1"), 0)
}

// Close closes every file (the filesystem stays mounted).
func (fs *FS) Close() error { return fs.sup.Release(fs.res) }

func (fs *FS) closeAll() error {
	fs.mu.Lock()
	files := fs.files
	fs.files = nil
	fs.mu.Unlock()
	var errs []error
	for _, f := range files {
		// A descriptor held by a call stuck in the kernel stays open; the
		// unmount then detaches lazily and says so.
		if !f.mu.TryLock() {
			errs = append(errs, errors.New(f.name+": still in use, left open"))
			continue
		}
		if f.fd >= 0 {
			if err := unix.Close(f.fd); err != nil {
				errs = append(errs, err)
			}
			f.fd = -1
		}
		f.mu.Unlock()
	}
	return errors.Join(errs...)
}
