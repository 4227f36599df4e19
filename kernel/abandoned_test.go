package kernel

import (
	"os"
	"strings"
	"syscall"
	"testing"
)

// SIGKILL cannot be caught: a run killed while its writer is parked leaves
// its mount, loop device, tracefs instance and workspace behind. The next
// run's ReclaimAbandoned must remove all of it.
func TestReclaimAfterSIGKILL(t *testing.T) {
	c := startParkedChild(t, "block")
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c.wait(t)
	if len(mountsUnder(c.tmp)) == 0 {
		t.Fatal("the killed child left no mount: the test did not set up what it tests")
	}
	lines, err := ReclaimAbandoned(c.tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "unmounted") || !strings.Contains(lines[0], "tracefs instance") {
		t.Errorf("reclaim reported %q; want one workspace with its mount and tracefs instance", lines)
	}
	t.Logf("%s", strings.Join(lines, "\n"))
	c.checkNothingLeft(t)
}

// A live owner's workspace, and a directory without an owner file, are
// never touched.
func TestReclaimLeavesLiveAndUnownedWorkspaces(t *testing.T) {
	tmp := t.TempDir()
	live, unowned := tmp+"/"+workspacePrefix+"live", tmp+"/"+workspacePrefix+"unowned"
	for _, d := range []string{live, unowned} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeOwner(live); err != nil {
		t.Fatal(err)
	}
	lines, err := ReclaimAbandoned(tmp)
	if err != nil || len(lines) != 0 {
		t.Fatalf("reclaimed %q, %v; want nothing", lines, err)
	}
	for _, d := range []string{live, unowned} {
		if !exists(d) {
			t.Errorf("%s was removed", d)
		}
	}
}

// A dead owner (a PID that no longer exists, or was reused: another start
// time) makes the workspace abandoned; its image and mount point go, an
// unknown file is left alone and reported.
func TestReclaimDeadOwner(t *testing.T) {
	tmp := t.TempDir()
	dir := tmp + "/" + workspacePrefix + "dead"
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir+"/mnt-xfs", 0o700); err != nil {
		t.Fatal(err)
	}
	write(t, dir+"/xfs.img", "")
	start, err := processStart(1)
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir+"/"+ownerFile, "1 "+start+"0\n") // pid 1, another start time
	write(t, dir+"/notes.txt", "someone else's")
	if _, err := ReclaimAbandoned(tmp); err == nil || !strings.Contains(err.Error(), "notes.txt") {
		t.Fatalf("reclaim over an unknown file: %v; want it reported", err)
	}
	if !exists(dir+"/notes.txt") || !exists(dir+"/"+ownerFile) {
		t.Fatal("the unknown file or the owner file was removed")
	}
	if err := os.Remove(dir + "/notes.txt"); err != nil {
		t.Fatal(err)
	}
	lines, err := ReclaimAbandoned(tmp)
	if err != nil || len(lines) != 1 || !strings.Contains(lines[0], "removed xfs.img") {
		t.Fatalf("reclaimed %q, %v", lines, err)
	}
	if exists(dir) {
		t.Errorf("%s still exists", dir)
	}
}

func TestUnescapeMountinfo(t *testing.T) {
	if got := unescapeMountinfo(`/tmp/a\040b\134c`); got != `/tmp/a b\c` {
		t.Errorf("got %q", got)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
