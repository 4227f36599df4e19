package fsx

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"iomaplab/fsx/internal/memfs"
	"iomaplab/lab"
	"iomaplab/vfs"
)

func memTarget(bugs memfs.Bugs) func(t *lab.Thread) (vfs.FS, error) {
	return func(t *lab.Thread) (vfs.FS, error) {
		fs := memfs.New()
		fs.Bugs = bugs
		return fs, nil
	}
}

func options(seed uint64, ops int64, threads int) Options {
	o := Defaults()
	o.Seed, o.Ops, o.Threads = seed, ops, threads
	o.RemountEvery, o.DropEvery, o.ShortEvery = 200, 100, 16
	return o
}

func mustRun(t *testing.T, cfg Config) *Result {
	t.Helper()
	res, err := Run(cfg)
	if err != nil {
		t.Fatalf("seed %d: %v", cfg.Seed, err)
	}
	return res
}

func requireClean(t *testing.T, cfg Config, res *Result) {
	t.Helper()
	if res.Failure != nil {
		var b strings.Builder
		res.Failure.Report(&b)
		t.Fatalf("seed %d threads %d controlled %v: unexpected failure:\n%s", cfg.Seed, cfg.Threads, cfg.Controlled, b.String())
	}
	if res.Ops != cfg.Ops {
		t.Fatalf("ran %d ops, want %d", res.Ops, cfg.Ops)
	}
}

func TestCleanRunsEveryKind(t *testing.T) {
	for _, threads := range []int{1, 4} {
		cfg := Config{Options: options(1, 8000, threads), Mount: memTarget(memfs.Bugs{})}
		res := mustRun(t, cfg)
		requireClean(t, cfg, res)
		for _, k := range Kinds() {
			if res.Counts[k] == 0 {
				t.Errorf("threads %d: no %s op in 8000", threads, k)
			}
		}
		if res.BytesVerified == 0 {
			t.Errorf("threads %d: no byte verified", threads)
		}
		short := 0
		for _, s := range res.Streams {
			for _, op := range s {
				if op.Short > 0 {
					short++
				}
			}
		}
		if short == 0 {
			t.Errorf("threads %d: no short write", threads)
		}
	}
}

// With several threads most data ops must run shared: the point of the
// epoch discipline.
func TestThreadsRunDataOpsShared(t *testing.T) {
	cfg := Config{Options: options(3, 8000, 4), Mount: memTarget(memfs.Bugs{})}
	res := mustRun(t, cfg)
	requireClean(t, cfg, res)
	shared, data := 0, 0
	for _, s := range res.Streams {
		for _, op := range s {
			if op.Kind <= MapWrite {
				data++
				if !op.Excl {
					shared++
				}
			}
		}
	}
	if shared*2 < data {
		t.Fatalf("only %d of %d data ops ran shared", shared, data)
	}
}

func TestControlledIsDeterministic(t *testing.T) {
	run := func() *Result {
		cfg := Config{Options: options(7, 3000, 4), Mount: memTarget(memfs.Bugs{}), Controlled: true}
		res := mustRun(t, cfg)
		requireClean(t, cfg, res)
		return res
	}
	a, b := run(), run()
	if a.Lab.Trace.Hash() != b.Lab.Trace.Hash() {
		t.Fatalf("two controlled runs of seed 7 have different traces")
	}
	var la, lb bytes.Buffer
	WriteLog(&la, Defaults(), nil, a.Streams)
	WriteLog(&lb, Defaults(), nil, b.Streams)
	if la.String() != lb.String() {
		t.Fatalf("two controlled runs of seed 7 have different op logs")
	}
	if len(a.Lab.Decisions) == 0 {
		t.Fatalf("no scheduling decision in a 4-thread controlled run")
	}
}

// corruptFS changes one byte behind fsx's back: on the Nth Pread of two
// bytes or more it first flips the stored byte in the middle of the range
// (with a Pwrite to the file underneath), then reads.
type corruptFS struct {
	vfs.FS
	n     int64
	calls atomic.Int64
	at    atomic.Int64 // the corrupted offset, -1 before
}

type corruptFile struct {
	vfs.File
	fs *corruptFS
}

func (c *corruptFS) Open(t *lab.Thread, name string) (vfs.File, error) {
	f, err := c.FS.Open(t, name)
	return corruptFile{f, c}, err
}

func (c corruptFile) Pread(t *lab.Thread, p []byte, off int64) (int, error) {
	if len(p) >= 2 && c.fs.calls.Add(1) == c.fs.n {
		pos := off + int64(len(p)/2)
		var b [1]byte
		if n, _ := c.File.Pread(t, b[:], pos); n == 1 {
			c.File.Pwrite(t, vfs.Plain([]byte{^b[0]}), pos)
			c.fs.at.Store(pos)
		}
	}
	return c.File.Pread(t, p, off)
}

func TestCorruptionIsReportedAtItsOffset(t *testing.T) {
	for _, tc := range []struct {
		threads    int
		controlled bool
		n          int64
	}{{1, false, 300}, {1, false, 1}, {4, true, 250}} {
		c := &corruptFS{n: tc.n}
		c.at.Store(-1)
		opt := options(11, 4000, tc.threads)
		// corruptFile has no copy op, so copy is fsx's pread + pwrite: a
		// copy whose pread flips the byte would carry it elsewhere too.
		opt.Disabled = opt.Disabled.With(Copy)
		cfg := Config{Options: opt, Controlled: tc.controlled,
			Mount: func(t *lab.Thread) (vfs.FS, error) { c.FS = memfs.New(); return c, nil }}
		res := mustRun(t, cfg)
		f := res.Failure
		if f == nil {
			t.Fatalf("%+v: corruption at %d not noticed", tc, c.at.Load())
		}
		if f.Err != nil || f.SizeMismatch || f.Off != c.at.Load() {
			t.Fatalf("%+v: corrupted offset %d, reported %s", tc, c.at.Load(), f.Summary())
		}
		var rep strings.Builder
		f.Report(&rep)
		if !strings.Contains(rep.String(), "0x"+strconv.FormatInt(f.Off, 16)) || !strings.Contains(rep.String(), "> 0x") {
			t.Fatalf("report lacks the offset or the marked dump line:\n%s", rep.String())
		}
		covered := false
		for _, op := range f.Touching {
			covered = covered || op.Kind == Read && op.Touches(f.File, f.Off)
		}
		if !covered {
			t.Fatalf("%+v: the read that found it is not among the ops touching the bad byte:\n%s", tc, rep.String())
		}
	}
}

func TestBugsAreCaught(t *testing.T) {
	for _, tc := range []struct {
		name  string
		bugs  memfs.Bugs
		stage string
	}{
		{"punch keeps data", memfs.Bugs{PunchKeepsData: true}, ""},
		{"remount loses tail", memfs.Bugs{RemountLosesTail: true}, "check after remount"},
		{"short write stores all", memfs.Bugs{ShortWriteStoresAll: true}, ""},
	} {
		cfg := Config{Options: options(5, 5000, 1), Mount: memTarget(tc.bugs)}
		res := mustRun(t, cfg)
		if res.Failure == nil {
			t.Fatalf("%s: not caught", tc.name)
		}
		if tc.stage != "" && res.Failure.Stage != tc.stage {
			t.Fatalf("%s: caught at %s, want %s", tc.name, res.Failure.Summary(), tc.stage)
		}
	}
}

func TestTargetCheckRunsAfterRemounts(t *testing.T) {
	calls, finals := 0, 0
	cfg := Config{Options: options(4, 2000, 2), Mount: memTarget(memfs.Bugs{}),
		Check: func(t *lab.Thread, final bool) error {
			calls++
			if final {
				finals++
			}
			return nil
		}}
	res := mustRun(t, cfg)
	requireClean(t, cfg, res)
	if int64(calls) != res.Counts[Remount]+1 || finals != 1 {
		t.Fatalf("check ran %d times (%d final) for %d remounts", calls, finals, res.Counts[Remount])
	}
	cfg.Check = func(t *lab.Thread, final bool) error { return errors.New("fsck: broken") }
	res = mustRun(t, cfg)
	if f := res.Failure; f == nil || f.Stage != "target check after remount" || f.Err.Error() != "fsck: broken" {
		t.Fatalf("a failing target check: %+v", res.Failure)
	}
}

// A thread that panics inside the target must end the run with the panic
// reported, not leave the others waiting for the harness lock it held.
func TestPanicInTargetEndsTheRun(t *testing.T) {
	for _, controlled := range []bool{false, true} {
		cfg := Config{Options: options(9, 2000, 4), Controlled: controlled,
			Mount: memTarget(memfs.Bugs{PanicOnTruncate: true})}
		res := mustRun(t, cfg)
		f := res.Failure
		if f == nil || f.Stage != "lab" || !strings.Contains(f.Err.Error(), "memfs: truncate bug") {
			t.Fatalf("controlled %v: want the panic reported, got %+v", controlled, f)
		}
		if f.Op == nil || f.Op.Kind != Truncate && f.Op.Kind != MapWrite {
			t.Fatalf("controlled %v: the failure names op %v, not the truncate it died in", controlled, f.Op)
		}
	}
}

// A free run whose worker died may never return (the others wait for a
// lock the dead one held): run gives up AbandonAfter after the death and
// counts the threads that did not finish.
func TestStuckRunIsAbandoned(t *testing.T) {
	h := &harness{cfg: &Config{Options: Options{Threads: 2}, AbandonAfter: 50 * time.Millisecond}}
	never := make(chan struct{})
	defer close(never) // let the stuck thread go at the end of the test
	w := lab.NewFree()
	lr, stuck := h.run(w, func(t *lab.Thread) {
		h.finished.Add(1) // one worker finished, one died
		h.noteDeath()
		<-never // stuck outside lab, as on a lock the dead thread held
	})
	if lr.OK() || stuck != 1 {
		t.Fatalf("run returned %v with %d stuck, want a failed run with 1 stuck", lr, stuck)
	}
}

func TestLogRoundTripAndReplay(t *testing.T) {
	for _, threads := range []int{1, 3} {
		cfg := Config{Options: options(21, 3000, threads), Mount: memTarget(memfs.Bugs{})}
		res := mustRun(t, cfg)
		requireClean(t, cfg, res)
		var buf bytes.Buffer
		if err := WriteLog(&buf, cfg.Options, map[string]string{"target": "memfs"}, res.Streams); err != nil {
			t.Fatal(err)
		}
		l, err := ReadLog(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("threads %d: %v", threads, err)
		}
		if l.Options != cfg.Options {
			t.Fatalf("options round trip: %+v, want %+v", l.Options, cfg.Options)
		}
		rcfg := Config{Options: l.Options, Mount: memTarget(memfs.Bugs{}), Replay: l.Streams}
		rres := mustRun(t, rcfg)
		requireClean(t, rcfg, rres)
		var again bytes.Buffer
		WriteLog(&again, cfg.Options, map[string]string{"target": "memfs"}, rres.Streams)
		if again.String() != buf.String() {
			t.Fatalf("threads %d: replay ran a different stream", threads)
		}
	}
}

func TestReplayReproducesFailure(t *testing.T) {
	cfg := Config{Options: options(5, 5000, 1), Mount: memTarget(memfs.Bugs{PunchKeepsData: true})}
	res := mustRun(t, cfg)
	if res.Failure == nil {
		t.Fatal("punch bug not caught")
	}
	var buf bytes.Buffer
	WriteLog(&buf, cfg.Options, nil, res.Streams)
	l, err := ReadLog(&buf)
	if err != nil {
		t.Fatal(err)
	}
	rres := mustRun(t, Config{Options: l.Options, Mount: memTarget(memfs.Bugs{PunchKeepsData: true}), Replay: l.Streams})
	if rres.Failure == nil || rres.Failure.Summary() != res.Failure.Summary() {
		t.Fatalf("replay: %v, want %s", rres.Failure, res.Failure.Summary())
	}
	clean := mustRun(t, Config{Options: l.Options, Mount: memTarget(memfs.Bugs{}), Replay: l.Streams})
	if clean.Failure != nil {
		t.Fatalf("replay on a correct target failed: %s", clean.Failure.Summary())
	}
}

func TestBadLogsAreRejected(t *testing.T) {
	head := logMagic + "\n# options: " + options(1, 10, 2).String() + "\n"
	for _, body := range []string{
		"1 t0 e0 write f0 0x0 0x10 size=0x0 x\n2 t1 e0 truncate f0 0x0 0x0 size=0x10 x\n", // epoch 0 ended twice
		"1 t0 e1 read f0 0x0 0x10 size=0x0\n",                                             // epoch 1 never starts
		"1 t0 e0 truncate f0 0x0 0x0 size=0x0\n",                                          // truncate shared
		"1 t0 e0 read f3 0x0 0x10 size=0x0\n",                                             // no file 3
		"1 t0 e0 scribble f0 0x0 0x10 size=0x0\n",
	} {
		if _, err := ReadLog(strings.NewReader(head + body)); err == nil {
			t.Errorf("accepted %q", body)
		}
	}
	if _, err := ReadLog(strings.NewReader("hello\n")); err == nil {
		t.Error("accepted a file without the magic line")
	}
}

// A log of several threads shrinks under the controlled scheduler, and the
// result replays to the same failure with the same seed.
func TestShrinkThreadedLogControlled(t *testing.T) {
	bugs := memfs.Bugs{PunchKeepsData: true}
	o := options(6, 2000, 3)
	cfg := Config{Options: o, Controlled: true, Mount: memTarget(bugs)}
	res := mustRun(t, cfg)
	if res.Failure == nil {
		t.Fatal("punch bug not caught")
	}
	if _, _, err := Shrink(Config{Options: o, Mount: memTarget(bugs)}, res.Streams, 10); err == nil {
		t.Fatal("shrinking a threaded log in free mode was accepted")
	}
	shrunk, mres, err := Shrink(cfg, res.Streams, 2000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range shrunk {
		n += len(s)
	}
	if mres.Failure == nil || n > 6 || len(shrunk) != 3 {
		t.Fatalf("shrunk %d ops to %d over %d threads", res.Ops, n, len(shrunk))
	}
	var buf bytes.Buffer
	WriteLog(&buf, o, nil, shrunk)
	l, err := ReadLog(&buf)
	if err != nil {
		t.Fatalf("shrunk log does not parse: %v", err)
	}
	again := mustRun(t, Config{Options: l.Options, Controlled: true, Mount: memTarget(bugs), Replay: l.Streams})
	if again.Failure == nil || again.Failure.Summary() != mres.Failure.Summary() {
		t.Fatalf("replay of the shrunk log: %v, want %s", again.Failure, mres.Failure.Summary())
	}
}

// TestLong runs the acceptance sizes on memfs; set FSX_LONG=1.
func TestLong(t *testing.T) {
	if os.Getenv("FSX_LONG") == "" {
		t.Skip("set FSX_LONG=1")
	}
	for _, cfg := range []Config{
		{Options: options(1, 200000, 1)},
		{Options: options(1, 200000, 4)},
		{Options: options(1, 20000, 4), Controlled: true},
	} {
		cfg.Mount = memTarget(memfs.Bugs{})
		requireClean(t, cfg, mustRun(t, cfg))
	}
}

func TestShrinkFindsTheBuggyOps(t *testing.T) {
	bugs := memfs.Bugs{PunchKeepsData: true}
	o := options(5, 3000, 1)
	o.RemountEvery, o.DropEvery = 0, 0
	o.Disabled = o.Disabled.With(Remount).With(DropCaches)
	cfg := Config{Options: o, Mount: memTarget(bugs)}
	res := mustRun(t, cfg)
	if res.Failure == nil {
		t.Fatal("punch bug not caught")
	}
	shrunk, mres, err := Shrink(cfg, res.Streams, 2000)
	if err != nil {
		t.Fatal(err)
	}
	min := shrunk[0]
	if mres.Failure == nil || len(min) >= len(res.Streams[0]) {
		t.Fatalf("shrunk %d ops to %d", len(res.Streams[0]), len(min))
	}
	// A punch that keeps data needs data and a punch over it: a write or
	// mapwrite, then the punch; the final check reads it.
	kinds := map[Kind]bool{}
	for _, op := range min {
		kinds[op.Kind] = true
	}
	if len(min) > 3 || !kinds[Punch] {
		t.Fatalf("shrunk to %d ops, want at most 3 with a punch: %v", len(min), min)
	}
}
