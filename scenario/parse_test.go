package scenario

import (
	"errors"
	"strings"
	"testing"

	"iomaplab/lab"
	"iomaplab/vfs"
)

const head = "scenario t\nfs xfs\n"

func TestParseExample(t *testing.T) {
	src := `# A doc line.
# Second line.
scenario write-stale-unwritten   # xfs/559 in the model
source fstests xfs/559
fs xfs folio=16k dev=64M flusher kswapd
setup   fallocate f 0 40k ; pwrite f 40959 1 fill=0x58     # dirty the last block
thread  writer:  pwrite f 0 36865 fill=0x57 stall-at=4k
thread  syncer:  await writer.stalled ; sync-range f 36k 4k ; reclaim f 36k 4k ; release writer
thread  writer:  fsync f may-fail
after   remount
inject  xfs.ioend.convert delay=3 hit=2
expect  data ; stale >= 1 ; trace iomap_remap>=1 ; reachable==0
catches no-validate data fsck
clean   wb-no-validate
kernel  fs xfs,btrfs
kernel  note the uffd page: at +4k
`
	sc, err := Parse("x.scn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "write-stale-unwritten" || sc.Doc != "A doc line.\nSecond line." || sc.Summary() != "A doc line." || sc.Source != "fstests xfs/559" {
		t.Errorf("header: %q %q %q", sc.Name, sc.Doc, sc.Source)
	}
	if sc.FS != (FSSpec{Type: "xfs", FolioSize: 16 << 10, DevSize: 64 << 20, Flusher: true, Kswapd: true, Pos: Pos{5, 1}}) {
		t.Errorf("fs: %+v", sc.FS)
	}
	if len(sc.Setup) != 2 || sc.Setup[0].Kind != OpFallocate || sc.Setup[0].Mode != vfs.FallocAllocate || sc.Setup[0].Len != 40<<10 {
		t.Errorf("setup: %+v", sc.Setup)
	}
	if w := sc.Setup[1]; w.Off != 40959 || w.Len != 1 || w.Fill != 0x58 || w.StallAt != vfs.NoOffset {
		t.Errorf("pwrite: %+v", w)
	}
	if len(sc.Threads) != 2 || sc.Threads[0].Name != "writer" || len(sc.Threads[0].Ops) != 2 || len(sc.Threads[1].Ops) != 4 {
		t.Fatalf("threads: %+v", sc.Threads)
	}
	if w := sc.Threads[0].Ops[0]; w.StallAt != 4096 || w.Fill != 0x57 || w.Pos != (Pos{7, 18}) {
		t.Errorf("writer: %+v", w)
	}
	if !sc.Threads[0].Ops[1].MayFail || sc.Threads[0].Ops[1].Kind != OpFsync {
		t.Errorf("continued thread: %+v", sc.Threads[0].Ops[1])
	}
	if a := sc.Threads[1].Ops[0]; a.Kind != OpAwait || a.Thread != "writer" || a.Done {
		t.Errorf("await: %+v", a)
	}
	if !sc.Directed || len(sc.After) != 1 || sc.After[0].Kind != OpRemount {
		t.Errorf("directed %v after %+v", sc.Directed, sc.After)
	}
	if len(sc.Rules) != 1 || sc.Rules[0] != (lab.Rule{Point: "xfs.ioend.convert", Action: lab.Delay, N: 3, Hit: 2}) || sc.RulePos[0] != (Pos{11, 1}) {
		t.Errorf("rules: %+v", sc.Rules)
	}
	want := []Expectation{{Pos{12, 9}, "data", "", "", 0}, {Pos{12, 16}, "", "stale", ">=", 1},
		{Pos{12, 29}, "", "iomap_remap", ">=", 1}, {Pos{12, 52}, "", "reachable", "==", 0}}
	if len(sc.Expect) != len(want) {
		t.Fatalf("expect: %+v", sc.Expect)
	}
	for i := range want {
		if sc.Expect[i] != want[i] {
			t.Errorf("expect[%d] = %+v, want %+v", i, sc.Expect[i], want[i])
		}
	}
	if cell, or := sc.Expected("no-validate"); cell != MustCatch || strings.Join(or, ",") != "data,fsck" {
		t.Errorf("no-validate: %v %v", cell, or)
	}
	if cell, _ := sc.Expected("wb-no-validate"); cell != MustBeClean {
		t.Errorf("wb-no-validate: %v", cell)
	}
	if cell, _ := sc.Expected("correct"); cell != MustBeClean {
		t.Errorf("correct: %v", cell)
	}
	if cell, _ := sc.Expected("punch-ignores-dirty"); cell != DontCare {
		t.Errorf("punch-ignores-dirty: %v", cell)
	}
	if strings.Join(sc.Kernel.FS, ",") != "xfs,btrfs" || sc.Kernel.Notes[0] != "the uffd page: at +4k" {
		t.Errorf("kernel: %+v", sc.Kernel)
	}
	if got := strings.Join(sc.Files(), ","); got != "f" {
		t.Errorf("files: %s", got)
	}
	cfg := sc.Config(lab.Config{Rules: []lab.Rule{{Point: "p"}}})
	if len(cfg.Rules) != 2 {
		t.Errorf("config rules: %+v", cfg.Rules)
	}
}

func TestParseDefaults(t *testing.T) {
	sc, err := Parse("d.scn", []byte(head+"thread a: pwrite f 0 4k ; map-store f 0 1 ; zero f 0 1 ; zero g 0 1 keep-size ; fallocate g 0 1 keep-size ; punch g 0 4k ;\n"))
	if err != nil {
		t.Fatal(err)
	}
	ops := sc.Threads[0].Ops
	if ops[0].Fill != 'a' || ops[1].Fill != 'b' {
		t.Errorf("default fills %q %q", ops[0].Fill, ops[1].Fill)
	}
	modes := []vfs.FallocMode{ops[2].Mode, ops[3].Mode, ops[4].Mode, ops[5].Mode}
	if modes[0] != vfs.FallocZero || modes[1] != vfs.FallocZeroKeepSize || modes[2] != vfs.FallocKeepSize || modes[3] != vfs.FallocPunch {
		t.Errorf("modes %v", modes)
	}
	if sc.Directed {
		t.Error("exploratory scenario marked directed")
	}
}

// TestParseErrors pins the message and the exact line:col of each error.
func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"", "e.scn:1:1: empty scenario: expected 'scenario NAME'"},
		{"# only a comment\n\n", "e.scn:1:1: empty scenario"},
		{"fs xfs\n", "e.scn:1:1: expected 'scenario NAME' first, found \"fs\""},
		{"scenario Bad_Name\nfs xfs\nthread a: fsync f\n", "e.scn:1:10: bad scenario name \"Bad_Name\""},
		{"scenario t\nthread a: fsync f\n", "e.scn:1:1: scenario t has no fs line"},
		{"scenario t\nfs xfs\n", "e.scn:1:1: scenario t has no thread line"},
		{"scenario t\nfs zfs\nthread a: fsync f\n", "e.scn:2:4: unknown fs type \"zfs\""},
		{head + "fs xfs\nthread a: fsync f\n", "e.scn:3:1: second fs line (the first is at line 2)"},
		{"scenario t\nfs xfs iomap\nthread a: fsync f\n", "e.scn:2:8: fs option iomap is for ext4"},
		{"scenario t\nfs xfs folio=3k\nthread a: fsync f\n", "e.scn:2:8: folio=3k: the folio size is a power of two from 4k to 2M"},
		{"scenario t\nfs ext4 turbo\nthread a: fsync f\n", "e.scn:2:9: unknown fs option \"turbo\""},
		{head + "frobnicate\n", "e.scn:3:1: unknown directive \"frobnicate\""},
		{head + "thread a: fsync f\nthread b: pwrit f 0 1\n", "e.scn:4:11: unknown op \"pwrit\""},
		{head + "thread a: pwrite f 0\n", "e.scn:3:21: pwrite needs FILE OFF LEN"},
		{head + "thread a: pwrite f 0 4q\n", "e.scn:3:22: bad size \"4q\""},
		{head + "thread a: pwrite f 0 0\n", "e.scn:3:22: pwrite of 0 bytes"},
		{head + "thread a: pwrite f 0 1G\n", "e.scn:3:11: scenario too large: its pwrite, pread, map-store and map-load ops move 1G by here, over the 64M budget"},
		{head + "thread a: pwrite f 0x20000000000 1\n", "e.scn:3:20: size 0x20000000000 is too large"},
		{head + "thread a: fsync f 0\n", "e.scn:3:19: unexpected \"0\": fsync takes FILE"},
		{head + "thread a: remount f\n", "e.scn:3:19: unexpected \"f\": remount takes no arguments"},
		{head + "thread a: pwrite f 0 4k fill=0x158\n", "e.scn:3:25: fill: bad fill byte \"0x158\""},
		{head + "thread a: pwrite f 0 4k stall-at=4k\n", "e.scn:3:11: stall-at=4k lies outside the 4k bytes written"},
		{head + "thread a: pread f 0 4k fill=1\n", "e.scn:3:24: pread takes no option \"fill\" (only may-fail)"},
		{head + "thread a: zero f 0 4k keep-size=1\n", "e.scn:3:23: keep-size is a flag and takes no value"},
		{head + "thread a: pwrite f 0 4k fill\n", "e.scn:3:25: fill needs a value (fill=...)"},
		{head + "thread a: pwrite f 0 4k fill=\n", "e.scn:3:25: fill: bad fill byte \"\""},
		{head + "thread a: fsync f ;; fsync f\n", "e.scn:3:20: empty op between ';'"},
		{head + "thread a fsync f\n", "e.scn:3:9: expected ':' after thread name a"},
		{head + "thread main: fsync f\n", "e.scn:3:8: thread name main is taken"},
		{head + "thread flusher: fsync f\n", "e.scn:3:8: thread name flusher is taken by an engine daemon"},
		{head + "thread a:\n", "e.scn:3:10: thread a needs at least one op"},
		{head + "setup release a\nthread a: fsync f\n", "e.scn:3:7: release belongs in a thread line"},
		{head + "thread a: await b.stalled\nthread b: fsync f\n", "e.scn:3:11: await b.stalled: b never stalls"},
		{head + "thread a: await b.ready\n", "e.scn:3:17: await wants THREAD.stalled, THREAD.parked, THREAD.parked(NAME), THREAD.blocked or THREAD.done, found \"b.ready\""},
		{head + "thread a: await a.done\n", "e.scn:3:11: thread a cannot await itself"},
		{head + "thread a: await c.done\n", "e.scn:3:11: await c.done: no thread c"},
		{head + "thread a: pwrite f 0 8k stall-at=4k\n", "e.scn:3:11: thread a stalls 1 time(s) but is released 0 time(s)"},
		{head + "thread a: pwrite f 0 8k stall-at=4k\nthread b: release a ; release a\n", "e.scn:4:11: thread a is released 2 times but stalls only 1"},
		{head + "thread a: pwrite f 0 8k stall-at=4k\nthread b: await a.stalled ; truncate f 0 ; release a\n", "e.scn:4:29: truncate in thread b would deadlock: a is parked (line 3) and truncate takes i_rwsem on xfs"},
		{head + "thread a: pwrite f 0 8k stall-at=4k\nthread b: await a.stalled ; pread f 0 1 ; release a\n", "e.scn:4:29: pread in thread b would deadlock: a is parked (line 3) and pread takes i_rwsem on xfs"},
		{head + "inject iomap.write.before_valid park thread=a hit=2\nthread a: pwrite f 0 8k\nthread b: await a.stalled ; zero f 8k 1 ; release a\n", "e.scn:5:29: zero in thread b would deadlock: a is parked (line 3) and zero takes i_rwsem on xfs, which the parked thread holds in pwrite with a folio locked in iomap_write_begin"},
		{head + "thread a: pwrite f 0 8k\nthread b: truncate f 4k\n", "e.scn:4:11: truncate f 4k in thread b may run concurrently with pwrite f 0 8k in thread a (line 3)"},
		{head + "thread a: fsync f\nexpect data ; stale\n", "e.scn:4:15: stale needs a comparison"},
		{head + "thread a: fsync f\nexpect stale => 1\n", "e.scn:4:14: expected a comparison"},
		{head + "thread a: fsync f\nexpect stale >= x\n", "e.scn:4:17: bad count \"x\""},
		{head + "thread a: fsync f\nexpect stale >= 1 2\n", "e.scn:4:19: unexpected \"2\" (separate expectations with ';')"},
		{head + "thread a: fsync f\nexpect happiness\n", "e.scn:4:8: unknown expectation \"happiness\""},
		{head + "thread a: fsync f\ncatches no-validate\n", "e.scn:4:20: catches needs VARIANT and at least one ORACLE"},
		{head + "thread a: fsync f\ncatches bogus data\n", "e.scn:4:9: unknown variant \"bogus\""},
		{head + "thread a: fsync f\ncatches correct data\n", "e.scn:4:9: correct must always be clean"},
		{head + "thread a: fsync f\ncatches no-validate vibes\n", "e.scn:4:21: unknown oracle \"vibes\""},
		{head + "thread a: fsync f\ncatches no-validate data\nclean no-validate\n", "e.scn:5:7: variant no-validate already has a catches or clean line (line 4)"},
		{head + "thread a: fsync f\ncatches ext4-no-recheck fsck\n", "e.scn:4:1: ext4-no-recheck is an ext4 variant; this scenario runs on xfs"},
		{head + "thread a: fsync f\ninject nowhere park\n", "e.scn:4:8: unknown injection point \"nowhere\""},
		{head + "thread a: fsync f\ninject iomap.wb.map_blocks park thread=a\n", "e.scn:4:1: a park rule needs hit=K"},
		{head + "thread a: fsync f\ninject iomap.wb.map_blocks park hit=1\n", "e.scn:4:1: a park rule needs thread=NAME"},
		{head + "thread a: fsync f\ninject iomap.wb.map_blocks fail=EPERM\n", "e.scn:4:28: fail wants EIO or ENOSPC"},
		{head + "thread a: fsync f\ninject iomap.wb.map_blocks park thread=kworker hit=1\n", "e.scn:4:1: thread kworker stalls 1 time(s) but is released 0 time(s)"},
		{head + "thread a: fsync f\nkernel fs zfs\n", "e.scn:4:11: unknown kernel fs \"zfs\""},
		{head + "thread a: fsync f\nkernel skip\n", "e.scn:4:12: kernel skip needs text"},
		{head + "thread a: fsync f\nsource\n", "e.scn:4:7: source needs text"},
		{"scenario t\nscenario u\n", "e.scn:2:1: second scenario line"},
		{"scenario t\nfs ext4 cowextsize=1m\nthread a: fsync f\n", "e.scn:2:9: fs option cowextsize is for xfs"},
		{"scenario t\nfs xfs cowextsize=6000\nthread a: fsync f\n", "e.scn:2:8: cowextsize=6000: the COW extent size hint is whole 4k blocks"},
		{head + "thread a: reflink f g\n", "e.scn:3:11: reflink belongs in a setup or after line"},
		{head + "setup reflink f\nthread a: fsync f\n", "e.scn:3:16: reflink needs SRC DST"},
		{head + "setup reflink f f\nthread a: fsync f\n", "e.scn:3:17: reflink of f onto itself"},
		{"scenario t\nfs ext4\nsetup reflink f g\nthread a: fsync f\n", "e.scn:3:7: reflink needs fs xfs"},
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

func TestParseAccepts(t *testing.T) {
	for _, src := range []string{
		head + "thread a: pwrite f 0 8k stall-at=4k\nthread b: await a.stalled ; map-store f 8k 1 ; sync-range f 0 8k ; release a\n",
		head + "thread a: pwrite f 0 8k\nthread b: await a.done ; truncate f 0\n",
		head + "thread a: pwrite f 0 8k\nthread b: map-store f 4k 1 ; truncate f 1M ; punch f 0 4k\n",                // ordered by await done
		head + "thread a: pwrite f 0 8k fault-at=4k\nthread b: map-store f 6k 1\n",                                   // short write
		head + "thread a: pwrite f 0 64k stall-at=32k\nthread b: await a.stalled ; map-store f 40k 4k ; release a\n", // after the stall
		head + "thread a: pwrite f 0 8k\nthread b: map-store g 0 8k\nthread c: fallocate f 0 1M\n",                   // other file; no footprint
		head + "thread a: pwrite f 0 8k ; \n",
		head + "setup pwrite f 0 16k\nthread a: reclaim f 8k 4k park-at=reclaim.evict\nthread b: await a.parked ; map-load f 0 4k ; release a\n", // another folio                                                                        // trailing ';'
		"scenario t\nfs xfs cowextsize=1m\nsetup pwrite f 0 8k ; reflink f g\nthread a: pwrite g 0 4k\nafter reflink g h\n",
		"scenario t\nfs ext4 iomap\nthread a: pread f 0 1\nthread w: pwrite f 0 1 stall-at=0 fill='x'\nthread b: await w.stalled ; pread f 0 1 ; release w\n",
	} {
		if _, err := Parse("ok.scn", []byte(src)); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
}

func TestSizes(t *testing.T) {
	for s, want := range map[string]int64{"0": 0, "4096": 4096, "4k": 4096, "4K": 4096, "2M": 2 << 20, "1G": 1 << 30, "0x1000": 4096, "0x10k": 16 << 10} {
		if got, err := ParseSize(s); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "k", "-1", "+1", "1_000", "0x", "1.5k", "4kk"} {
		if _, err := ParseSize(s); err == nil {
			t.Errorf("ParseSize(%q) accepted", s)
		}
	}
	for n, want := range map[int64]string{0: "0", 4096: "4k", 36865: "36865", 2 << 20: "2M", 3 << 30: "3G"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %s", n, got)
		}
	}
}
