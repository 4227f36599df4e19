// Package vm boots a kernel image in qemu and runs a command inside it,
// normally the kernel target (`iomaplab kernel --json`), so the directed
// scenarios run on kernels other than the host's own: a distribution's
// packaged kernel, or one built without a fix.
//
// The guest's root is the host's own root filesystem shared read-only over
// virtio-9p, so the guest runs the host's userspace (mkfs.xfs, a shell,
// fstests); /tmp is a scratch ext4 disk (virtio-blk, a sparse image made
// for the boot, where the kernel target's loop images go), /run a tmpfs,
// and the output directory is a second, writable 9p share mounted at the
// same path. A
// small initramfs, written here in the cpio newc format, holds a static
// busybox, the kernel modules the guest needs (virtio-pci, 9p, loop and
// the filesystems, with their dependencies read from each module's
// .modinfo) and this program's own executable; its /init loads the
// modules, mounts the shares, runs the command under chroot, records its
// stdout, stderr and exit status in the output directory and powers off.
//
// qemu runs with KVM when /dev/kvm exists and under TCG otherwise; a
// timeout kills it. Everything temporary (the initramfs) is removed when
// Run returns.
package vm
