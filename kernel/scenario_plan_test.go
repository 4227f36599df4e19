package kernel

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"iomaplab/kernel/tracefs"
	"iomaplab/scenario"
)

func parseScn(t *testing.T, src string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("t.scn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// Every default scenario plans on every filesystem it names: the catalogue's
// kernel lines and the kernel-only files agree with the measured table.
func TestDefaultScenariosPlan(t *testing.T) {
	scs, err := DefaultScenarios()
	if err != nil {
		t.Fatal(err)
	}
	cells, err := PlanScenarios(scs, []string{"xfs", "ext4", "btrfs"}, false)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cells {
		names = append(names, c.Scenario.Name+"/"+c.FS)
	}
	for _, want := range []string{"write-stale-unwritten/xfs", "write-stale-delalloc/xfs", "write-stale-mkwrite-hole/xfs",
		"control-overwrite-written/btrfs", "write-stale-hole-mid/ext4", "write-stale-delalloc-big/btrfs"} {
		if !slices.Contains(names, want) {
			t.Errorf("plan lacks %s", want)
		}
	}
	for _, bad := range []string{"write-stale-unwritten-mid/btrfs", "control-read-in-window/xfs", "writeback-stale-punch/xfs"} {
		if slices.Contains(names, bad) {
			t.Errorf("plan has %s", bad)
		}
	}
	for i := 1; i < len(cells); i++ {
		if cells[i].FS != cells[i-1].FS && slices.ContainsFunc(cells[:i-1], func(c ScenarioCell) bool { return c.FS == cells[i].FS }) {
			t.Fatalf("cells not grouped by filesystem: %v", names)
		}
	}
	extra, _ := KernelScenarios()
	if len(extra) < 10 {
		t.Errorf("%d kernel-only scenarios, want the mid/big variants and controls", len(extra))
	}
}

// A window op that blocks behind the parked writer on a filesystem is
// rejected with the op's file:line:col, naming the filesystem and the lock.
func TestPlanRejectsBlockingWindowOpsInScenarios(t *testing.T) {
	cases := []struct {
		window  string
		fs      string
		wantErr string // "" = accepted
	}{
		{"fsync f", "btrfs", "btrfs_sync_file takes the inode lock"},
		{"fsync f", "xfs", ""},
		{"fsync f", "ext4", ""},
		{"pread f 1M 4k", "xfs", "XFS buffered reads take IOLOCK_SHARED"},
		{"pread f 1M 4k", "ext4", ""},
		{"sync-range f 0 2M ; fadvise-dontneed f 0 2M ; reclaim f 1M 4k ; drop-caches", "btrfs", ""},
		{"map-store f 1M 4k ; map-load f 1M 4k", "xfs", ""},
	}
	for _, c := range cases {
		line := "thread other:  await writer.stalled ; " + c.window + " ; release writer"
		col := strings.Index(line, c.window) + 1
		// fs ext4: the parser's model lock table lets pread into the window.
		src := "scenario t\nfs ext4\nsetup truncate f 2M\n" +
			"thread writer: pwrite f 0 64k stall-at=32k\n" + line + "\n" +
			"kernel fs xfs,ext4,btrfs\n"
		sc := parseScn(t, src)
		_, err := PlanScenarios([]*scenario.Scenario{sc}, []string{c.fs}, false)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%q on %s rejected: %v", c.window, c.fs, err)
		case c.wantErr != "" && err == nil:
			t.Errorf("%q on %s accepted, want rejection", c.window, c.fs)
		case c.wantErr != "" && !strings.Contains(err.Error(), c.wantErr):
			t.Errorf("%q on %s: message %q lacks %q", c.window, c.fs, err, c.wantErr)
		case err != nil && !strings.HasPrefix(err.Error(), "t.scn:5:"+strconv.Itoa(col)+": on "+c.fs+", "):
			t.Errorf("message does not start with file:line:col and the fs: %q", err)
		}
	}
}

// An op that runs before the release, in the releasing thread before its
// await or in a thread the releaser awaits (.done), may overlap the park
// too: on btrfs an fsync there would hold the release back forever.
func TestPlanWindowIncludesAwaitedThreads(t *testing.T) {
	for _, src := range []string{
		"scenario t\nfs xfs\n" +
			"thread writer: pwrite f 0 64k stall-at=32k\n" +
			"thread syncer: fsync f\n" +
			"thread other:  await writer.stalled ; await syncer.done ; release writer\n",
		"scenario t\nfs xfs\n" +
			"thread writer: pwrite f 0 64k stall-at=32k\n" +
			"thread other:  fsync f ; await writer.stalled ; release writer\n",
	} {
		sc := parseScn(t, src+"kernel fs xfs,btrfs\n")
		if _, err := PlanScenarios([]*scenario.Scenario{sc}, []string{"xfs"}, false); err != nil {
			t.Errorf("xfs rejected: %v", err)
		}
		_, err := PlanScenarios([]*scenario.Scenario{sc}, []string{"btrfs"}, false)
		if err == nil || !strings.Contains(err.Error(), "fsync f would block while writer is parked") {
			t.Errorf("btrfs: %v", err)
		}
	}
	// A thread nobody awaits before the release only waits for the writer.
	sc := parseScn(t, "scenario t\nfs xfs\n"+
		"thread writer: pwrite f 0 64k stall-at=32k\n"+
		"thread syncer: fsync f\n"+
		"thread other:  await writer.stalled ; release writer\n"+
		"kernel fs btrfs\n")
	if _, err := PlanScenarios([]*scenario.Scenario{sc}, []string{"btrfs"}, false); err != nil {
		t.Errorf("unawaited fsync rejected: %v", err)
	}
}

func TestPlanRejectsSkipAndInject(t *testing.T) {
	sc, err := LoadScenario("writeback-stale-punch")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PlanScenarios([]*scenario.Scenario{sc}, []string{"xfs"}, false); err == nil || !strings.Contains(err.Error(), "cannot run on a real kernel: writeback never touches user memory") {
		t.Errorf("kernel skip: %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "inj.scn")
	src := "scenario inj\nfs xfs\n\n  inject iomap.write.after_begin delay=3\nthread w: pwrite f 0 4k\n"
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	sc, err = LoadScenario(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = PlanScenarios([]*scenario.Scenario{sc}, []string{"xfs"}, false)
	if err == nil || !strings.HasPrefix(err.Error(), path+":4:3: scenario inj injects at engine points") {
		t.Errorf("inject: %v", err)
	}
	if _, err := PlanScenarios([]*scenario.Scenario{parseScn(t, "scenario t\nfs xfs\nthread w: pwrite f 0 4k\n")}, []string{"btrfs"}, false); err == nil ||
		!strings.Contains(err.Error(), "no scenario is meant for btrfs") {
		t.Errorf("empty plan: %v", err)
	}
}

func TestLoadScenarioResolvesNamesAndPaths(t *testing.T) {
	for _, name := range []string{"write-stale-unwritten", "write-stale-delalloc-big"} {
		if sc, err := LoadScenario(name); err != nil || sc.Name != name {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := LoadScenario("no-such-scenario"); err == nil || !strings.Contains(err.Error(), "--list") {
		t.Errorf("unknown name: %v", err)
	}
	path := filepath.Join(t.TempDir(), "bad.scn")
	os.WriteFile(path, []byte("scenario bad\nfs zfs\n"), 0o600)
	if _, err := LoadScenario(path); err == nil || !strings.HasPrefix(err.Error(), path+":2:4:") {
		t.Errorf("bad file: %v", err)
	}
}

func TestUndirectedDropsStallsAndWindows(t *testing.T) {
	sc, _ := LoadScenario("write-stale-mkwrite-unwritten")
	u := Undirected(sc)
	if u.Directed || !sc.Directed {
		t.Fatal("Directed flags")
	}
	for _, th := range u.Threads {
		for _, op := range th.Ops {
			if op.Kind == scenario.OpAwait || op.Kind == scenario.OpRelease || op.StallAt >= 0 {
				t.Errorf("%s still has %s", th.Name, op.Describe())
			}
		}
	}
	if got := len(u.Threads[1].Ops); got != 2 {
		t.Errorf("mapper has %d ops, want map-store and fsync", got)
	}
	if sc.Threads[0].Ops[0].StallAt < 0 {
		t.Error("the original scenario was changed")
	}
}

// Evidence counts only events of a writer's OS thread between its markers,
// and only the parked writers' when the run had one.
func TestCountEvidence(t *testing.T) {
	mark := func(pid int, msg string) tracefs.Event {
		return tracefs.Event{PID: pid, Name: "tracing_mark_write", Fields: msg}
	}
	ev := func(pid int, name string) tracefs.Event { return tracefs.Event{PID: pid, Name: name} }
	evs := []tracefs.Event{
		ev(7, evInvalid), // before its write began: another goroutine on that thread
		mark(7, markBegin+" tid=7 stall=true"),
		ev(7, evIter), ev(9, evInvalid), ev(7, evInvalid),
		mark(9, markBegin+" tid=9 stall=false"),
		ev(9, evInvalid), ev(3, evWBInvalid),
		mark(7, markEnd+" tid=7"),
		ev(7, evInvalid),
		mark(9, markEnd+" tid=9"),
	}
	st := countEvidence(evs)
	if st.stale != 1 || st.iters != 1 || st.wbStale != 1 {
		t.Errorf("directed: %+v", st)
	}
	// Extent changes: one in the setup and one after the parked writer's
	// begin but before its first iomap_iter count as before its mapping;
	// one inside the window as in it; one after the window as neither.
	window := []tracefs.Event{ev(1, evConvert), mark(7, markBegin+" tid=7 stall=true"), ev(4, evAlloc), ev(7, evIter),
		mark(1, markOpen), ev(4, evConvert), mark(1, markClose), ev(4, evConvert), mark(7, markEnd+" tid=7")}
	if st := countEvidence(window); st.extentBefore != 2 || st.extentInWindow != 1 || !st.windowSeen {
		t.Errorf("extent changes: %+v", st)
	}
	if st := countEvidence(evs); st.windowSeen || st.extentBefore != 0 {
		t.Errorf("no window: %+v", st)
	}
	free := []tracefs.Event{mark(9, markBegin+" tid=9 stall=false"), ev(9, evInvalid), mark(9, markEnd+" tid=9"), ev(9, evInvalid)}
	if st := countEvidence(free); st.stale != 1 {
		t.Errorf("free race: %+v", st)
	}
}

// A missed window names the step that did not happen.
func TestWindowMiss(t *testing.T) {
	for _, c := range []struct {
		st    runStats
		notes []string
		want  string
	}{
		{runStats{}, nil, "the writer never parked"},
		{runStats{windowSeen: true, extentBefore: 1}, nil, "before the parked writer mapped its range"},
		{runStats{windowSeen: true}, nil, "no extent change"},
		{runStats{windowSeen: true, extentInWindow: 1}, []string{"reclaim f 0+4096: 1 page(s) still in the page cache"}, "still in the page cache"},
	} {
		if got := windowMiss(c.st, c.notes); !strings.Contains(got, c.want) {
			t.Errorf("%+v %v: %q, want %q in it", c.st, c.notes, got, c.want)
		}
	}
}

func TestFirstDiff(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int64
	}{{"abc", "abc", -1}, {"abc", "abd", 2}, {"abc", "ab", 2}, {"", "x", 0}} {
		if got := firstDiff([]byte(c.a), []byte(c.b)); got != c.want {
			t.Errorf("firstDiff(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestEvidenceExpectationKinds(t *testing.T) {
	sc := parseScn(t, "scenario t\nfs xfs\nthread w: pwrite f 0 4k\nexpect stale >= 1 ; wb_stale == 0\n")
	if !expectsStale(sc) || expectsNoStale(sc) {
		t.Error("stale >= 1")
	}
	if positive(sc.Expect[1]) {
		t.Error("wb_stale == 0 is not positive")
	}
	ctl, _ := LoadScenario("control-no-action")
	if expectsStale(ctl) || !expectsNoStale(ctl) {
		t.Error("control-no-action is a control")
	}
}

// The measured table for the ops the parser's model lock table already
// keeps out of a window (so no scenario file reaches PlanScenarios with
// them): each blocks on every filesystem; sync and cache ops never do.
func TestBlocksInWindow(t *testing.T) {
	for _, fs := range []string{"xfs", "ext4", "btrfs"} {
		for kind, want := range map[scenario.OpKind]string{
			scenario.OpPwrite: "second buffered write", scenario.OpFallocate: "fallocate takes i_rwsem",
			scenario.OpPunch: "fallocate takes i_rwsem", scenario.OpZero: "fallocate takes i_rwsem",
			scenario.OpTruncate: "truncate takes i_rwsem", scenario.OpRemount: "unmount",
			scenario.OpSyncRange: "", scenario.OpFadviseDontneed: "", scenario.OpReclaim: "",
			scenario.OpMapStore: "", scenario.OpMapLoad: "", scenario.OpDropCaches: "",
		} {
			got := blocksInWindow(scenario.Op{Kind: kind}, fs)
			if want == "" && got != "" || !strings.Contains(got, want) {
				t.Errorf("%v on %s: %q, want %q", kind, fs, got, want)
			}
		}
	}
}
