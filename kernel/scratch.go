package kernel

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// ImageSize is the apparent size of a scratch image; the file is sparse.
const ImageSize = 3 << 30

// Workspace is the private temporary directory that holds a run's images
// and mount points. Nothing outside it is created, except loop devices bound
// to its images (and a tracefs instance).
type Workspace struct {
	sup *Supervisor
	Dir string
}

// NewWorkspace creates the private directory, records this process as its
// owner, registers it (RegistryDir) and registers its removal. Removal uses
// rmdir and unlink of the entries this package made, never a recursive
// delete: if something is still mounted, nothing under it is lost. First it
// reclaims the workspaces of runs that died without cleaning up
// (ReclaimAbandoned), saying so through sup.Log.
func NewWorkspace(sup *Supervisor) (*Workspace, error) {
	registry := RegistryDir()
	lines, err := ReclaimAbandoned(registry)
	for _, l := range lines {
		sup.Log("iomaplab kernel: %s", l)
	}
	if err != nil {
		sup.Log("iomaplab kernel: %v", err)
	}
	dir, err := os.MkdirTemp("", workspacePrefix)
	if err != nil {
		return nil, &EnvError{fmt.Sprintf("create private temp dir: %v", err)}
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	owner := filepath.Join(dir, ownerFile)
	err = writeOwner(dir)
	var marker string
	if err == nil {
		marker, err = register(registry, dir)
	}
	if err != nil {
		os.Remove(marker)
		os.Remove(owner)
		os.Remove(dir)
		return nil, &EnvError{fmt.Sprintf("register workspace %s in %s: %v", dir, registry, err)}
	}
	// Undone newest first: the owner file, the directory, then the marker.
	sup.Defer("unregister "+marker, func() error { return os.Remove(marker) })
	sup.Defer("remove "+dir, func() error { return os.Remove(dir) })
	sup.Defer("remove "+owner, func() error { return os.Remove(owner) })
	return &Workspace{sup: sup, Dir: dir}, nil
}

// Scratch is one mounted scratch filesystem.
type Scratch struct {
	FSType       string
	Dev          string // block device path
	Major, Minor uint32
	Mnt          string // private mount point
	image        string // "" when the device was given by the user
	loop         *Loop
	mounted      bool
	sup          *Supervisor
	res          []*Resource // cleanups, oldest first
	opts         string      // mount options
}

// mkfsArgs forces mkfs: it only ever runs on a device this package just
// bound to its own image, or one the user named with --destroy.
var mkfsArgs = map[string][]string{
	"xfs":   {"mkfs.xfs", "-q", "-f"},
	"ext4":  {"mkfs.ext4", "-q", "-F"},
	"btrfs": {"mkfs.btrfs", "-q", "-f"},
}

// NewScratch creates a sparse image, binds it to a loop device, makes a
// filesystem of type fstype on it and mounts it under the workspace. Every
// step registers its undo with the supervisor before the next one starts.
//
// fstype "tmpfs" mounts a size-limited tmpfs instead (no device, no mkfs):
// a page-cache-only reference target for fsx.
func (w *Workspace) NewScratch(fstype string) (*Scratch, error) {
	if fstype == "tmpfs" {
		s := &Scratch{FSType: fstype, Dev: "tmpfs", sup: w.sup}
		return s, s.makeMountpoint(w, "size=4g")
	}
	if _, ok := mkfsArgs[fstype]; !ok {
		return nil, fmt.Errorf("unknown filesystem type %q", fstype)
	}
	image := filepath.Join(w.Dir, fstype+".img")
	f, err := os.OpenFile(image, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, hostErr("scratch image", err)
	}
	s := &Scratch{FSType: fstype, image: image, sup: w.sup}
	s.onClose("remove "+image, func() error { return os.Remove(image) })
	err = f.Truncate(ImageSize)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, hostErr("scratch image", err)
	}
	loop, err := attachLoop(image)
	if err != nil {
		return nil, &EnvError{fmt.Sprintf("loop device: %v", err)}
	}
	s.Dev, s.Major, s.Minor, s.loop = loop.Path, loop.Major, loop.Minor, loop
	s.onClose("detach "+loop.Path, func() error {
		err := loop.release()
		if derr := loop.detach(image); err == nil {
			err = derr
		}
		return err
	})
	if err := loop.backedBy(loop.fd, image); err != nil {
		return nil, err
	}
	if err := s.mkfsAndMount(w); err != nil {
		return nil, err
	}
	// The mount now holds the device; AUTOCLEAR detaches it at unmount.
	loop.release()
	return s, nil
}

// UseDevice makes a filesystem on a user-named scratch device. Checks
// (refusals) come first: not a block device, mounted or opened exclusively
// elsewhere, or holding data without destroy.
func (w *Workspace) UseDevice(dev, fstype string, destroy bool) (*Scratch, error) {
	maj, min, err := CheckScratchDev(dev, destroy)
	if err != nil {
		return nil, err
	}
	s := &Scratch{FSType: fstype, Dev: dev, Major: maj, Minor: min, sup: w.sup}
	if err := s.mkfsAndMount(w); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Scratch) mkfsAndMount(w *Workspace) error {
	args := append(append([]string{}, mkfsArgs[s.FSType]...), s.Dev)
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		return s.mkfsFailed(fmt.Sprintf("%s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out))))
	}
	return s.makeMountpoint(w, "")
}

// mkfsFailed classifies a failed mkfs. On a loop image this package just
// made, nothing the user wrote can make mkfs fail: the host is out of space
// for the image (its writes then fail with ENOSPC or, through the loop
// device, EIO) or mkfs itself is broken: an environment error either way,
// with the host's free space when it is short. On a user's device the
// device may be unfit (too small): bad input, unless mkfs names ENOSPC or
// EIO.
func (s *Scratch) mkfsFailed(msg string) error {
	if s.image != "" {
		var st unix.Statfs_t
		if err := unix.Statfs(filepath.Dir(s.image), &st); err == nil {
			if free := st.Bavail * uint64(st.Bsize); free < ImageSize {
				msg += fmt.Sprintf(" (the host filesystem of %s has %d bytes free)", s.image, free)
			}
		}
		return &EnvError{msg}
	}
	if strings.Contains(msg, "No space left on device") || strings.Contains(msg, "Input/output error") {
		return &EnvError{msg}
	}
	return &BadInputError{msg}
}

// hostErr makes a failure to create or size the image an environment error.
func hostErr(what string, err error) error {
	return &EnvError{fmt.Sprintf("%s: %v", what, err)}
}

func (s *Scratch) makeMountpoint(w *Workspace, opts string) error {
	s.Mnt = filepath.Join(w.Dir, "mnt-"+s.FSType)
	s.opts = opts
	if err := os.Mkdir(s.Mnt, 0o700); err != nil {
		return err
	}
	mnt := s.Mnt
	s.onClose("rmdir "+mnt, func() error { return os.Remove(mnt) })
	if err := s.mount(); err != nil {
		return err
	}
	s.onClose("unmount "+mnt, s.unmount)
	return nil
}

func (s *Scratch) onClose(name string, fn func() error) {
	s.res = append(s.res, s.sup.Defer(name, fn))
}

// Close unmounts, detaches and removes what NewScratch or UseDevice made,
// newest first (it runs the supervisor's cleanups for them now).
func (s *Scratch) Close() error {
	var errs []error
	for i := len(s.res) - 1; i >= 0; i-- {
		if err := s.sup.Release(s.res[i]); err != nil {
			errs = append(errs, err)
		}
	}
	s.res = nil
	return errors.Join(errs...)
}

func (s *Scratch) mount() error {
	if err := unix.Mount(s.Dev, s.Mnt, s.FSType, 0, s.opts); err != nil {
		return fmt.Errorf("mount %s %s on %s: %w", s.FSType, s.Dev, s.Mnt, err)
	}
	s.mounted = true
	return nil
}

// unmount unmounts; if something still holds the mount (a task we could not
// stop), it detaches it lazily so the kernel finishes when the holder exits,
// and reports the error.
func (s *Scratch) unmount() error {
	if !s.mounted {
		return nil
	}
	err := unix.Unmount(s.Mnt, 0)
	if errors.Is(err, unix.EBUSY) {
		if derr := unix.Unmount(s.Mnt, unix.MNT_DETACH); derr == nil {
			s.mounted = false
			return fmt.Errorf("unmount %s: busy; detached lazily", s.Mnt)
		}
	}
	if err != nil {
		return fmt.Errorf("unmount %s: %w", s.Mnt, err)
	}
	s.mounted = false
	return nil
}

// cycle unmounts and mounts again: the page cache and all in-core extent
// state of the filesystem are dropped and reloaded from the device. The
// loop device stays bound across the cycle because we hold it open.
//
// tmpfs has no device to reload from: its cycle is a no-op.
func (s *Scratch) cycle() error {
	if s.FSType == "tmpfs" {
		return nil
	}
	if s.loop != nil {
		fd, err := unix.Open(s.Dev, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		if err := s.loop.backedBy(fd, s.image); err != nil {
			return err
		}
	}
	if err := s.unmount(); err != nil {
		return err
	}
	return s.mount()
}

// remountWith cycles the mount (cycle: the loop device stays bound) with
// mount options opts, unless it is mounted with them already. No file may
// be open on it.
func (s *Scratch) remountWith(opts string) error {
	if opts == s.opts {
		return nil
	}
	s.opts = opts
	return s.cycle()
}

// DevT is the device number as tracepoints and dev_t fields encode it.
func (s *Scratch) DevT() uint64 { return uint64(s.Major)<<20 | uint64(s.Minor) }

// DevName is the kernel's short name for the device ("loop3").
func (s *Scratch) DevName() string { return filepath.Base(s.Dev) }
