package kernel

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A watchdog <= 0 (or past MaxWatchdog), negative runs and a rate outside
// 0..1 are bad input, refused before anything is created.
func TestRunScenariosRejectsOutOfRangeValues(t *testing.T) {
	for _, cfg := range []ScenarioConfig{
		{Watchdog: -5 * time.Second},
		{Watchdog: MaxWatchdog + 1},
		{Runs: -1},
		{Runs: MaxRuns + 1},
		{MinRate: 1.5},
	} {
		_, err := RunScenarios(quietSupervisor(t), cfg)
		var bad interface{ BadInput() bool }
		if !errors.As(err, &bad) || !bad.BadInput() {
			t.Errorf("%+v: %v, want a BadInput error", cfg, err)
		}
	}
	for _, d := range []time.Duration{0, -time.Second, MaxWatchdog + 1} {
		if err := CheckWatchdog(d); err == nil || !strings.Contains(err.Error(), "want more than 0") {
			t.Errorf("CheckWatchdog(%v) = %v", d, err)
		}
	}
	for _, d := range []time.Duration{time.Nanosecond, 10 * time.Second, MaxWatchdog} {
		if err := CheckWatchdog(d); err != nil {
			t.Errorf("CheckWatchdog(%v) = %v", d, err)
		}
	}
}

// mkfs on a loop image whose host filesystem is full is an environment
// error (exit 3), not a violation: here TMPDIR is a 1 MiB tmpfs.
func TestMkfsOnAFullHostIsAnEnvironmentError(t *testing.T) {
	requireEnv(t, "xfs")
	privateTmp(t)
	tiny := filepath.Join(os.TempDir(), "full")
	if err := os.Mkdir(tiny, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", tiny, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(tiny, 0); err != nil {
			t.Error(err)
		}
	})
	t.Setenv("TMPDIR", tiny)
	sup := quietSupervisor(t)
	ws, err := NewWorkspace(sup)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ws.NewScratch("xfs")
	if cerr := sup.Cleanup(); cerr != nil {
		t.Error(cerr)
	}
	var env interface{ Environment() bool }
	if !errors.As(err, &env) || !env.Environment() || !strings.Contains(err.Error(), "bytes free") {
		t.Fatalf("mkfs on a full host: %v, want an Environment error naming the free space", err)
	}
	t.Log(err)
	for _, l := range leftoversUnder(t, tiny+"/", os.Getpid()) {
		t.Errorf("left behind: %s", l)
	}
	if ents, _ := os.ReadDir(tiny); len(ents) != 0 {
		t.Errorf("left in the full tmpfs: %v", ents)
	}
}
