package scenario

import (
	"errors"
	"strings"
	"testing"

	"iomaplab/lab"
)

// The new forms: park-at on op lines, await T.parked / T.parked(NAME) /
// T.blocked, release T.NAME, and mid-scenario expect read / map-load.
func TestParseParkAndExpectForms(t *testing.T) {
	src := head + `setup pwrite f 0 16k ; fsync f
thread cut: truncate f 4k park-at=truncate.before_pagecache as before park-at=xfs.truncate.cancel_cow as cow
thread w:   pwrite f 0 4k fill='W'
thread ctl: await cut.parked(before) ; await w.blocked ; release cut.before ; await cut.parked ; release cut.cow ; await cut.done ; await w.done
thread ctl: expect read f 0 4k == 'a' ; expect map-load f 0 4k in {0x61, 'b'}
`
	sc, err := Parse("p.scn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	cut := sc.Threads[0].Ops[0]
	if len(cut.Parks) != 2 || cut.Parks[0] != (ParkAt{Pos{4, 27}, "truncate.before_pagecache", "before"}) || cut.Parks[1].Name != "cow" {
		t.Errorf("parks: %+v", cut.Parks)
	}
	want := []lab.Rule{{Point: "truncate.before_pagecache", Thread: "cut", Hit: 1, Action: lab.Park}, {Point: "xfs.truncate.cancel_cow", Thread: "cut", Hit: 1, Action: lab.Park}}
	if len(sc.Rules) != 2 || sc.Rules[0] != want[0] || sc.Rules[1] != want[1] || sc.RulePos[1] != (Pos{4, 71}) {
		t.Errorf("rules: %+v at %v", sc.Rules, sc.RulePos)
	}
	ctl := sc.Threads[2].Ops
	if a := ctl[0]; a.ParkName != "before" || a.ParkPoint != "truncate.before_pagecache" || a.Done || a.Blocked {
		t.Errorf("await parked(NAME): %+v", a)
	}
	if a := ctl[1]; !a.Blocked || a.Thread != "w" {
		t.Errorf("await blocked: %+v", a)
	}
	if r := ctl[2]; r.Kind != OpRelease || r.Thread != "cut" || r.ParkPoint != "truncate.before_pagecache" {
		t.Errorf("release NAME: %+v", r)
	}
	if a := ctl[3]; a.ParkName != "" || a.Done || a.Blocked {
		t.Errorf("await parked: %+v", a)
	}
	if e := ctl[7]; e.Kind != OpExpect || e.Sub != OpPread || e.Len != 4096 || string(e.Patterns) != "a" {
		t.Errorf("expect read: %+v", e)
	}
	if e := ctl[8]; e.Sub != OpMapLoad || string(e.Patterns) != "ab" || e.Describe() != "expect map-load f 0 4k in {0x61,0x62}" {
		t.Errorf("expect map-load: %+v %q", e, e.Describe())
	}
	if err := sc.KernelUnsupported(); err == nil || err.Error() != "p.scn:4:27: park-at=truncate.before_pagecache: a real kernel has no engine point truncate.before_pagecache; only pwrite's stall-at (a userfaultfd page of the user buffer) can hold a window open there" {
		t.Errorf("kernel: %v", err)
	}
}

func TestParseParkAndExpectErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{head + "thread a: truncate f 0 park-at=nowhere\n", "e.scn:3:24: park-at: unknown point \"nowhere\" (points: "},
		{head + "thread a: truncate f 0 park-at=truncate.after_pagecache as\nthread b: release a\n", "e.scn:3:59: park-at=truncate.after_pagecache as needs a NAME"},
		{head + "thread a: fsync f park-at=truncate.after_pagecache\nthread b: release a\n", "e.scn:3:19: fsync never reaches truncate.after_pagecache (reached by truncate)"},
		{head + "thread a: fsync f park-at=xfs.ioend.convert\nthread b: release a\n", "e.scn:3:19: xfs.ioend.convert is reached only by the io-completion daemon: park it with 'inject xfs.ioend.convert park thread=io-completion hit=1'"},
		{head + "thread a: fsync f park-at=ext4.wb.map_blocks\nthread b: release a\n", "e.scn:3:19: ext4.wb.map_blocks is not on the path of fs xfs in the model (ext4's legacy path only): a park there never fires"},
		{head + "thread a: truncate f 8k ; truncate f 0 park-at=truncate.after_pagecache\nthread b: release a\n", "e.scn:3:40: park-at=truncate.after_pagecache would fire in an earlier op of thread a, truncate (line 3), which can reach it too"},
		{head + "thread a: punch f 0 4k park-at=falloc.after_invalidate ; zero f 0 4k park-at=falloc.after_invalidate as z\nthread b: release a ; release a\n", "e.scn:3:70: park-at=falloc.after_invalidate would fire in an earlier op of thread a, punch (line 3)"},
		{head + "thread a: punch f 0 4k park-at=falloc.after_invalidate as x ; truncate f 0 park-at=truncate.after_pagecache as x\nthread b: release a ; release a\n", "e.scn:3:76: thread a already has a park named x (line 3)"},
		{head + "setup truncate f 0 park-at=truncate.after_pagecache\nthread a: fsync f\n", "e.scn:3:20: park-at belongs in a thread line"},
		{head + "thread a: await b.parked(x)\nthread b: truncate f 0 park-at=truncate.after_pagecache\nthread c: release b\n", "e.scn:3:11: await b.parked(x): thread b has no park named x (its parks: truncate.after_pagecache)"},
		{head + "thread a: release b.x\nthread b: fsync f\n", "e.scn:3:11: release b.x: thread b has no park named x (it has no park-at)"},
		{head + "thread a: await b.parked(\nthread b: fsync f\n", "e.scn:3:17: await wants THREAD.stalled, THREAD.parked, THREAD.parked(NAME), THREAD.blocked or THREAD.done, found \"b.parked(\""},
		{head + "thread a: await c.blocked\n", "e.scn:3:11: await c.blocked: no thread c in this scenario"},
		{head + "thread a: await a.blocked\n", "e.scn:3:11: thread a cannot await itself"},
		{head + "thread a: await b.parked\nthread b: fsync f\n", "e.scn:3:11: await b.stalled: b never stalls (give one of its pwrites stall-at=, one of its ops park-at=POINT"},
		{head + "thread a: release b park-at=truncate.after_pagecache\nthread b: fsync f\n", "e.scn:3:21: release takes no option park-at"},
		{head + "thread a: truncate f 0 park-at=truncate.after_pagecache\nthread b: await a.parked ; pwrite f 0 1 ; release a\n", "e.scn:4:28: pwrite in thread b would deadlock: a is parked (line 3) and pwrite takes i_rwsem on xfs, which the parked thread holds in truncate"},
		// The park is in the first reclaim, whose folio the map-load needs (the second's it would not).
		{head + "setup pwrite f 0 16k\nthread a: reclaim f 0 4k park-at=reclaim.evict ; reclaim f 8k 4k\nthread b: await a.parked ; map-load f 0 4k ; release a\n", "e.scn:5:28: map-load in thread b would deadlock: a is parked (line 4) and map-load f 0 4k locks every folio of f [0, 4k), one of which the parked thread holds locked in reclaim; release a first"},
		{head + "thread a: expect\n", "e.scn:3:17: expect in a thread, setup or after line wants read or map-load"},
		{head + "thread a: expect pread f 0 1 == 0\n", "e.scn:3:18: expect in a thread, setup or after line wants read or map-load"},
		{head + "thread a: expect read f 0 == 0\n", "e.scn:3:26: read needs FILE OFF LEN"},
		{head + "thread a: expect read f 0 4k\n", "e.scn:3:29: expect read f needs '== P' or 'in {P1,P2}' after the range"},
		{head + "thread a: expect read f 0 4k ==\n", "e.scn:3:32: expect: '==' needs a pattern byte"},
		{head + "thread a: expect read f 0 4k == 0x100\n", "e.scn:3:33: expect: bad fill byte \"0x100\""},
		{head + "thread a: expect read f 0 4k == 1 2\n", "e.scn:3:35: unexpected \"2\" after the pattern"},
		{head + "thread a: expect read f 0 4k in 0x41\n", "e.scn:3:33: expect: 'in' wants a set of bytes in braces: in {0x57,0x58}"},
		{head + "thread a: expect map-load f 0 4k in {0x41,}\n", "e.scn:3:37: expect: in {...}: bad fill byte \"\""},
		{head + "thread a: pwrite f 0 8k stall-at=4k\nthread b: await a.stalled ; expect read f 0 1 == 0 ; release a\n", "e.scn:4:29: expect in thread b would deadlock: a is parked (line 3) and pread takes i_rwsem on xfs"},
	} {
		_, err := Parse("e.scn", []byte(c.src))
		var list ErrorList
		if !errors.As(err, &list) {
			t.Errorf("%q: got %v, want an ErrorList", c.src, err)
			continue
		}
		if !strings.HasPrefix(list[0].Error(), c.want) {
			t.Errorf("%q:\n got %s\nwant %s", c.src, err, c.want)
		}
	}
}

// A mid-scenario expect passes when the bytes match and is a data violation
// naming its line when they do not, or when the range reads short.
func TestRunExpect(t *testing.T) {
	for _, c := range []struct{ ops, want string }{
		{"expect read f 0 4k == 0x41 ; expect map-load f 0 4k in {0x42,0x41}", ""},
		{"expect read f 0 4k == 0x42", "line 3: expect read f 0 4k == 0x42: byte at offset 0 (0x0) is 0x41, expected 0x42"},
		{"expect map-load f 0 4k in {0x42,0x43}", "line 3: expect map-load f 0 4k in {0x42,0x43}: byte at offset 0 (0x0) is 0x41, expected 0x42 or 0x43"},
		{"expect read f 0 8k == 0x41", "line 3: expect read f 0 8k == 0x41: read returned 4096 of 8192 bytes"},
	} {
		sc := mustParse(t, head+"thread a: pwrite f 0 4k fill=0x41 ; "+c.ops+"\n")
		v := Run(sc, &fakeTarget{}, controlled(1))
		got := ""
		if len(v.Violations) > 0 {
			got = v.Violations[0].Message
			if len(v.Violations) > 1 || v.Violations[0].Oracle != "data" {
				t.Errorf("%s: %v", c.ops, v)
			}
		}
		if got != c.want || len(v.OpErrors) > 0 {
			t.Errorf("%s: got %q, want %q (%v)", c.ops, got, c.want, v)
		}
	}
}

// park-at parks in the op that names it; await T.parked(NAME) and
// release T.NAME find that park; await T.blocked returns once T waits for
// the parked thread's i_rwsem. The write runs after the truncate on every
// schedule, which the expects check.
func TestRunParkAtAwaitBlocked(t *testing.T) {
	sc := mustParse(t, head+`setup pwrite f 0 8k fill=0x59
thread tr:  truncate f 4k park-at=truncate.before_pagecache as cut park-at=truncate.after_pagecache as dropped
thread wr:  await tr.parked(cut) ; pwrite f 4k 4k fill=0x41
thread ctl: await wr.blocked ; release tr.cut ; await tr.parked(dropped) ; release tr.dropped ; await wr.done ; expect read f 0 8k in {0x59,0x41} ; expect read f 4k 4k == 0x41
`)
	for seed := uint64(1); seed <= 20; seed++ {
		v := Run(sc, &fakeTarget{}, controlled(seed))
		if v.Violated() || v.ScenarioError != nil || len(v.OpErrors) > 0 || !v.Result.OK() {
			t.Fatalf("seed %d: %v", seed, v)
		}
		parks := 0
		for _, e := range v.Result.Trace.Records() {
			if e.Kind == lab.KindPark && e.Who == "tr" {
				parks++
			}
		}
		if parks != 2 {
			t.Fatalf("seed %d: tr parked %d times, want 2", seed, parks)
		}
	}
	// A free world cannot see who waits for which lock: the run is skipped.
	if v := Run(sc, &fakeTarget{}, lab.Config{}); v.Skipped != "await wr.blocked (line 6) needs a controlled world: a free world cannot see which lock a thread waits for" {
		t.Fatalf("free world: %v", v)
	}
	// Without the truncate's park the write never blocks: the await of its
	// block is a scenario error at that line, not a hang.
	sc = mustParse(t, head+"thread wr: pwrite f 0 4k\nthread ctl: await wr.blocked\n")
	v := Run(sc, &fakeTarget{}, controlled(1))
	if v.ScenarioError == nil || v.ScenarioError.Error() != "t.scn:4:13: scenario error: await wr.blocked in thread ctl: wr returned without blocking on a lock" {
		t.Fatalf("%v", v)
	}
}
