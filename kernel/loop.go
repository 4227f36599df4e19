package kernel

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Loop is a loop device bound to an image this package created. It is
// configured with LO_FLAGS_AUTOCLEAR, so the kernel detaches it when its
// last user goes away (our descriptor, then the mount), even if this
// process dies.
type Loop struct {
	Path  string // /dev/loopN
	Major uint32
	Minor uint32
	fd    int // kept open until the filesystem is mounted
}

// attachLoop binds image to a free loop device (LOOP_CTL_GET_FREE +
// LOOP_CONFIGURE). It retries when another process grabs the same device.
func attachLoop(image string) (*Loop, error) {
	img, err := unix.Open(image, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open image: %w", err)
	}
	defer unix.Close(img)
	ctl, err := unix.Open("/dev/loop-control", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/loop-control: %w", err)
	}
	defer unix.Close(ctl)
	for try := 0; try < 20; try++ {
		n, err := unix.IoctlRetInt(ctl, unix.LOOP_CTL_GET_FREE)
		if err != nil {
			return nil, fmt.Errorf("LOOP_CTL_GET_FREE: %w", err)
		}
		path := fmt.Sprintf("/dev/loop%d", n)
		fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		cfg := unix.LoopConfig{Fd: uint32(img)}
		cfg.Info.Flags = unix.LO_FLAGS_AUTOCLEAR
		copy(cfg.Info.File_name[:len(cfg.Info.File_name)-1], image)
		if err := unix.IoctlLoopConfigure(fd, &cfg); err != nil {
			unix.Close(fd)
			if errors.Is(err, unix.EBUSY) {
				continue // lost a race for this device
			}
			return nil, fmt.Errorf("LOOP_CONFIGURE %s: %w", path, err)
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return nil, err
		}
		return &Loop{Path: path, Major: unix.Major(st.Rdev), Minor: unix.Minor(st.Rdev), fd: fd}, nil
	}
	return nil, errors.New("no free loop device after 20 tries")
}

// backedBy checks that the loop device is bound to image (same device and
// inode): the rail that keeps mkfs away from anything we did not create.
func (l *Loop) backedBy(fd int, image string) error {
	info, err := unix.IoctlLoopGetStatus64(fd)
	if err != nil {
		return fmt.Errorf("LOOP_GET_STATUS64 %s: %w", l.Path, err)
	}
	var st unix.Stat_t
	if err := unix.Stat(image, &st); err != nil {
		return err
	}
	if info.Inode != st.Ino || info.Device != st.Dev {
		return fmt.Errorf("%s is not bound to our image %s; refusing to touch it", l.Path, image)
	}
	return nil
}

// release drops our descriptor; with AUTOCLEAR the device detaches once the
// mount (if any) is gone too.
func (l *Loop) release() error {
	if l.fd < 0 {
		return nil
	}
	err := unix.Close(l.fd)
	l.fd = -1
	return err
}

// detach forces LOOP_CLR_FD when the device is still bound to image after
// the unmount (AUTOCLEAR normally did it already).
func (l *Loop) detach(image string) error {
	fd, err := unix.Open(l.Path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	defer unix.Close(fd)
	info, err := unix.IoctlLoopGetStatus64(fd)
	if errors.Is(err, unix.ENXIO) {
		return nil // already detached
	}
	if err != nil {
		return err
	}
	var st unix.Stat_t
	if unix.Stat(image, &st) != nil || info.Inode != st.Ino || info.Device != st.Dev {
		return nil // rebound to someone else's file: not ours any more
	}
	if err := unix.IoctlSetInt(fd, unix.LOOP_CLR_FD, 0); err != nil && !errors.Is(err, unix.ENXIO) {
		return fmt.Errorf("LOOP_CLR_FD %s: %w", l.Path, err)
	}
	return nil
}
