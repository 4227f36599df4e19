package kernel

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"iomaplab/scenario"
)

// scenarioRuns is the runs per cell of the real scenario tests: def, or 1
// under -short or -race (IOMAPLAB_KERNEL_RUNS overrides both), so that
// `go test -race ./kernel` stays well inside Go's 10-minute default timeout
// on a loaded two-core machine.
func scenarioRuns(t *testing.T, def int) int {
	if s := os.Getenv("IOMAPLAB_KERNEL_RUNS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("IOMAPLAB_KERNEL_RUNS=%q", s)
		}
		return n
	}
	if short() {
		return 1
	}
	return def
}

func loadScenarios(t *testing.T, names ...string) []*scenario.Scenario {
	t.Helper()
	var out []*scenario.Scenario
	for _, n := range names {
		sc, err := LoadScenario(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sc)
	}
	return out
}

func runScenarioCells(t *testing.T, cfg ScenarioConfig) *Report {
	t.Helper()
	tmp := privateTmp(t)
	start := time.Now()
	rep, err := RunScenarios(quietSupervisor(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	var sb strings.Builder
	rep.WriteTable(&sb)
	runs := 0
	for _, c := range rep.Cells {
		runs += c.Runs
	}
	t.Logf("\n%s\n%d runs in %v: %.1f runs/s", sb.String(), runs, el.Round(time.Millisecond), float64(runs)/el.Seconds())
	for _, l := range leftoversUnder(t, tmp, os.Getpid()) {
		t.Errorf("left behind: %s", l)
	}
	return rep
}

// The catalogue's directed XFS scenarios run from their .scn files: stale
// evidence (xfs_iomap_invalid in the parked writer's thread) in every run,
// every run parked and verified; the control never goes stale.
func TestRealScenarioFilesOnXFS(t *testing.T) {
	requireEnv(t, "xfs")
	scs := loadScenarios(t, "write-stale-unwritten", "write-stale-delalloc", "write-stale-mkwrite-hole", "control-overwrite-written")
	cells, err := PlanScenarios(scs, []string{"xfs"}, false)
	if err != nil {
		t.Fatal(err)
	}
	runs := scenarioRuns(t, 4)
	rep := runScenarioCells(t, ScenarioConfig{Cells: cells, Runs: runs, MinRate: 1})
	if len(rep.Cells) != len(scs) {
		t.Fatalf("%d cells, want %d", len(rep.Cells), len(scs))
	}
	for _, c := range rep.Cells {
		// The extents shown are the written file's, before its write and
		// after the fsync: preallocation converted by the write.
		if c.Scenario == "write-stale-unwritten" && (c.ExtentsBefore != "0+40k:unwritten" || c.ExtentsAfter != "0+40k:written") {
			t.Errorf("%s: extents %q before, %q after", c.Scenario, c.ExtentsBefore, c.ExtentsAfter)
		}
		if c.Evidence == nil {
			t.Errorf("%s: no evidence column on xfs (is xfs_iomap_invalid missing?)", c.Scenario)
			continue
		}
		want := runs
		if !c.Stale {
			want = 0
		}
		if c.Evidence.Hits != want || c.Parked != runs || c.DataVerified != runs || !c.OK {
			t.Errorf("%s: evidence %d/%d (want %d), parked %d, verified %d, violations %v",
				c.Scenario, c.Evidence.Hits, c.Runs, want, c.Parked, c.DataVerified, c.Violations)
		}
	}
}

// ext4 and btrfs get the same windows as data-integrity and locking checks:
// evidence n/a (never a pass), every run parked and verified; a free race
// (exploratory, and a directed scenario run undirected) runs unjudged.
func TestRealScenarioFilesOnExt4AndBtrfsAndFreeRaces(t *testing.T) {
	requireEnv(t, "xfs", "ext4", "btrfs")
	scs := loadScenarios(t, "control-read-in-window", "write-stale-hole-mid", "explore-write-mkwrite-writeback")
	cells, err := PlanScenarios(scs, []string{"ext4", "btrfs"}, false)
	if err != nil {
		t.Fatal(err)
	}
	free, err := PlanScenarios(loadScenarios(t, "write-stale-mkwrite-hole"), []string{"xfs"}, true)
	if err != nil {
		t.Fatal(err)
	}
	runs := scenarioRuns(t, 2)
	rep := runScenarioCells(t, ScenarioConfig{Cells: append(cells, free...), Runs: runs})
	if len(rep.Cells) != 7 {
		t.Fatalf("%d cells, want 7", len(rep.Cells))
	}
	for _, c := range rep.Cells {
		wantParked := runs
		if c.Mode == "free race" {
			wantParked = 0
		}
		if !c.OK || c.Parked != wantParked || c.DataVerified != runs {
			t.Errorf("%s on %s (%s): parked %d, verified %d, violations %v", c.Scenario, c.FS, c.Mode, c.Parked, c.DataVerified, c.Violations)
		}
		switch {
		case c.FS != "xfs" && c.Evidence != nil:
			t.Errorf("%s on %s: evidence %+v, want n/a", c.Scenario, c.FS, c.Evidence)
		case c.FS == "xfs" && (c.Evidence == nil || c.Evidence.Expect != "none"):
			t.Errorf("undirected %s: evidence %+v, want reported as none", c.Scenario, c.Evidence)
		}
	}
}

// A fault nobody releases in time is resolved by the watchdog, the run
// still ends (the lab thread goes too) and the cell reports it.
func TestRealScenarioWatchdogIsAViolation(t *testing.T) {
	requireEnv(t, "xfs")
	cells, err := PlanScenarios(loadScenarios(t, "write-stale-delalloc"), []string{"xfs"}, false)
	if err != nil {
		t.Fatal(err)
	}
	rep := runScenarioCells(t, ScenarioConfig{Cells: cells, Runs: 1, Watchdog: time.Nanosecond})
	c := rep.Cells[0]
	if c.OK || !strings.Contains(strings.Join(c.Violations, "\n"), "watchdog: the uffd watchdog resolved 1 parked write") {
		t.Errorf("violations %v", c.Violations)
	}
	if c.DataVerified != 1 {
		t.Errorf("data verified %d: the write must still complete with its bytes", c.DataVerified)
	}
}

// Why the plan rejects fsync inside a window on btrfs, and what happens if
// one gets through: btrfs_sync_file waits for the inode lock the parked
// writer holds, so the release never comes; the uffd watchdog resolves the
// fault, the writer's lab thread is released with it, the run ends and the
// cell reports the watchdog.
func TestRealScenarioBlockedWindowIsResolvedByWatchdog(t *testing.T) {
	requireEnv(t, "btrfs")
	sc, err := scenario.Parse("blocked.scn", []byte("scenario blocked\nfs xfs\nsetup truncate f 1M\n"+
		"thread writer: pwrite f 0 64k stall-at=32k\n"+
		"thread syncer: await writer.stalled ; fsync f ; release writer\n"+
		"expect data\nkernel fs btrfs\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PlanScenarios([]*scenario.Scenario{sc}, []string{"btrfs"}, false); err == nil {
		t.Fatal("the plan accepted fsync in a window on btrfs")
	}
	cells := []ScenarioCell{{sc, "btrfs"}} // bypass the plan on purpose
	rep := runScenarioCells(t, ScenarioConfig{Cells: cells, Runs: 1, Watchdog: 300 * time.Millisecond})
	c := rep.Cells[0]
	if c.OK || c.Parked != 1 || c.DataVerified != 1 || !strings.Contains(strings.Join(c.Violations, "\n"), "watchdog: the uffd watchdog resolved 1 parked write") {
		t.Errorf("parked %d, verified %d, violations %v", c.Parked, c.DataVerified, c.Violations)
	}
}

// Every kernel-only scenario (scenarios/*.scn: the mid and big geometries
// and the controls) on every filesystem its 'kernel fs' line names, one
// filesystem per subtest (each its own scratch filesystem, supervisor and
// cleanup): every expectation holds (stale evidence on XFS in every run,
// never for a control; n/a elsewhere), nothing left behind. Under -short or
// -race, one run per cell, and ext4 and btrfs skip the big geometry: with
// no evidence there, it runs the same window as the mid one over more
// bytes.
func TestRealKernelScenarios(t *testing.T) {
	scs, err := KernelScenarios()
	if err != nil {
		t.Fatal(err)
	}
	for _, fstype := range []string{"xfs", "ext4", "btrfs"} {
		t.Run(fstype, func(t *testing.T) {
			requireEnv(t, fstype)
			cells, err := PlanScenarios(scs, []string{fstype}, false)
			if err != nil {
				t.Fatal(err)
			}
			if short() && fstype != "xfs" {
				cells = slices.DeleteFunc(cells, func(c ScenarioCell) bool { return strings.HasSuffix(c.Scenario.Name, "-big") })
			}
			rep := runScenarioCells(t, ScenarioConfig{Cells: cells, Runs: scenarioRuns(t, 2), MinRate: 1})
			if len(rep.Cells) != len(cells) {
				t.Fatalf("%d cells, want %d", len(rep.Cells), len(cells))
			}
			for _, c := range rep.Cells {
				if !c.OK {
					t.Errorf("%s on %s: %v %v", c.Scenario, c.FS, c.Violations, c.WindowMisses)
				}
				if (c.FS == "xfs") != (c.Evidence != nil) {
					t.Errorf("%s on %s: evidence %+v (want it on xfs only)", c.Scenario, c.FS, c.Evidence)
				}
			}
		})
	}
}

// The extents a cell shows are those of the file the first scenario-thread
// pwrite writes, before and after, even when setup opened another first.
func TestRealScenarioExtentsFollowTheWrittenFile(t *testing.T) {
	requireEnv(t, "xfs")
	sc := parseScn(t, "scenario extents\nfs xfs\nsetup truncate g 4k ; truncate f 1M\n"+
		"thread writer: pwrite f 0 64k stall-at=32k\nthread other: await writer.stalled ; release writer\n"+
		"expect data ; fsck\nkernel fs xfs\n")
	cells, err := PlanScenarios([]*scenario.Scenario{sc}, []string{"xfs"}, false)
	if err != nil {
		t.Fatal(err)
	}
	c := runScenarioCells(t, ScenarioConfig{Cells: cells, Runs: 1}).Cells[0]
	if !c.OK || c.ExtentsBefore != "(no extents)" || c.ExtentsAfter != "0+64k:written" {
		t.Errorf("extents %q before, %q after; violations %v", c.ExtentsBefore, c.ExtentsAfter, c.Violations)
	}
}
