package vm

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A real boot: the image in $IOMAPLAB_VM_KERNEL (with its modules in
// $IOMAPLAB_VM_MODULES if it is modular) runs a command in the host's
// root; its status, its output file and the console come back. Skipped
// without qemu, the image, root or a static busybox, as in CI, which
// installs none of them.
func TestBootRealKernel(t *testing.T) {
	kernel := os.Getenv("IOMAPLAB_VM_KERNEL")
	if kernel == "" {
		t.Skip("set IOMAPLAB_VM_KERNEL to a kernel image (and IOMAPLAB_VM_MODULES to its lib/modules/RELEASE) to boot it")
	}
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		t.Skip("no qemu-system-x86_64 (install qemu-system-x86)")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root (qemu's 9p shares of the host root)")
	}
	if _, err := ReadStaticBusybox("/bin/busybox"); err != nil {
		t.Skip(err)
	}
	out := t.TempDir()
	res, err := Run(t.Context(), Options{Kernel: kernel, Modules: os.Getenv("IOMAPLAB_VM_MODULES"), Load: []string{"xfs"}, Out: out,
		Command: `grep -qw xfs /proc/filesystems && test -e /dev/loop-control && uname -r > "$IOMAPLAB_VM_OUT/uname"; exit 5`,
		Memory:  1024, CPUs: 1, Timeout: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if res.Exit != 5 || res.Release == "" {
		t.Errorf("got %+v, want exit 5 and a release", res)
	}
	uname, err := os.ReadFile(filepath.Join(out, "uname"))
	if err != nil || strings.TrimSpace(string(uname)) != res.Release {
		t.Errorf("the guest's uname -r: %q, %v (release %q): no xfs or loop in the guest?", uname, err, res.Release)
	}
	console, _ := os.ReadFile(filepath.Join(out, consoleFile))
	if !strings.Contains(string(console), "iomaplab-vm: the command exited 5") {
		t.Errorf("console.log lacks the command's status:\n%s", console)
	}
	t.Logf("booted %s in %v", res.Release, res.Elapsed)
}
