package kernel

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// SIGKILL cannot be caught: a run killed while its writer is parked leaves
// its scratch mount, loop device and workspace behind, at any depth under
// its TMPDIR. Its tracefs reaper removes the tracing instance (and the
// private tracefs mount) as soon as the run is dead; the next run's
// ReclaimAbandoned, finding the workspace through the registry, removes
// the rest.
func TestReclaimAfterSIGKILL(t *testing.T) {
	c := startParkedChild(t, "block")
	reaper := reaperOf(t, c.cmd.Process.Pid)
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c.wait(t)
	waitExit(t, reaper)
	mounts := mountsUnder(c.tmp)
	if len(mounts) == 0 {
		t.Fatal("the killed child left no mount: the test did not set up what it tests")
	}
	for _, m := range mounts {
		if filepath.Base(m) == "tracefs" {
			t.Errorf("the reaper left the private tracefs mount %s (tracing goes on)", m)
		}
	}
	lines, err := ReclaimAbandoned(c.registry)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "unmounted") || strings.Contains(lines[0], "tracefs instance") {
		t.Errorf("reclaim reported %q; want one workspace with its mount, the tracefs instance already gone", lines)
	}
	t.Logf("%s", strings.Join(lines, "\n"))
	c.checkNothingLeft(t)
}

// privateRegistry points the workspace registry at a directory of this
// test, so reclaim sees only the workspaces the test made.
func privateRegistry(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv(RegistryEnv, dir)
	return dir
}

// fakeWorkspace makes a workspace directory at depth three under a temp dir
// and registers it, owned by this process, or by owner when it is not "".
func fakeWorkspace(t *testing.T, registry, name, owner string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "a", "b", workspacePrefix+name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := writeOwner(dir); err != nil {
		t.Fatal(err)
	}
	if owner != "" {
		write(t, filepath.Join(dir, ownerFile), owner)
	}
	if _, err := register(registry, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A live owner's workspace, an unregistered one and a marker whose
// workspace has another owner file are never touched.
func TestReclaimLeavesLiveUnregisteredAndMismatchedWorkspaces(t *testing.T) {
	registry := privateRegistry(t)
	live := fakeWorkspace(t, registry, "live", "")
	unregistered := filepath.Join(t.TempDir(), workspacePrefix+"unregistered")
	if err := os.Mkdir(unregistered, 0o700); err != nil {
		t.Fatal(err)
	}
	start, err := processStart(1)
	if err != nil {
		t.Fatal(err)
	}
	mismatched := fakeWorkspace(t, registry, "mismatched", "1 "+start+"0\n") // dead owner
	write(t, filepath.Join(mismatched, ownerFile), "2 "+start+"0\n")         // but not the marker's
	lines, err := ReclaimAbandoned(registry)
	if len(lines) != 0 || err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("reclaimed %q, %v; want nothing and the mismatch reported", lines, err)
	}
	for _, d := range []string{live, unregistered, mismatched} {
		if !exists(d) {
			t.Errorf("%s was removed", d)
		}
	}
}

// A dead owner (a PID that no longer exists, or was reused: another start
// time) makes the workspace abandoned, at any depth: its image and mount
// point go, an unknown file is left alone and reported (marker kept, so a
// later run retries); once it is gone the workspace and its marker go.
func TestReclaimDeadOwner(t *testing.T) {
	registry := privateRegistry(t)
	start, err := processStart(1)
	if err != nil {
		t.Fatal(err)
	}
	dir := fakeWorkspace(t, registry, "dead", "1 "+start+"0\n") // pid 1, another start time
	if err := os.Mkdir(dir+"/mnt-xfs", 0o700); err != nil {
		t.Fatal(err)
	}
	write(t, dir+"/xfs.img", "")
	write(t, dir+"/notes.txt", "someone else's")
	if _, err := ReclaimAbandoned(registry); err == nil || !strings.Contains(err.Error(), "notes.txt") {
		t.Fatalf("reclaim over an unknown file: %v; want it reported", err)
	}
	if !exists(dir+"/notes.txt") || !exists(dir+"/"+ownerFile) {
		t.Fatal("the unknown file or the owner file was removed")
	}
	if err := os.Remove(dir + "/notes.txt"); err != nil {
		t.Fatal(err)
	}
	lines, err := ReclaimAbandoned(registry)
	if err != nil || len(lines) != 1 || !strings.Contains(lines[0], "removed xfs.img") {
		t.Fatalf("reclaimed %q, %v", lines, err)
	}
	if exists(dir) {
		t.Errorf("%s still exists", dir)
	}
	if ents, _ := os.ReadDir(registry); len(ents) != 0 {
		t.Errorf("registry still holds %v", ents)
	}
}

// A marker whose workspace is gone (removed by hand) is forgotten.
func TestReclaimForgetsRemovedWorkspace(t *testing.T) {
	registry := privateRegistry(t)
	start, err := processStart(1)
	if err != nil {
		t.Fatal(err)
	}
	dir := fakeWorkspace(t, registry, "gone", "1 "+start+"0\n")
	for _, p := range []string{filepath.Join(dir, ownerFile), dir} {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	lines, err := ReclaimAbandoned(registry)
	if err != nil || len(lines) != 1 || !strings.Contains(lines[0], "already removed") {
		t.Fatalf("reclaimed %q, %v", lines, err)
	}
	if ents, _ := os.ReadDir(registry); len(ents) != 0 {
		t.Errorf("registry still holds %v", ents)
	}
}

// reaperOf finds the tracefs reaper among pid's children, opened as a
// pidfd so its exit can be awaited after pid is killed.
func reaperOf(t *testing.T, pid int) int {
	t.Helper()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		b, err := os.ReadFile(st)
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		f := strings.Fields(s[i+1:])
		if len(f) < 2 || f[1] != strconv.Itoa(pid) {
			continue
		}
		child, _ := strconv.Atoi(filepath.Base(filepath.Dir(st)))
		if cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", child)); strings.Contains(string(cmd), "iomaplab-tracefs-reaper") {
			fd, err := unix.PidfdOpen(child, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Close(fd) })
			return fd
		}
	}
	t.Fatalf("pid %d has no tracefs reaper child", pid)
	return -1
}

// waitExit waits (poll on the pidfd, bounded) until the process exits.
func waitExit(t *testing.T, pidfd int) {
	t.Helper()
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 60_000)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			t.Fatalf("reaper did not exit: %v", err)
		}
		return
	}
}

func TestUnescapeMountinfo(t *testing.T) {
	if got := unescapeMountinfo(`/tmp/a\040b\134c`); got != `/tmp/a b\c` {
		t.Errorf("got %q", got)
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
