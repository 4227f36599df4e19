package vm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// EnvError says why this machine cannot boot the guest or the guest did
// not finish (exit 3).
type EnvError struct{ Reason string }

func (e *EnvError) Error() string { return e.Reason }

// Environment marks the error as "this machine cannot run it" (exit 3).
func (e *EnvError) Environment() bool { return true }

// Bounds of Config's numbers, for the command line's flag ranges.
const (
	MinMemoryMiB, MaxMemoryMiB = 256, 65536
	MaxCPUs                    = 64
	MaxTimeout                 = 24 * time.Hour
)

// BaseModules are loaded (with their dependencies) when a modules
// directory is given: the 9p root over virtio-pci, the scratch disk
// (virtio-blk, ext4) and loop devices. Modules built into the image are
// skipped.
var BaseModules = []string{"virtio_pci", "9pnet_virtio", "9p", "virtio_blk", "ext4", "loop"}

// OptionalModules are loaded first when present: the crc32c
// implementations libcrc32c's init asks the crypto API for (its soft
// dependency; there is no modprobe in the guest to load them on demand).
var OptionalModules = []string{"crc32c_intel", "crc32c_generic"}

// Config is one boot.
type Config struct {
	Qemu    string // qemu-system-x86_64
	KVM     bool   // /dev/kvm exists: -accel kvm, else TCG
	Kernel  string // the kernel image (bzImage, vmlinuz)
	Initrd  string // the initramfs WriteInitramfs wrote
	Scratch string // the scratch disk MakeScratchDisk made: the guest's /tmp
	Out     string // absolute output directory
	Memory  int    // MiB
	CPUs    int
	Append  string // extra kernel command line
	Timeout time.Duration
}

// qemuEscape doubles the commas of a value inside a qemu option list.
func qemuEscape(s string) string { return strings.ReplaceAll(s, ",", ",,") }

// KernelCmdline is the guest kernel's command line: the serial console,
// reboot (which -no-reboot turns into qemu's exit) at once on a panic,
// then the user's additions.
func (c *Config) KernelCmdline() string {
	line := "console=ttyS0 panic=-1 rdinit=/init"
	if c.Append != "" {
		line += " " + c.Append
	}
	return line
}

// QemuArgs are qemu's arguments: no default devices, the serial console to
// OUT/console.log, the scratch disk as virtio-blk (no host flushes: it is
// thrown away), the host root read-only and the output directory as
// virtio-9p shares, no reboot (a guest power-off or panic ends qemu).
func (c *Config) QemuArgs() []string {
	accel, cpu := "tcg", "max"
	if c.KVM {
		accel, cpu = "kvm", "host"
	}
	return []string{
		"-nodefaults", "-no-user-config", "-no-reboot",
		"-machine", "pc,accel=" + accel, "-cpu", cpu,
		"-smp", strconv.Itoa(c.CPUs), "-m", strconv.Itoa(c.Memory),
		"-display", "none",
		"-serial", "file:" + filepath.Join(c.Out, consoleFile),
		"-kernel", c.Kernel, "-initrd", c.Initrd, "-append", c.KernelCmdline(),
		"-drive", "file=" + qemuEscape(c.Scratch) + ",if=virtio,format=raw,cache=unsafe,discard=unmap",
		"-virtfs", "local,path=/,mount_tag=" + rootTag + ",security_model=none,readonly=on,multidevs=remap",
		"-virtfs", "local,path=" + qemuEscape(c.Out) + ",mount_tag=" + outTag + ",security_model=none,multidevs=remap",
	}
}

// Result is what a boot brought back.
type Result struct {
	Exit    int           // the guest command's exit status
	Release string        // uname -r in the guest
	Elapsed time.Duration // qemu's start to its exit
}

// ErrTimeout is a guest that had not powered off by the timeout.
var ErrTimeout = errors.New("timeout")

// Boot runs qemu with c until the guest powers off, ctx is cancelled or
// c.Timeout passes (qemu is killed then), and reads the guest's exit
// status from the output directory. A guest that powered off without one
// (no module, no 9p, a panic) is an EnvError quoting the console's tail.
func Boot(ctx context.Context, c *Config) (*Result, error) {
	for _, f := range []string{exitFile, releaseFile, stdoutFile, stderrFile, consoleFile} {
		if err := os.Remove(filepath.Join(c.Out, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, &EnvError{err.Error()}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Qemu, c.QemuArgs()...)
	var qerr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &qerr, &qerr
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	res := &Result{Elapsed: time.Since(start)}
	if ctx.Err() != nil {
		why := "interrupted"
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			why = fmt.Sprintf("%v: the guest had not powered off after %v (qemu killed)", ErrTimeout, c.Timeout)
		}
		return res, &EnvError{fmt.Sprintf("%s; console: %s%s", why, filepath.Join(c.Out, consoleFile), c.consoleTail())}
	}
	if err != nil {
		return res, &EnvError{fmt.Sprintf("qemu: %v: %s", err, strings.TrimSpace(qerr.String()))}
	}
	if b, err := os.ReadFile(filepath.Join(c.Out, releaseFile)); err == nil {
		res.Release = strings.TrimSpace(string(b))
	}
	b, err := os.ReadFile(filepath.Join(c.Out, exitFile))
	if err != nil {
		return res, &EnvError{fmt.Sprintf("the guest powered off without running the command (no %s); console: %s%s", exitFile, filepath.Join(c.Out, consoleFile), c.consoleTail())}
	}
	res.Exit, err = strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return res, &EnvError{fmt.Sprintf("%s: %q is not an exit status", filepath.Join(c.Out, exitFile), b)}
	}
	return res, nil
}

// consoleTail is the console log's last lines, indented, for an error.
func (c *Config) consoleTail() string {
	b, _ := os.ReadFile(filepath.Join(c.Out, consoleFile))
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	if len(lines) == 1 && lines[0] == "" {
		return " (empty)"
	}
	return "\n  " + strings.Join(lines, "\n  ")
}
