package vm

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Options is one `iomaplab vm` run.
type Options struct {
	Kernel  string   // the kernel image
	Modules string   // its lib/modules/RELEASE directory, "" if everything needed is built in
	Load    []string // modules beyond BaseModules: the filesystems (xfs, ext4, btrfs)
	Out     string   // output directory, made if missing
	Command string   // shell command run in the guest
	Workdir string   // the command's working directory (if the guest has it)
	Append  string   // extra kernel command line
	Memory  int      // MiB
	CPUs    int
	Timeout time.Duration
	Busybox string // a static busybox; "" is /bin/busybox
	Binary  string // copied into the guest as iomaplab; "" is this executable
}

// Run checks the host (qemu, the image, busybox), builds the initramfs and
// the scratch disk in a temporary directory, boots and returns what the
// guest brought back; the temporary directory is removed before it
// returns.
func Run(ctx context.Context, o Options) (*Result, error) {
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		return nil, &EnvError{"qemu-system-x86_64 not found: install qemu-system-x86"}
	}
	if st, err := os.Stat(o.Kernel); err != nil || !st.Mode().IsRegular() {
		return nil, &EnvError{fmt.Sprintf("kernel image %s: not a readable file", o.Kernel)}
	}
	g, err := o.guest()
	if err != nil {
		return nil, err
	}
	out, err := filepath.Abs(o.Out)
	if err != nil {
		return nil, &EnvError{err.Error()}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, &EnvError{fmt.Sprintf("output directory: %v", err)}
	}
	g.Out = out
	tmp, err := os.MkdirTemp("", "iomaplab-vm-")
	if err != nil {
		return nil, &EnvError{err.Error()}
	}
	defer os.RemoveAll(tmp)
	initrd := filepath.Join(tmp, "initramfs.cpio")
	f, err := os.Create(initrd)
	if err != nil {
		return nil, &EnvError{err.Error()}
	}
	err = g.WriteInitramfs(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, &EnvError{fmt.Sprintf("writing the initramfs: %v", err)}
	}
	scratch := filepath.Join(tmp, "scratch.img")
	if err := MakeScratchDisk(scratch); err != nil {
		return nil, err
	}
	_, kvmErr := os.Stat("/dev/kvm")
	return Boot(ctx, &Config{Qemu: qemu, KVM: kvmErr == nil, Kernel: o.Kernel, Initrd: initrd, Scratch: scratch, Out: out,
		Memory: o.Memory, CPUs: o.CPUs, Append: o.Append, Timeout: o.Timeout})
}

// ScratchDiskSize is the apparent size of the scratch disk: room for the
// kernel target's sparse images of three filesystems.
const ScratchDiskSize = 16 << 30

// MakeScratchDisk makes the guest's /tmp: a sparse ext4 image, so that
// the loop devices of the kernel target sit on a disk filesystem as on the
// host (a loop device over tmpfs logs an error for every WRITE_ZEROES,
// which tmpfs cannot fallocate, and the kernel-log oracle reports it).
func MakeScratchDisk(path string) error {
	mkfs, err := exec.LookPath("mkfs.ext4")
	if err != nil {
		return &EnvError{"mkfs.ext4 not found: install e2fsprogs"}
	}
	f, err := os.Create(path)
	if err != nil {
		return &EnvError{err.Error()}
	}
	err = f.Truncate(ScratchDiskSize)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return &EnvError{fmt.Sprintf("scratch disk: %v", err)}
	}
	if out, err := exec.Command(mkfs, "-q", "-F", "-E", "lazy_itable_init=1,lazy_journal_init=1", path).CombinedOutput(); err != nil {
		return &EnvError{fmt.Sprintf("mkfs.ext4 %s: %v: %s", path, err, out)}
	}
	return nil
}

// guest gathers the initramfs's contents: busybox, this program, the
// modules (when a modules directory is given) and the command.
func (o *Options) guest() (*Guest, error) {
	bb := o.Busybox
	if bb == "" {
		bb = "/bin/busybox"
	}
	busybox, err := ReadStaticBusybox(bb)
	if err != nil {
		return nil, err
	}
	bin := o.Binary
	if bin == "" {
		if bin, err = os.Executable(); err != nil {
			return nil, &EnvError{fmt.Sprintf("cannot find this executable: %v", err)}
		}
	}
	binary, err := os.ReadFile(bin)
	if err != nil {
		return nil, &EnvError{err.Error()}
	}
	g := &Guest{Busybox: busybox, Binary: binary, Command: o.Command, Workdir: o.Workdir}
	if o.Modules != "" {
		md, err := OpenModuleDir(o.Modules)
		if err != nil {
			return nil, err
		}
		if g.Modules, err = md.Resolve(append(append([]string{}, BaseModules...), o.Load...), OptionalModules); err != nil {
			return nil, err
		}
	}
	return g, nil
}
