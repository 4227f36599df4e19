package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Bad input to `iomaplab kernel` exits 2 with a file:line:col message before
// anything is created (the checks run before the environment check, so
// this holds without root too).
func TestKernelBadInputExits2(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	bad := filepath.Join(dir, "bad.scn")
	os.WriteFile(bad, []byte("scenario bad\nfs xfs\nthread w: pwrite f 0 4k stall-at=8k\n"), 0o600)
	blocks := filepath.Join(dir, "blocks.scn")
	os.WriteFile(blocks, []byte("scenario blocks\nfs xfs\n"+
		"thread writer: pwrite f 0 64k stall-at=32k\n"+
		"thread syncer: await writer.stalled ; fsync f ; release writer\n"+
		"kernel fs xfs,btrfs\n"), 0o600)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{bad}, bad + ":3:"},
		{[]string{"--fs", "btrfs", blocks}, blocks + ":4:39: on btrfs, fsync f would block while writer is parked in its pwrite (line 3)"},
		{[]string{"writeback-stale-punch"}, "cannot run on a real kernel"},
		{[]string{"no-such-scenario"}, "no scenario \"no-such-scenario\""},
		{[]string{"--fs", "zfs"}, "unknown filesystem \"zfs\""},
		{[]string{"--runs", "0"}, "1..100000"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		if code := run(append([]string{"kernel"}, c.args...), &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d, want %d; stderr %s", c.args, code, exitUsage, errb.String())
		}
		if !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: stderr %q lacks %q", c.args, errb.String(), c.want)
		}
		if out.Len() != 0 {
			t.Errorf("%v: stdout not empty: %s", c.args, out.String())
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("something was created: %v", ents)
	}
}

func TestKernelList(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"kernel", "--list"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"write-stale-unwritten ", "write-stale-delalloc-big ", "control-no-action ", "writeback-stale-punch "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--list lacks %q:\n%s", want, out.String())
		}
	}
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(l, "writeback-stale-punch ") && !strings.Contains(l, " skip ") {
			t.Errorf("writeback-stale-punch not marked skip: %s", l)
		}
	}
}

// A panic inside a parked window (iomaplab's own bug, injected with the
// test hook) ends `iomaplab kernel` with exit 3, not 1 (reserved for
// violations), after everything it created was removed: no mount and no
// loop device left under its temp dir. Root and mkfs.xfs only.
func TestKernelPanicExits3Clean(t *testing.T) {
	if os.Getenv("IOMAPLAB_CLI_KERNEL_PANIC_CHILD") != "" {
		os.Exit(run([]string{"kernel", "write-stale-unwritten", "--fs", "xfs", "--runs", "1", "--quiet"}, io.Discard, os.Stderr))
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := exec.LookPath("mkfs.xfs"); err != nil {
		t.Skip("needs mkfs.xfs")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKernelPanicExits3Clean$")
	cmd.Env = append(os.Environ(), "IOMAPLAB_CLI_KERNEL_PANIC_CHILD=1", "TMPDIR="+dir,
		"IOMAPLAB_KERNEL_TEST_ON_PARKED=panic", "IOMAPLAB_KERNEL_REGISTRY="+filepath.Join(dir, "registry"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitEnv || !strings.Contains(stderr.String(), "panic in") {
		t.Fatalf("after a panic in the window: %v, stderr %q; want exit 3 naming the panic", err, stderr.String())
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), dir) {
		t.Errorf("a mount under %s is left:\n%s", dir, mounts)
	}
	loops, _ := exec.Command("losetup", "-a").Output()
	if strings.Contains(string(loops), dir) {
		t.Errorf("a loop device on an image under %s is left:\n%s", dir, loops)
	}
}
