package scenario

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"iomaplab/lab"
)

// TestAuthoringMistakes: each kind of scenario mistake that used to run and
// end as a deadlock violation is now a parse error with its position, or,
// where only a run can tell, a scenario error (BadInput) and no violation.
func TestAuthoringMistakes(t *testing.T) {
	ext4 := "scenario t\nfs ext4\n"
	for _, c := range []struct {
		kind, src string
		parse     string // the parse error, or "" if it parses
		bug       string // fake target bug for the run
		run       string // the run's scenario error
	}{
		{"awaits done in a cycle", head + "thread a: await b.done\nthread b: await a.done\n",
			"e.scn:3:11: these waits form a cycle and can only deadlock: await b.done (line 3, thread a), which waits for await a.done (line 4, thread b)", "", ""},
		{"awaits stalled in a cycle", head + "thread a: await b.stalled ; pwrite f 0 8k stall-at=4k\nthread b: await a.stalled ; pwrite g 0 8k stall-at=4k\nthread c: release a ; release b\n",
			"e.scn:3:11: these waits form a cycle", "", ""},
		{"release after awaiting the parked thread's end", head + "thread a: pwrite f 0 8k stall-at=4k\nthread b: await a.done ; release a\n",
			"e.scn:4:11: these waits form a cycle and can only deadlock: release a (line 4, thread b), which waits for await a.done (line 4, thread b)", "", ""},
		{"await a thread that never stalls", head + "thread a: await b.stalled\nthread b: fsync f\n",
			"e.scn:3:11: await b.stalled: b never stalls", "", ""},
		{"await a thread that does not exist", head + "thread a: await ghost.done\n",
			"e.scn:3:11: await ghost.done: no thread ghost", "", ""},
		{"park a thread that does not exist", head + "inject iomap.write.prefault park thread=ghost hit=1\nthread a: await ghost.stalled ; release ghost\n",
			"e.scn:3:1: park thread=ghost: no thread ghost in this scenario", "", ""},
		{"park at a point off the fs's path", ext4 + "inject iomap.wb.map_blocks park thread=a hit=1\nthread a: fsync f\nthread b: await a.stalled ; release a\n",
			"e.scn:3:1: iomap.wb.map_blocks is not on the path of fs ext4 legacy in the model (xfs and ext4 iomap only)", "", ""},
		{"park in an op the thread never runs", head + "inject iomap.write.prefault park thread=a hit=1\nthread a: fsync f\nthread b: await a.stalled ; release a\n",
			"e.scn:3:1: park thread=a at iomap.write.prefault never fires: a runs no pwrite", "", ""},
		{"park a daemon the mount does not run", head + "inject iomap.wb.map_blocks park thread=flusher hit=1\nthread a: await flusher.stalled ; release flusher\n",
			"e.scn:3:1: park thread=flusher: this mount runs no flusher daemon", "", ""},
		{"park a daemon where it never goes", "scenario t\nfs xfs kswapd\ninject iomap.wb.map_blocks park thread=kswapd hit=1\nthread a: await kswapd.stalled ; release kswapd\n",
			"e.scn:3:1: park thread=kswapd: the kswapd daemon never reaches iomap.wb.map_blocks", "", ""},
		{"fsync waits for the parked writeback", head + "setup pwrite f 0 8k\ninject iomap.wb.map_blocks park thread=a hit=1\nthread a: fsync f\nthread b: await a.stalled ; fsync f ; release a\n",
			"e.scn:6:29: fsync in thread b would deadlock: a is parked (line 4) and fsync waits for writeback of the whole file", "", ""},
		{"punch needs page_mkwrite's invalidate_lock", ext4 + "setup truncate f 8k\ninject ext4.da_map.after_lookup park thread=m hit=1\nthread m: map-store f 0 4k\nthread b: await m.stalled ; punch f 0 4k ; release m\n",
			"e.scn:6:29: punch in thread b would deadlock: m is parked (line 4) and punch takes invalidate_lock exclusive", "", ""},
		{"window op in a thread the releaser awaits", head + "thread a: pwrite f 0 8k stall-at=4k\nthread c: await a.stalled ; fallocate f 0 4k keep-size\nthread b: await a.stalled ; await c.done ; release a\n",
			"e.scn:4:29: fallocate in thread c would deadlock: a is parked (line 3) and fallocate takes i_rwsem", "", ""},
		{"park hit count never reached", head + "inject iomap.write.prefault park thread=a hit=9\nthread a: pwrite f 0 8k\nthread b: await a.stalled ; release a\n",
			"", "", "t.scn:5:11: scenario error: await a.stalled in thread b: a returned without stalling"},
		{"window op blocks where the parser cannot tell", head + "thread a: pwrite f 0 8k stall-at=4k\nthread b: await a.stalled ; pread g 0 1 ; release a\n",
			"", "pread-rwsem", ""},
		{"window op blocks on a lock the parser does not know", "scenario t\nfs ext4 iomap\nthread a: pwrite f 0 8k stall-at=4k\nthread b: await a.stalled ; pread f 0 1 ; release a\n",
			"", "pread-rwsem", "t.scn:4:43: scenario error: thread a stays parked: the release that would free it never runs"},
	} {
		sc, err := Parse("e.scn", []byte(c.src))
		if c.parse != "" {
			var list ErrorList
			if !errors.As(err, &list) || !strings.HasPrefix(list[0].Error(), c.parse) {
				t.Errorf("%s: got %v\nwant %s", c.kind, err, c.parse)
			}
			var bad interface{ BadInput() bool }
			if err != nil && (!errors.As(err, &bad) || !bad.BadInput()) {
				t.Errorf("%s: %T is not BadInput", c.kind, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.kind, err)
			continue
		}
		sc.File = "t.scn"
		v := Run(sc, &fakeTarget{bug: c.bug}, controlled(1))
		switch {
		case c.run == "" && (v.ScenarioError != nil || v.Violated() || v.Result.Outcome != lab.Completed):
			t.Errorf("%s: want a clean run, got %v", c.kind, v)
		case c.run != "" && (v.ScenarioError == nil || !strings.HasPrefix(v.ScenarioError.Error(), c.run)):
			t.Errorf("%s: got %v\nwant %s", c.kind, v, c.run)
		case c.run != "" && (v.Violated() || !v.ScenarioError.BadInput() || !strings.Contains(v.String(), "scenario error")):
			t.Errorf("%s: a scenario error must not be a violation: %v", c.kind, v)
		}
	}
}

// TestEngineDeadlockStaysViolation: a deadlock with no park or await in it,
// or with a lock cycle, is the engine's: a violation, not a scenario error.
func TestEngineDeadlockStaysViolation(t *testing.T) {
	for _, c := range []struct{ bug, src string }{
		{"lost-wakeup", head + "thread a: fsync f\n"},
		// a waits in fsync before it can stall; b's await is not the cause.
		{"lost-wakeup", head + "thread a: fsync f ; pwrite f 0 8k stall-at=4k\nthread b: await a.stalled ; release a\n"},
	} {
		v := Run(mustParse(t, c.src), &fakeTarget{bug: c.bug}, controlled(1))
		if v.ScenarioError != nil || strings.Join(v.Fired(), ",") != ClassDeadlock || !strings.Contains(v.Violations[0].Message, "writeback-done") {
			t.Errorf("%s: %v", c.src, v)
		}
	}
	// An ABBA between fsync and truncate, while b is parked: the lock cycle
	// decides, whatever the park.
	sc := mustParse(t, head+"thread a: fsync f\nthread c: truncate f 0\nthread b: pwrite g 0 8k stall-at=4k\nthread d: await b.stalled ; await a.done ; release b\n")
	found := false
	for seed := uint64(1); seed <= 200 && !found; seed++ {
		v := Run(sc, &fakeTarget{bug: "abba"}, controlled(seed))
		if v.Result.Outcome != lab.Deadlock {
			continue
		}
		found = true
		if v.ScenarioError != nil || strings.Join(v.Fired(), ",") != ClassDeadlock {
			t.Errorf("seed %d: %v", seed, v)
		}
	}
	if !found {
		t.Fatal("no schedule of 200 reached the ABBA deadlock")
	}
}

// TestDataOracleOnLargeSparseFile: past denseCheck the oracle reads only
// around what the run touched, and still sees a lost write there.
func TestDataOracleOnLargeSparseFile(t *testing.T) {
	defer func(d int64) { denseCheck = d }(denseCheck)
	denseCheck = 1 << 20 // the fake's files are dense: keep this one small
	src := head + "setup truncate f 12M\nthread a: pwrite f 9M 8k stall-at=4k\nthread b: await a.stalled ; release a\n"
	if v := Run(mustParse(t, src), &fakeTarget{}, controlled(1)); v.Violated() {
		t.Fatalf("correct: %v", v)
	}
	v := Run(mustParse(t, src), &fakeTarget{bug: "lost-after-park"}, controlled(1))
	if strings.Join(v.Fired(), ",") != "data" || !strings.Contains(v.Violations[0].Message, "offset 9441280") {
		t.Fatalf("lost write at 9M+4k: %v", v)
	}
}

func TestScenarioBudget(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{head + "setup pwrite f 0 40M\nthread a: pread f 0 20M ; map-load f 0 8M\n", "e.scn:4:27: scenario too large: its pwrite, pread, map-store and map-load ops move 68M by here, over the 64M budget"},
		{"scenario t\nfs xfs dev=2G\nthread a: fsync f\n", "e.scn:2:1: scenario too large: dev=2G is over the 256M limit"},
		{"scenario t\nfs xfs cowextsize=1G\nthread a: fsync f\n", "e.scn:2:1: cowextsize=1G is over half the 2M device"},
		{head + "inject iomap.iter delay=65535\nthread a: fsync f\n", "e.scn:3:1: scenario too large: a run may take 21713911808 scheduling steps, over the 67108864 limit"},
		{head + strings.Repeat("thread t: fsync f\n", 10001), "e.scn:10003:11: scenario too large: more than 10000 ops"},
		{head + func() string {
			var b strings.Builder
			for i := range 65 {
				fmt.Fprintf(&b, "thread t%d: fsync f\n", i)
			}
			return b.String()
		}(), "e.scn:67:8: scenario too large: more than 64 threads"},
	} {
		_, err := Parse("e.scn", []byte(c.src))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("got %v\nwant %s", err, c.want)
		}
	}
	ok := head + "setup pwrite f 1099511627775 1\nthread a: pwrite f 0 16M ; pread f 0 16M\n"
	sc, err := Parse("e.scn", []byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sc.MaxSteps(), int64(200000+256*(8193+512)+256*3); got != want {
		t.Errorf("MaxSteps %d, want %d", got, want)
	}
	low := DefaultLimits
	low.MaxBytes = 1 << 20
	if _, err := ParseWith("e.scn", []byte(ok), low); err == nil {
		t.Error("a lower budget was not applied")
	}
	// A delay on every hit multiplies the bound; one with hit=K adds to it.
	sc, err = Parse("e.scn", []byte(head+"inject iomap.iter delay=3\ninject iomap.iter delay=100 hit=2\nthread a: fsync f\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sc.MaxSteps(), int64((200000+256*512+256)*4+100); got != want {
		t.Errorf("MaxSteps with delays %d, want %d", got, want)
	}
}
