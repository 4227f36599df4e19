package tracefs

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("IOMAPLAB_KERNEL_REQUIRED") == "1" {
			t.Fatal("tracefs instances need root (IOMAPLAB_KERNEL_REQUIRED=1)")
		}
		t.Skip("tracefs instances need root")
	}
}

// The reaper removes the instance (and the private tracefs mount) when its
// owner goes away without Close: here the owner's end of the pipe closes
// without "done", as it does when the owner process dies.
func TestReaperRemovesInstanceOfADeadOwner(t *testing.T) {
	requireRoot(t)
	priv := t.TempDir()
	in, err := Create(fmt.Sprintf("iomaplab-test-reaper-%d", os.Getpid()), priv)
	if err != nil {
		t.Fatal(err)
	}
	dir := in.Dir()
	if err := in.RemoveOnExit(); err != nil {
		in.Close()
		t.Fatal(err)
	}
	if in.ReaperPID() == 0 {
		t.Fatal("no reaper PID")
	}
	if err := in.stopReaper(false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the reaper left instance %s (stat: %v)", dir, err)
	}
	if _, err := os.Stat(filepath.Join(priv, "instances")); err == nil {
		t.Errorf("the reaper left the private tracefs mount at %s", priv)
	}
	in.mountedAt = "" // the reaper unmounted it
	in.dir = ""
}

// On a clean Close the reaper is told "done" and touches nothing: the
// instance is removed once, by Close.
func TestReaperLeavesACleanClose(t *testing.T) {
	requireRoot(t)
	priv := t.TempDir()
	in, err := Create(fmt.Sprintf("iomaplab-test-reaper-clean-%d", os.Getpid()), priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.RemoveOnExit(); err != nil {
		in.Close()
		t.Fatal(err)
	}
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	if in.reaper != nil {
		t.Error("Close did not wait for the reaper")
	}
}
