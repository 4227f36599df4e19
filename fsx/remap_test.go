package fsx

import (
	"strings"
	"testing"

	"iomaplab/fsx/internal/memfs"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// replayLog runs a hand-written one-thread log on memfs with bugs.
func replayLog(t *testing.T, bugs memfs.Bugs, body string) *Result {
	t.Helper()
	o := options(1, 0, 1)
	o.Files = 2
	l, err := ReadLog(strings.NewReader(logMagic + "\n# options: " + o.String() + "\n" + body))
	if err != nil {
		t.Fatal(err)
	}
	return mustRun(t, Config{Options: l.Options, Mount: memTarget(bugs), Replay: l.Streams})
}

// The self-test of the clone oracle: a clone the target reports done but
// does not do is caught at the first byte of the destination whose
// expected (cloned) byte differs from the one left there.
func TestSilentCloneIsReportedAtItsOffset(t *testing.T) {
	const log = "1 t0 e0 write f1 0x0 0x2000 size=0x0 x\n" +
		"2 t0 e1 write f0 0x0 0x8000 size=0x0 x\n" +
		"3 t0 e2 clone f0 0x5000 0x2000 size=0x8000 src=f1:0x0 x\n" +
		"4 t0 e3 read f0 0x4000 0x4000 size=0x8000\n"
	if res := replayLog(t, memfs.Bugs{}, log); res.Failure != nil {
		t.Fatalf("clean target: %s", res.Failure.Summary())
	}
	res := replayLog(t, memfs.Bugs{CloneDoesNothing: true}, log)
	f := res.Failure
	if f == nil || f.Err != nil || f.SizeMismatch || f.Op == nil || f.Op.ID != 4 {
		t.Fatalf("want a data mismatch found by the read, op 4; got %v", f)
	}
	// Op 1's byte 0 is 0x01, op 2's byte 0x5000 is 0x02: the first byte differs.
	if f.File != 0 || f.Off != 0x5000 {
		t.Fatalf("reported fsx.%d offset 0x%x, want fsx.0 0x5000: %s", f.File, f.Off, f.Summary())
	}
	var touching []Kind
	for _, op := range f.Touching {
		touching = append(touching, op.Kind)
	}
	if len(touching) != 3 || touching[1] != Clone {
		t.Fatalf("ops touching the bad byte: %v, want write, clone, read", touching)
	}
}

// A clone and a copy past EOF zero the gap and extend the file; a skipped
// op (Len 0) does nothing; with one thread the oracle knows whether a
// dedupe's ranges are equal.
func TestRemapOracle(t *testing.T) {
	const log = "1 t0 e0 write f0 0x0 0x3000 size=0x0 x\n" +
		"2 t0 e1 clone f1 0x6000 0x2000 size=0x0 src=f0:0x1000 x\n" +
		"3 t0 e2 copy f1 0x9001 0x777 size=0x8000 src=f0:0x123 x\n" +
		"4 t0 e3 copy f0 0x0 0x0 size=0x3000 src=f0:0x0 x\n" +
		"5 t0 e4 dedupe f1 0x6000 0x2000 size=0x9778 src=f0:0x1000\n" +
		"6 t0 e4 dedupe f1 0x0 0x1000 size=0x9778 src=f0:0x1000\n" +
		"7 t0 e4 read f1 0x0 0x9778 size=0x9778\n"
	res := replayLog(t, memfs.Bugs{}, log)
	if res.Failure != nil {
		t.Fatalf("%s", res.Failure.Summary())
	}
	if res.DedupeShared != 1 || res.Skipped[Copy] != 1 {
		t.Fatalf("dedupes shared %d (want 1), copies skipped %d (want 1)", res.DedupeShared, res.Skipped[Copy])
	}
	res = replayLog(t, memfs.Bugs{DedupeCopies: true}, log)
	if f := res.Failure; f == nil || f.Op == nil || f.Op.ID != 6 || f.Err == nil || !strings.Contains(f.Err.Error(), "same=true") {
		t.Fatalf("a dedupe of differing ranges that shares: got %v", f)
	}
}

// Generated runs catch the remap bugs, with one thread and with four (a
// dedupe that copies is then a data mismatch, found later).
func TestRemapBugsAreCaught(t *testing.T) {
	for _, bugs := range []memfs.Bugs{{CloneDoesNothing: true}, {DedupeCopies: true}} {
		for _, threads := range []int{1, 4} {
			o := options(3, 5000, threads)
			o.Files = 2
			res := mustRun(t, Config{Options: o, Mount: memTarget(bugs)})
			if res.Failure == nil {
				t.Errorf("%+v threads %d: not caught", bugs, threads)
			}
		}
	}
}

// A target whose files have no clone, dedupe or copy op gets clone and
// dedupe disabled by the probe and copy run as pread + pwrite.
func TestProbeDisablesRemap(t *testing.T) {
	o := options(2, 3000, 2)
	cfg := Config{Options: o, Mount: func(t *lab.Thread) (vfs.FS, error) { return plainFS{memfs.New()}, nil }}
	res := mustRun(t, cfg)
	requireClean(t, cfg, res)
	if !res.Disabled.Has(Clone) || !res.Disabled.Has(Dedupe) || res.Disabled.Has(Copy) || !res.CopyGeneric {
		t.Fatalf("disabled %s, copy generic %v", res.Disabled, res.CopyGeneric)
	}
	if res.Counts[Clone]+res.Counts[Dedupe] != 0 || res.Counts[Copy] == 0 {
		t.Fatalf("ran %d clones, %d dedupes, %d copies", res.Counts[Clone], res.Counts[Dedupe], res.Counts[Copy])
	}
}

// plainFS hides memfs's optional interfaces: its files are only vfs.Files.
type plainFS struct{ *memfs.FS }

func (p plainFS) Open(t *lab.Thread, name string) (vfs.File, error) {
	f, err := p.FS.Open(t, name)
	return struct{ vfs.File }{f}, err
}

func TestRemapOpsRoundTrip(t *testing.T) {
	for _, line := range []string{
		"7 t1 e3 clone f0 0x5000 0x2000 size=0x8000 src=f1:0x3000 x",
		"8 t0 e2 dedupe f1 0x0 0x1000 size=0x9778 src=f0:0x1000",
		"9 t2 e4 copy f0 0x9001 0x0 size=0x1000 src=f0:0x123 x",
		"10 t2 e4 clone f0 0x9000 0x1000 size=0xc000 src=f0:0x3000", // inside the thread's slice: shared
	} {
		op, err := ParseOp(line)
		if err != nil || op.String() != line {
			t.Errorf("%q: parsed %v (%v), prints %q", line, op, err, op.String())
		}
	}
	for _, bad := range []string{
		"7 t0 e3 clone f0 0x5000 0x2000 size=0x8000 x",             // no source
		"7 t0 e3 write f0 0x5000 0x2000 size=0x8000 src=f0:0x0 x",  // source on a write
		"7 t0 e3 dedupe f0 0x5000 0x2000 size=0x8000 src=f0:0x0 x", // dedupe exclusive
		"7 t0 e3 copy f0 0x5000 0x2000 size=0x8000 src=f0",         // no source offset
		"7 t0 e3 clone f0 0x5000 0x2000 size=0x8000 src=0x0 x",     // no file
	} {
		if _, err := ParseOp(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

// With threads, some clones and copies run shared inside their thread's
// slice and the others exclusively; dedupes always run shared; the oracle
// stays exact (free and controlled).
func TestRemapUnderThreads(t *testing.T) {
	for _, controlled := range []bool{false, true} {
		o := options(8, 6000, 4)
		o.Files = 2
		cfg := Config{Options: o, Controlled: controlled, Mount: memTarget(memfs.Bugs{})}
		res := mustRun(t, cfg)
		requireClean(t, cfg, res)
		var shared, excl [numKinds]int
		for _, s := range res.Streams {
			for _, op := range s {
				if op.Kind.remap() && op.Len > 0 {
					if op.Excl {
						excl[op.Kind]++
					} else {
						shared[op.Kind]++
					}
				}
			}
		}
		if shared[Clone] == 0 || excl[Clone] == 0 || shared[Copy] == 0 || excl[Copy] == 0 || shared[Dedupe] == 0 || excl[Dedupe] != 0 {
			t.Errorf("controlled %v: shared %v, exclusive %v", controlled, shared, excl)
		}
		if res.DedupeShared == 0 {
			t.Errorf("controlled %v: no dedupe found equal ranges", controlled)
		}
	}
}
