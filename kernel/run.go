package kernel

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	"iomaplab/check"
	"iomaplab/kernel/tracefs"
	"iomaplab/vfs"
)

// Config is one `iomaplab kernel` invocation, already planned.
type Config struct {
	Cells      []Cell
	Runs       int    // runs per cell
	ScratchDev string // user device instead of loop images ("" = images)
	Destroy    bool   // --destroy: the device may hold a filesystem
	// Undirected runs the window's operations concurrently with an
	// unparked write instead of inside a userfaultfd window.
	Undirected bool
	MinRate    float64       // evidence expectation for stale cells on XFS (default 0.99)
	Watchdog   time.Duration // longest a fault stays unresolved (default 10s)
	OpTimeout  time.Duration // a window op slower than this blocked (default 2s)
	Progress   io.Writer     // per-cell lines for humans; nil = quiet
	// OnParked runs in the fault-window goroutine when a writer has parked,
	// before the window (tests inject signals and panics here).
	OnParked func()
}

func (c *Config) defaults() {
	if c.Runs <= 0 {
		c.Runs = 20
	}
	if c.MinRate == 0 {
		c.MinRate = 0.99
	}
	if c.Watchdog == 0 {
		c.Watchdog = 10 * time.Second
	}
	if c.OpTimeout == 0 {
		c.OpTimeout = 2 * time.Second
	}
}

// Evidence events: enabled when the kernel has them, filtered per run by
// device and inode.
const (
	evInvalid   = "xfs_iomap_invalid"
	evWBInvalid = "xfs_wb_data_iomap_invalid"
	evIter      = "iomap_iter"
)

var traceEvents = []string{"xfs/" + evInvalid, "xfs/" + evWBInvalid, "iomap/" + evIter, "xfs/xfs_map_blocks_alloc"}

type runner struct {
	cfg   Config
	sup   *Supervisor
	ws    *Workspace
	kmsg  *Kmsg
	trace *tracefs.Instance
	have  map[string]bool // trace events present
	// devUsed: the --scratch-dev device already got a filesystem of ours.
	devUsed bool
}

// Run runs every planned cell. Everything it creates is registered with
// sup and released before it returns; an error is an environment problem
// (exit 3) when it is an *EnvError.
func Run(sup *Supervisor, cfg Config) (rep *Report, err error) {
	cfg.defaults()
	r := &runner{cfg: cfg, sup: sup, have: map[string]bool{}}
	defer func() {
		if cerr := sup.Cleanup(); err == nil && cerr != nil {
			err = fmt.Errorf("cleanup: %w", cerr)
		}
	}()
	defer sup.Recover("kernel runner")
	if r.kmsg, err = OpenKmsg(); err != nil {
		return nil, err
	}
	sup.Defer("close /dev/kmsg", r.kmsg.Close)
	if r.ws, err = NewWorkspace(sup); err != nil {
		return nil, err
	}
	if err := r.openTrace(); err != nil {
		return nil, err
	}
	rep = &Report{Kernel: kernelRelease(), Runs: cfg.Runs, Undirected: cfg.Undirected, MinRate: cfg.MinRate}
	for _, fstype := range fsOrder(cfg.Cells) {
		cells, err := r.runFS(fstype)
		rep.Cells = append(rep.Cells, cells...)
		if err != nil {
			return rep, err
		}
	}
	rep.finish()
	return rep, nil
}

func (r *runner) openTrace() error {
	priv := filepath.Join(r.ws.Dir, "tracefs")
	if err := os.Mkdir(priv, 0o700); err != nil {
		return err
	}
	r.sup.Defer("rmdir "+priv, func() error { return os.Remove(priv) })
	in, err := tracefs.Create(fmt.Sprintf("iomaplab-%d", os.Getpid()), priv)
	if err != nil {
		return &EnvError{fmt.Sprintf("tracefs: %v", err)}
	}
	r.trace = in
	r.sup.Defer("remove tracefs instance", in.Close)
	var on []string
	for _, e := range traceEvents {
		if in.Has(e) {
			on = append(on, e)
			r.have[filepath.Base(e)] = true
		}
	}
	if len(on) > 0 {
		if err := in.Enable(on...); err != nil {
			return &EnvError{err.Error()}
		}
	}
	return nil
}

func fsOrder(cells []Cell) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range cells {
		if !seen[c.FS] {
			seen[c.FS] = true
			out = append(out, c.FS)
		}
	}
	return out
}

// runFS makes one scratch filesystem and runs its cells on it, one batch
// per cell; the filesystem is gone when it returns.
func (r *runner) runFS(fstype string) ([]CellReport, error) {
	var s *Scratch
	var err error
	if r.cfg.ScratchDev != "" {
		// After the first filesystem the device holds only what we made.
		s, err = r.ws.UseDevice(r.cfg.ScratchDev, fstype, r.cfg.Destroy || r.devUsed)
		r.devUsed = true
	} else {
		s, err = r.ws.NewScratch(fstype)
	}
	if err != nil {
		return nil, err
	}
	r.kmsg.Watch(s)
	fsys := NewFS(r.sup, s)
	fsys.Watchdog = r.cfg.Watchdog
	var out []CellReport
	for _, c := range r.cfg.Cells {
		if c.FS != fstype {
			continue
		}
		cr := r.batch(fsys, c.Scenario)
		if r.cfg.Progress != nil {
			fmt.Fprintln(r.cfg.Progress, cr.progressLine())
		}
		out = append(out, cr)
	}
	err = fsys.Close()
	if serr := s.Close(); err == nil {
		err = serr
	}
	return out, err
}

// runResult is what one run leaves for its batch.
type runResult struct {
	file      *File
	applied   []Op // model order; the write is the parked (or racing) one
	alt       []Op // undirected: the other order, or nil
	parked    bool
	hits      int // xfs_iomap_invalid in the writer's thread
	iters     int
	wbInvalid int
	verified  bool
	dur       time.Duration
	problems  []string
	kmsg      []string // kernel log reports concerning our devices or threads
	before    Extents
	after     Extents
}

// batch runs one cell: Runs runs, then a mount cycle and a second
// verification of every file, then the files are removed.
func (r *runner) batch(fsys *FS, sc *Scenario) CellReport {
	cr := CellReport{Scenario: sc.Name, FS: fsys.Name(), Runs: r.cfg.Runs, Stale: sc.Stale}
	results := make([]*runResult, 0, r.cfg.Runs)
	for i := 1; i <= r.cfg.Runs && !r.sup.Ending(); i++ {
		res := r.runOne(fsys, sc, i)
		results = append(results, res)
		if res.file == nil {
			break
		}
	}
	remount := r.verifyAfterRemount(fsys, results)
	cr.fill(results, remount, r.have[evInvalid] && fsys.Name() == "xfs", r.cfg)
	for _, res := range results {
		if res.file != nil {
			if err := fsys.Remove(res.file); err != nil {
				cr.Violations = append(cr.Violations, fmt.Sprintf("remove %s: %v", res.file.Name(), err))
			}
		}
	}
	if n := fsys.WatchdogFired(); n > 0 {
		cr.Violations = append(cr.Violations, fmt.Sprintf("the watchdog resolved %d fault(s) nobody released", n))
	}
	cr.judge(r.cfg)
	return cr
}

type writeResult struct {
	n   int
	err error
	tid int
}

// runOne is one run of a scenario in a fresh file.
func (r *runner) runOne(fsys *FS, sc *Scenario, run int) *runResult {
	res := &runResult{}
	start := time.Now()
	fail := func(format string, args ...any) *runResult {
		res.problems = append(res.problems, fmt.Sprintf("run %d: ", run)+fmt.Sprintf(format, args...))
		res.dur = time.Since(start)
		return res
	}
	f, err := fsys.OpenFile(fmt.Sprintf("%s.%d", sc.Name, run))
	if err != nil {
		return fail("open: %v", err)
	}
	res.file = f
	ref := &check.RefFile{}
	if sc.FileSize > 0 {
		prep := Op{Kind: OpTruncate, Off: sc.FileSize}
		if err := r.apply(fsys, f, prep, run); err != nil {
			return fail("%s: %v", prep, err)
		}
		res.applied = append(res.applied, prep)
	}
	for _, op := range sc.Prep {
		if err := r.apply(fsys, f, op, run); err != nil {
			return fail("prep %s: %v", op, err)
		}
		res.applied = append(res.applied, op)
	}
	res.before, _ = f.Extents()
	r.trace.FilterAll(fmt.Sprintf("dev == %d && ino == %d", fsys.Scratch().DevT(), f.Ino()))
	r.trace.Clear()
	r.trace.Mark(fmt.Sprintf("iomaplab %s run %d: write", sc.Name, run))

	wop := Op{Kind: OpPwrite, Off: sc.Write.Off, Len: sc.Write.Len, Tag: 'W'}
	var wres writeResult
	var winOps []Op
	if r.cfg.Undirected {
		wres, winOps = r.race(fsys, f, sc, run, res)
	} else {
		wres, winOps = r.window(fsys, f, sc, run, res)
	}
	r.trace.Mark(fmt.Sprintf("iomaplab %s run %d: write returned", sc.Name, run))
	if wres.err != nil || int64(wres.n) != sc.Write.Len {
		res.problems = append(res.problems, fmt.Sprintf("run %d: the write returned %d, %v; want %d bytes", run, wres.n, wres.err, sc.Write.Len))
		wop.Len = int64(max(wres.n, 0))
	}
	if evs, err := r.trace.Read(); err == nil {
		res.hits = tracefs.Count(evs, evInvalid, wres.tid)
		res.iters = tracefs.Count(evs, evIter, wres.tid)
		res.wbInvalid = tracefs.Count(evs, evWBInvalid, -1)
	}
	if r.cfg.Undirected {
		res.alt = append(append(append([]Op{}, res.applied...), wop), winOps...)
	}
	res.applied = append(append(res.applied, winOps...), wop)
	for _, op := range res.applied {
		model(ref, op, run)
	}
	var alt *check.RefFile
	if res.alt != nil {
		alt = rebuild(res.alt, run)
	}
	res.verified = r.verify(f, ref, alt, run, res)
	probs, err := r.kmsg.Problems(ourThread)
	res.kmsg = probs
	if err != nil {
		res.problems = append(res.problems, err.Error())
	}
	res.dur = time.Since(start)
	return res
}

// window runs the write parked in its source buffer and the scenario's
// window while it is parked. It returns the write's result and the window
// operations that completed (in order: the model applies them before the
// write, which is exact because Check keeps them off the bytes the writer
// had copied before parking).
func (r *runner) window(fsys *FS, f *File, sc *Scenario, run int, res *runResult) (writeResult, []Op) {
	parked := make(chan *Park, 1)
	release := make(chan struct{})
	fsys.OnPark = func(p *Park) { // on the fault-window goroutine
		if r.cfg.OnParked != nil {
			r.cfg.OnParked()
		}
		parked <- p
		<-release
	}
	defer func() { fsys.OnPark = nil }()
	wdone := r.startWriter(f, sc, run, true)
	var wres writeResult
	var applied []Op
	timer := time.NewTimer(r.cfg.Watchdog)
	defer timer.Stop()
	select {
	case p := <-parked:
		res.parked = true
		if want := sc.Write.Off + sc.Write.StallAt/int64(os.Getpagesize())*int64(os.Getpagesize()); p.Off != want {
			res.problems = append(res.problems, fmt.Sprintf("run %d: parked at file offset %d, want %d", run, p.Off, want))
		}
		r.trace.Mark(fmt.Sprintf("iomaplab %s run %d: parked tid %d; window", sc.Name, run, p.Fault.TID))
		applied = r.runWindow(fsys, f, sc, run, res, release)
	case wres = <-wdone:
		res.problems = append(res.problems, fmt.Sprintf("run %d: the write returned (%d, %v) without parking", run, wres.n, wres.err))
		return wres, nil
	case <-timer.C:
		res.problems = append(res.problems, fmt.Sprintf("run %d: the write neither parked nor returned within %v", run, r.cfg.Watchdog))
	}
	closeOnce(release)
	wres = <-wdone
	return wres, applied
}

func closeOnce(c chan struct{}) {
	select {
	case <-c:
	default:
		close(c)
	}
}

// runWindow runs each window op on its own goroutine; an op that does not
// finish within OpTimeout while the writer is parked is a locking violation
// (Check should have rejected it). The writer is then released and the op
// waited for.
func (r *runner) runWindow(fsys *FS, f *File, sc *Scenario, run int, res *runResult, release chan struct{}) []Op {
	var applied []Op
	for _, op := range sc.Window {
		done := make(chan error, 1)
		r.sup.Go("window op "+op.String(), func() { done <- r.apply(fsys, f, op, run) })
		select {
		case err := <-done:
			if err != nil {
				res.problems = append(res.problems, fmt.Sprintf("run %d: window %s: %v", run, op, err))
				continue
			}
			applied = append(applied, op)
		case <-time.After(r.cfg.OpTimeout):
			res.problems = append(res.problems, fmt.Sprintf("run %d: window %s blocked for %v while the writer was parked", run, op, r.cfg.OpTimeout))
			closeOnce(release)
			if err := <-done; err == nil {
				applied = append(applied, op) // it ran after the write; the model is only approximate now
			}
			return applied
		}
	}
	return applied
}

// race is the undirected run: the write (no stall) and the window's
// operations start together and race freely.
func (r *runner) race(fsys *FS, f *File, sc *Scenario, run int, res *runResult) (writeResult, []Op) {
	wdone := r.startWriter(f, sc, run, false)
	errs := make([]chan error, len(sc.Window))
	for i, op := range sc.Window {
		errs[i] = make(chan error, 1)
		r.sup.Go("racing "+op.String(), func() { errs[i] <- r.apply(fsys, f, op, run) })
	}
	var applied []Op
	for i, op := range sc.Window {
		if err := <-errs[i]; err != nil {
			res.problems = append(res.problems, fmt.Sprintf("run %d: %s: %v", run, op, err))
			continue
		}
		applied = append(applied, op)
	}
	return <-wdone, applied
}

// startWriter runs the scenario's write on a locked OS thread, so its thread
// id names it in the trace.
func (r *runner) startWriter(f *File, sc *Scenario, run int, stall bool) chan writeResult {
	data := pattern('W', run, sc.Write.Off, sc.Write.Len)
	buf := vfs.Plain(data)
	if stall {
		buf.StallAt = sc.Write.StallAt
	}
	wdone := make(chan writeResult, 1)
	r.sup.Go("writer", func() {
		tid := LockThread()
		defer runtime.UnlockOSThread()
		n, err := f.Pwrite(nil, buf, sc.Write.Off)
		wdone <- writeResult{n, err, tid}
	})
	return wdone
}

// apply issues op on f.
func (r *runner) apply(fsys *FS, f *File, op Op, run int) error {
	switch op.Kind {
	case OpPwrite:
		n, err := f.Pwrite(nil, vfs.Plain(pattern(op.Tag, run, op.Off, op.Len)), op.Off)
		if err == nil && int64(n) != op.Len {
			err = fmt.Errorf("short write %d", n)
		}
		return err
	case OpPread:
		_, err := f.Pread(nil, make([]byte, op.Len), op.Off)
		return err
	case OpMapStore:
		return f.MapStore(nil, pattern(op.Tag, run, op.Off, op.Len), op.Off)
	case OpMapLoad:
		return f.MapLoad(nil, make([]byte, op.Len), op.Off)
	case OpFallocate:
		return f.Fallocate(nil, op.Mode, op.Off, op.Len)
	case OpTruncate:
		return f.Truncate(nil, op.Off)
	case OpFsync:
		return f.Fsync(nil)
	case OpSyncRange:
		return f.SyncRange(nil, op.Off, op.Len)
	case OpSyncRangeWait:
		return f.SyncRangeWait(op.Off, op.Len)
	case OpFadvise:
		return f.FadviseDontneed(nil, op.Off, op.Len)
	case OpReclaim:
		return f.Reclaim(nil, op.Off, op.Len)
	case OpRemount:
		return fsys.Remount(nil)
	}
	return fmt.Errorf("unknown operation %d", op.Kind)
}

// verify checks the file three ways: the page-cache view (buffered read),
// the device's view after fsync (O_DIRECT read), and the extent map after
// fsync (every block with data under a written extent).
func (r *runner) verify(f *File, ref, alt *check.RefFile, run int, res *runResult) bool {
	ok := true
	bad := func(format string, args ...any) {
		res.problems = append(res.problems, fmt.Sprintf("run %d: ", run)+fmt.Sprintf(format, args...))
		ok = false
	}
	size, err := f.Size(nil)
	if err != nil {
		bad("stat: %v", err)
		return false
	}
	got := make([]byte, size)
	if _, err := f.Pread(nil, got, 0); err != nil {
		bad("read back: %v", err)
		return false
	}
	if m := compareEither(ref, alt, got); m != nil {
		bad("page cache: %v", m)
	}
	if err := f.Fsync(nil); err != nil {
		bad("fsync: %v", err)
		return false
	}
	direct, err := f.ReadDirect(size)
	if err != nil {
		bad("%v", err)
		return false
	}
	if m := compareEither(ref, alt, direct); m != nil {
		bad("O_DIRECT read after fsync: %v", m)
	}
	res.after, err = f.Extents()
	if err != nil {
		bad("%v", err)
	} else if off := unbackedData(res.after, ref.Bytes(), 4096); off >= 0 {
		bad("data at %d has no written extent after fsync: %v", off, res.after)
	}
	return ok
}

// verifyAfterRemount cycles the mount (dropping every cached page and
// in-core extent) and checks every file of the batch against its model
// again. It returns the problems found.
func (r *runner) verifyAfterRemount(fsys *FS, results []*runResult) []string {
	if err := fsys.Remount(nil); err != nil {
		return []string{fmt.Sprintf("remount: %v", err)}
	}
	var probs []string
	for i, res := range results {
		if res.file == nil {
			continue
		}
		run := i + 1
		ref := rebuild(res.applied, run)
		var alt *check.RefFile
		if res.alt != nil {
			alt = rebuild(res.alt, run)
		}
		size, err := res.file.Size(nil)
		if err != nil {
			probs = append(probs, fmt.Sprintf("run %d after remount: %v", run, err))
			continue
		}
		got, err := res.file.ReadDirect(size)
		if err != nil {
			probs = append(probs, fmt.Sprintf("run %d after remount: %v", run, err))
			continue
		}
		if m := compareEither(ref, alt, got); m != nil {
			probs = append(probs, fmt.Sprintf("run %d after remount: %v", run, m))
		}
	}
	return probs
}

func kernelRelease() string {
	b, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return string(trimNL(b))
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration{}, ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
