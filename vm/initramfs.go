package vm

import (
	"debug/elf"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Paths inside the guest.
const (
	guestRoot   = "/root"            // the host's root, read-only, in the initramfs
	guestBinDir = "/run/iomaplab-vm" // on the guest's tmpfs /run: PATH's first entry
	rootTag     = "hostroot"         // 9p mount tags
	outTag      = "iomaplab-out"
	// exitFile, releaseFile, stdoutFile and stderrFile are what the guest
	// writes in the output directory; consoleFile is qemu's serial port.
	exitFile    = "exit"
	releaseFile = "release"
	stdoutFile  = "stdout"
	stderrFile  = "stderr"
	consoleFile = "console.log"
)

// Guest is what the initramfs runs.
type Guest struct {
	Modules []Module // loaded in this order
	Busybox []byte   // a static busybox
	Binary  []byte   // copied to guestBinDir/iomaplab
	Command string   // shell command, run by the host's /bin/sh under chroot
	Workdir string   // the command's working directory, if it exists in the guest
	Out     string   // the output directory's absolute path (the same in the guest)
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ShellCommand joins argv into one shell command line.
func ShellCommand(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

// modulePath is where module i lives in the initramfs.
func modulePath(i int, m Module) string {
	return fmt.Sprintf("/modules/%02d-%s.ko", i, m.Name)
}

// InitScript is the initramfs's /init, run by busybox's shell: it loads
// the modules, mounts the host root (9p, read-only) with the guest's own
// proc, sys, dev, the scratch disk on /tmp, a tmpfs /run, and the output
// share, runs the command in the host root under chroot, records its exit
// status and reboots, which qemu's -no-reboot turns into its exit (a
// power-off would need ACPI: a kernel without it halts, and qemu waits for
// its timeout). Any failure before the command ends the guest at once,
// leaving no exit file: the host reads that as a guest that did not start.
// Should the reboot fail, the script ends, and init's exit panics the
// kernel, which panic=-1 turns into a reboot too.
func (g *Guest) InitScript() string {
	var b strings.Builder
	out := guestRoot + g.Out
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	p("#!/bin/busybox sh")
	p("/bin/busybox --install -s /bin")
	p("export PATH=/bin")
	p("die() { echo \"iomaplab-vm: $*\"; reboot -f; exit 1; }")
	p("mount -t proc proc /proc && mount -t sysfs sysfs /sys && mount -t devtmpfs devtmpfs /dev || die 'cannot mount proc, sys, dev'")
	p("echo \"iomaplab-vm: kernel $(uname -r), loading %d module(s)\"", len(g.Modules))
	for i, m := range g.Modules {
		path := modulePath(i, m)
		p("insmod %s || die 'insmod %s failed'", path, m.Name)
	}
	p("mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose %s %s || die 'cannot mount the host root (9p %s): does the kernel have virtio-pci and 9p?'", rootTag, guestRoot, rootTag)
	p("for d in proc sys dev tmp run; do [ -d %s/$d ] || die \"the host root has no /$d\"; done", guestRoot)
	p("mount -t proc proc %[1]s/proc && mount -t sysfs sysfs %[1]s/sys && mount -t devtmpfs devtmpfs %[1]s/dev || die 'cannot mount proc, sys, dev in the host root'", guestRoot)
	p("for i in $(seq 50); do [ -b /dev/vda ] && break; sleep 0.1; done")
	p("mount -t ext4 /dev/vda %[1]s/tmp && chmod 1777 %[1]s/tmp || die 'cannot mount the scratch disk (virtio-blk /dev/vda, ext4) on /tmp'", guestRoot)
	p("mount -t tmpfs -o mode=755 tmpfs %[1]s/run || die 'cannot mount tmpfs on /run'", guestRoot)
	p("mkdir -p %[1]s/dev/pts %[1]s/dev/shm && mount -t devpts devpts %[1]s/dev/pts", guestRoot)
	p("mkdir -p %s 2>/dev/null", shellQuote(out))
	p("mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 %s %s || die 'cannot mount the output share'", outTag, shellQuote(out))
	p("echo $(uname -r) > %s", shellQuote(out+"/"+releaseFile))
	p("mkdir -p %[1]s%[2]s && cp /iomaplab %[1]s%[2]s/iomaplab && cp /guest.sh %[1]s%[2]s/guest.sh || die 'cannot copy into /run'", guestRoot, guestBinDir)
	p("echo 'iomaplab-vm: running the command'")
	p("chroot %s /bin/sh %s/guest.sh > %s 2> %s", guestRoot, guestBinDir, shellQuote(out+"/"+stdoutFile), shellQuote(out+"/"+stderrFile))
	p("status=$?")
	p("echo \"iomaplab-vm: the command exited $status\"")
	p("echo $status > %s", shellQuote(out+"/"+exitFile))
	p("sync")
	p("umount %s", shellQuote(out))
	p("reboot -f")
	return b.String()
}

// GuestScript is the script the command runs in, inside the host root:
// PATH starts with the directory holding this program as `iomaplab`.
func (g *Guest) GuestScript() string {
	var b strings.Builder
	fmt.Fprintf(&b, "export PATH=%s:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n", guestBinDir)
	fmt.Fprintf(&b, "export HOME=/tmp TMPDIR=/tmp TERM=dumb IOMAPLAB_VM_OUT=%s\n", shellQuote(g.Out))
	fmt.Fprintf(&b, "cd %s 2>/dev/null || cd /\n", shellQuote(g.Workdir))
	fmt.Fprintf(&b, "%s\n", g.Command)
	return b.String()
}

// WriteInitramfs writes the guest's initramfs to w.
func (g *Guest) WriteInitramfs(w io.Writer) error {
	c := &cpioWriter{w: w}
	for _, d := range []string{"bin", "dev", "proc", "sys", "modules", strings.TrimPrefix(guestRoot, "/")} {
		c.Dir(d)
	}
	c.File("bin/busybox", 0o755, g.Busybox)
	c.Symlink("bin/sh", "busybox")
	c.File("init", 0o755, []byte(g.InitScript()))
	c.File("guest.sh", 0o644, []byte(g.GuestScript()))
	c.File("iomaplab", 0o755, g.Binary)
	for i, m := range g.Modules {
		c.File(strings.TrimPrefix(modulePath(i, m), "/"), 0o644, m.Data)
	}
	return c.Close()
}

// ReadStaticBusybox reads a busybox executable and checks that it is
// statically linked (the initramfs has no shared libraries).
func ReadStaticBusybox(path string) ([]byte, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, &EnvError{fmt.Sprintf("busybox %s: %v (install busybox-static)", path, err)}
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return nil, &EnvError{fmt.Sprintf("busybox %s is dynamically linked: install busybox-static", path)}
		}
	}
	return os.ReadFile(filepath.Clean(path))
}
