package kernel

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"golang.org/x/sys/unix"

	"iomaplab/kernel/tracefs"
	"iomaplab/kernel/uffd"
)

// EnvError says why this machine cannot run the kernel target (exit 3).
type EnvError struct{ Reason string }

func (e *EnvError) Error() string { return e.Reason }

// Environment marks the error as "this machine cannot run it" (exit 3).
func (e *EnvError) Environment() bool { return true }

// BadInputError is a request the kernel target refuses before creating
// anything: a value out of range, a plan it cannot run (exit 2).
type BadInputError struct{ Reason string }

func (e *BadInputError) Error() string { return e.Reason }

// BadInput marks the error as bad input or usage (exit 2).
func (e *BadInputError) BadInput() bool { return true }

// CheckEnv checks, before anything is created, that the kernel target can
// run here for these filesystem types: root, userfaultfd, the filesystem in
// the kernel, its mkfs, and loop devices unless a scratch device is given.
func CheckEnv(fstypes []string, scratchDev bool) error {
	if os.Geteuid() != 0 {
		return &EnvError{"the kernel target needs root (loop devices, mount, userfaultfd for kernel-mode faults, tracefs)"}
	}
	if !scratchDev {
		if _, err := os.Stat("/dev/loop-control"); err != nil {
			return &EnvError{"no /dev/loop-control: loop devices unavailable (or use --scratch-dev DEV --destroy)"}
		}
	}
	fsList, _ := os.ReadFile("/proc/filesystems")
	for _, t := range fstypes {
		if !bytes.Contains(fsList, []byte("\t"+t+"\n")) {
			return &EnvError{fmt.Sprintf("the kernel has no %s support (/proc/filesystems)", t)}
		}
		if _, err := exec.LookPath(mkfsArgs[t][0]); err != nil {
			pkg := map[string]string{"xfs": "xfsprogs", "ext4": "e2fsprogs", "btrfs": "btrfs-progs"}[t]
			return &EnvError{fmt.Sprintf("%s not found: install %s", mkfsArgs[t][0], pkg)}
		}
	}
	fd, err := uffd.Open()
	if err != nil {
		return &EnvError{fmt.Sprintf("userfaultfd unavailable: %v", err)}
	}
	fd.Close()
	return nil
}

// CheckScratchDev applies the refusals for a user-named device: it must be a
// block device, not mounted, not held exclusively by anyone else (a mounted
// partition, LVM, md, ...), and without --destroy it must not hold a
// filesystem or any data in its first MiB.
func CheckScratchDev(dev string, destroy bool) (major, minor uint32, err error) {
	var st unix.Stat_t
	if err := unix.Stat(dev, &st); err != nil {
		return 0, 0, fmt.Errorf("scratch device %s: %w", dev, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return 0, 0, fmt.Errorf("scratch device %s is not a block device", dev)
	}
	major, minor = unix.Major(st.Rdev), unix.Minor(st.Rdev)
	if mnt := mountedAt(major, minor); mnt != "" {
		return 0, 0, fmt.Errorf("refusing %s: it is mounted on %s", dev, mnt)
	}
	fd, err := unix.Open(dev, unix.O_RDONLY|unix.O_EXCL|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, 0, fmt.Errorf("refusing %s: in use (exclusive open: %v)", dev, err)
	}
	defer unix.Close(fd)
	head := make([]byte, 1<<20)
	n, _ := unix.Pread(fd, head, 0)
	head = head[:max(n, 0)]
	if destroy {
		return major, minor, nil
	}
	if sig := signature(head); sig != "" {
		return 0, 0, fmt.Errorf("refusing %s: it holds %s; add --destroy to overwrite it", dev, sig)
	}
	if !allZero(head) {
		return 0, 0, fmt.Errorf("refusing %s: its first MiB holds data; add --destroy to overwrite it", dev)
	}
	return major, minor, nil
}

func mountedAt(major, minor uint32) string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	want := fmt.Sprintf("%d:%d", major, minor)
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 4 && f[2] == want {
			return f[4]
		}
	}
	return ""
}

// signature names a filesystem or partition table found in a device's head.
func signature(h []byte) string {
	at := func(off int, magic string) bool {
		return len(h) >= off+len(magic) && string(h[off:off+len(magic)]) == magic
	}
	switch {
	case at(0, "XFSB"):
		return "an XFS filesystem"
	case at(1080, "\x53\xef"):
		return "an ext2/3/4 filesystem"
	case at(65536+64, "_BHRfS_M"):
		return "a btrfs filesystem"
	case at(4086, "SWAPSPACE2"):
		return "a swap area"
	case at(512, "EFI PART"):
		return "a GPT partition table"
	case at(510, "\x55\xaa"):
		return "an MBR partition table"
	}
	return ""
}

// allZero: b holds only zero bytes (compared a page at a time, without a
// byte loop, which is slow under -race).
func allZero(b []byte) bool {
	var zero [4096]byte
	for len(b) > 0 {
		n := min(len(b), len(zero))
		if !bytes.Equal(b[:n], zero[:n]) {
			return false
		}
		b = b[n:]
	}
	return true
}

// FindTraceRoot is where tracefs is mounted, or "".
func FindTraceRoot() string { return tracefs.FindRoot() }
