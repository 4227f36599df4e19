package tracefs

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestInstanceLifecycle(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("IOMAPLAB_KERNEL_REQUIRED") == "1" {
			t.Fatal("tracefs instances need root (IOMAPLAB_KERNEL_REQUIRED=1)")
		}
		t.Skip("tracefs instances need root")
	}
	priv := t.TempDir()
	in, err := Create(fmt.Sprintf("iomaplab-test-%d", os.Getpid()), priv)
	if err != nil {
		t.Fatal(err)
	}
	dir := in.Dir()
	if !in.Has("sched/sched_process_exit") {
		in.Close()
		t.Skip("no sched events in this kernel")
	}
	if in.Has("nosuch/event") {
		t.Error("Has reports a missing event")
	}
	if err := in.Enable("sched/sched_process_exit"); err != nil {
		t.Fatal(err)
	}
	if err := in.Filter("sched/sched_process_exit", "pid == 1"); err != nil {
		t.Fatal(err)
	}
	if err := in.Mark("hello marker"); err != nil {
		t.Fatal(err)
	}
	evs, err := in.Read()
	if err != nil {
		t.Fatal(err)
	}
	if n := Count(evs, "tracing_mark_write", os.Getpid()); n != 0 && n != 1 {
		t.Errorf("marker count %d", n)
	}
	found := false
	for _, e := range evs {
		if e.Name == "tracing_mark_write" && e.Fields == "hello marker" {
			found = true
		}
	}
	if !found {
		t.Errorf("marker not read back: %+v", evs)
	}
	if err := in.Clear(); err != nil {
		t.Fatal(err)
	}
	if evs, _ := in.Read(); len(evs) != 0 {
		t.Errorf("buffer not cleared: %d events", len(evs))
	}
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	if err := in.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("instance %s still exists", dir)
	}
	if _, err := os.Stat(filepath.Join(priv, "instances")); err == nil {
		t.Errorf("private tracefs mount at %s left behind", priv)
	}
}
