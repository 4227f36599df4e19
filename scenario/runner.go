package scenario

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"

	"iomaplab/check"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// Run runs sc once on target in a new world built from sc.Config(cfg). In a
// controlled world the caller has already called cfg.Strategy.NewSchedule.
//
// The run's main thread mounts, opens the files, runs setup, spawns one lab
// thread per scenario thread (named as in the scenario, so await/release
// and inject thread= find them), waits for them, runs after, then the data
// oracle and target.Check (page cache view; remount; on-disk view).
func Run(sc *Scenario, target Target, cfg lab.Config) *Verdict {
	v := &Verdict{Scenario: sc.Name}
	if s, ok := target.(Supporter); ok {
		if err := s.Supports(sc.FS); err != nil {
			v.Skipped = err.Error()
			return v
		}
	}
	if op, ok := sc.awaitsBlocked(); ok && !cfg.Controlled {
		v.Skipped = fmt.Sprintf("await %s.blocked (line %d) needs a controlled world: a free world cannot see which lock a thread waits for", op.Thread, op.Pos.Line)
		return v
	}
	w := lab.NewWorld(sc.Config(cfg))
	r := newRun(sc, target)
	v.Result = w.Run(r.main)
	r.mu.Lock()
	defer r.mu.Unlock()
	v.OpErrors = r.opErrs
	if u, ok := target.(Unmounter); ok && r.fsys != nil && v.Result.Outcome != lab.WatchdogFired {
		if err := u.Unmount(r.fsys); err != nil {
			v.OpErrors = append(v.OpErrors, OpError{Thread: "main", Op: Op{Kind: OpRemount, Pos: sc.FS.Pos}, Err: fmt.Errorf("unmount: %w", err)})
		}
	}
	v.Violations = append(resultViolation(target, v.Result), r.violations...)
	if v.Result.Outcome == lab.Deadlock {
		if e := r.misuse(v.Result.Message, r.awaiting); e != nil {
			v.ScenarioError, v.Violations = e, r.violations
		}
	}
	for _, name := range sc.Files() {
		if r.uncertain[name] {
			v.Unchecked = append(v.Unchecked, name)
		}
	}
	v.Evidence = evidence(sc, target, w)
	if op, ok := unsupported(v.OpErrors); ok {
		// The target cannot run the scenario as written: its findings mean nothing.
		v.Skipped = fmt.Sprintf("%s is not supported by this target (line %d)", op.Kind, op.Pos.Line)
		v.Violations, v.Evidence = nil, nil
	}
	return v
}

// awaitsBlocked finds an await T.blocked.
func (sc *Scenario) awaitsBlocked() (Op, bool) {
	for _, th := range sc.Threads {
		for _, op := range th.Ops {
			if op.Kind == OpAwait && op.Blocked {
				return op, true
			}
		}
	}
	return Op{}, false
}

// unsupported finds an op the target refused with EOPNOTSUPP.
func unsupported(errs []OpError) (Op, bool) {
	for _, e := range errs {
		if errors.Is(e.Err, syscall.EOPNOTSUPP) {
			return e.Op, true
		}
	}
	return Op{}, false
}

// resultViolation turns a run the lab cut short into a violation.
func resultViolation(target Target, res *lab.Result) []Violation {
	var class string
	switch res.Outcome {
	case lab.Completed, lab.Diverged:
		return nil // Diverged is the replayer's business, not a verdict
	case lab.Failed:
		if class = target.Classify(res.Message); class == "" {
			if class = ClassifyByPrefix(res.Message); class == "" {
				class = "failed"
			}
		}
	case lab.Deadlock:
		class = ClassDeadlock
	case lab.Panicked:
		class = ClassPanic
	case lab.StepLimit:
		class = ClassStepLimit
	case lab.WatchdogFired:
		class = "watchdog"
	}
	msg := res.Message
	if res.Thread != "" {
		msg = fmt.Sprintf("(thread %s) %s", res.Thread, msg)
	}
	return []Violation{{Oracle: class, Message: msg}}
}

func evidence(sc *Scenario, target Target, w *lab.World) []EvidenceResult {
	var out []EvidenceResult
	for _, e := range sc.Expect {
		if e.Evidence == "" {
			continue
		}
		got, known := target.Evidence(w, e.Evidence)
		if !known && e.Evidence != "reachable" {
			name := e.Evidence
			if alias := EvidenceAliases[name]; alias != "" {
				name = alias
			}
			got, known = w.Trace().Count(name), true
		}
		out = append(out, EvidenceResult{Expectation: e, Got: got, Known: known, Met: known && compare(got, e.Cmp, e.N)})
	}
	return out
}

// run is one execution's state. Scenario threads touch it concurrently in a
// free world, so mu guards the reference model and the findings; it is never
// held across a call into the target.
type run struct {
	sc     *Scenario
	target Target
	fsys   vfs.FS
	files  map[string]vfs.File

	mu         sync.Mutex
	ref        map[string]*check.RefFile
	hist       map[string]history
	released   map[string]int64 // per thread name: clock when it was last released
	awaiting   map[string]Op    // per thread name: the await it is blocked in
	uncertain  map[string]bool
	opErrs     []OpError
	violations []Violation

	clock atomic.Int64            // orders op starts and returns (history)
	done  map[string]*atomic.Bool // per scenario thread, set when it returns or unwinds
	// returned: per scenario thread, set when it ran all its ops.
	returned map[string]*atomic.Bool
	ndone    atomic.Int32
	doneEv   lab.Event
}

func newRun(sc *Scenario, target Target) *run {
	r := &run{sc: sc, target: target, files: map[string]vfs.File{}, ref: map[string]*check.RefFile{}, hist: map[string]history{}, released: map[string]int64{}, awaiting: map[string]Op{},
		uncertain: map[string]bool{}, done: map[string]*atomic.Bool{}, returned: map[string]*atomic.Bool{}, doneEv: lab.Event{Name: "scenario-thread-done"}}
	for _, th := range sc.Threads {
		r.done[th.Name] = new(atomic.Bool)
		r.returned[th.Name] = new(atomic.Bool)
	}
	return r
}

func (r *run) opError(thread string, op Op, err error) {
	r.mu.Lock()
	r.opErrs = append(r.opErrs, OpError{Thread: thread, Op: op, Err: err})
	r.mu.Unlock()
}

func (r *run) main(t *lab.Thread) {
	fsys, err := r.target.Mount(t, r.sc.FS)
	if err != nil {
		r.opError("main", Op{Pos: r.sc.FS.Pos}, fmt.Errorf("mount: %w", err))
		return
	}
	r.fsys = fsys
	for _, name := range r.sc.Files() {
		f, err := fsys.Open(t, name)
		if err != nil {
			r.opError("main", Op{Pos: r.sc.FS.Pos}, fmt.Errorf("open %s: %w", name, err))
			return
		}
		r.files[name] = f
		r.ref[name] = &check.RefFile{}
	}
	for _, op := range r.sc.Setup {
		if !r.exec(t, "main", op) {
			return // the scenario cannot start as written
		}
	}
	for _, th := range r.sc.Threads {
		t.Go(th.Name, func(u *lab.Thread) {
			// Deferred: a thread an oracle stops (Thread.Fail) must still
			// count as returned, or a free world's main thread waits forever.
			defer func() {
				r.done[th.Name].Store(true)
				r.ndone.Add(1)
				r.doneEv.Wake(u)
			}()
			for _, op := range th.Ops {
				r.exec(u, th.Name, op)
			}
			r.returned[th.Name].Store(true) // not when a finished run unwinds it
		})
	}
	n := int32(len(r.sc.Threads))
	r.doneEv.Wait(t, func() bool { return r.ndone.Load() == n })
	for _, op := range r.sc.After {
		r.exec(t, "main", op)
	}
	cached := map[string]*view{}
	r.dataOracle(t, "in the page cache", cached, nil)
	r.check(t, BeforeRemount)
	if err := fsys.Remount(t); err != nil {
		r.opError("main", Op{Kind: OpRemount, Pos: r.sc.FS.Pos}, fmt.Errorf("the data oracle's remount: %w", err))
		return
	}
	r.dataOracle(t, "after remount", nil, cached)
	r.check(t, AfterRemount)
}

// check runs the target's oracles, keeping each distinct finding once.
func (r *run) check(t *lab.Thread, at Quiescent) {
	vs := r.target.Check(t, r.fsys, at)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range vs {
		if !slices.Contains(r.violations, v) {
			r.violations = append(r.violations, v)
		}
	}
}

// view is what the data oracle read of one file: its size and the chunks
// it read, by offset.
type view struct {
	size   int64
	chunks map[int64][]byte
}

// differs compares the chunk got, read at off from a file of size bytes
// after the remount, with what the page cache view held there, byte for
// byte: each may be allowed on its own (racing writers) and yet a value
// that reads back different after a remount was lost or made up.
func (pc *view) differs(got []byte, off, size int64) string {
	if pc.size != size {
		return fmt.Sprintf("size %d after remount, %d in the page cache", size, pc.size)
	}
	want, ok := pc.chunks[off]
	if !ok {
		return ""
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("byte at offset %d (0x%x) is 0x%02x after remount, 0x%02x in the page cache", off+int64(i), off+int64(i), got[i], want[i])
		}
	}
	return ""
}

// dataOracle compares every file whose contents are known with its
// reference model, a chunk at a time. A file up to denseCheck bytes is read
// whole; a larger one (sparse: an op near 1 TiB) only around what the run
// did to it (checkRegions), so the oracle's work follows the bytes the
// scenario touched, not the file's size. With save it keeps what it read
// of each file that passed; with against (the page cache view, after a
// remount) it also requires each byte to equal the one read there.
func (r *run) dataOracle(t *lab.Thread, when string, save, against map[string]*view) {
files:
	for _, name := range r.sc.Files() {
		r.mu.Lock()
		skip := r.uncertain[name]
		r.mu.Unlock()
		if skip {
			continue
		}
		f := r.files[name]
		size, err := f.Size(t)
		if err != nil {
			r.opError("main", Op{Pos: r.sc.FS.Pos}, fmt.Errorf("data oracle: size of %s: %w", name, err))
			continue
		}
		r.mu.Lock()
		regions := r.checkRegions(name, size)
		r.mu.Unlock()
		msg := ""
		seen := &view{size: size, chunks: map[int64][]byte{}}
		pc := against[name]
		if len(regions) == 0 {
			r.mu.Lock()
			msg = r.compare(name, nil, 0, size)
			r.mu.Unlock()
		}
		for _, rg := range regions {
			for off := rg[0]; off < rg[1] && msg == ""; off += oracleChunk {
				p := make([]byte, min(oracleChunk, rg[1]-off))
				n, err := f.Pread(t, p, off)
				if err != nil {
					r.opError("main", Op{Pos: r.sc.FS.Pos}, fmt.Errorf("data oracle: read %s at %d: %w", name, off, err))
					continue files
				}
				r.mu.Lock()
				if msg = r.compare(name, p[:n], off, size); msg == "" && n < len(p) {
					msg = fmt.Sprintf("read at %d returned %d bytes, %d below EOF %d", off, n, len(p), size)
				}
				r.mu.Unlock()
				if msg == "" && pc != nil {
					msg = pc.differs(p[:n], off, size)
				}
				if save != nil {
					seen.chunks[off] = p[:n]
				}
			}
			if msg != "" {
				break
			}
		}
		if msg == "" && pc != nil && pc.size != size {
			msg = pc.differs(nil, 0, size)
		}
		if msg != "" {
			r.mu.Lock()
			r.violations = append(r.violations, Violation{Oracle: "data", Message: fmt.Sprintf("%s %s: %s", name, when, msg)})
			r.mu.Unlock()
		} else if save != nil {
			save[name] = seen
		}
	}
}

// oracleChunk is how much the data oracle reads at a time; denseCheck is
// the largest file it reads whole; checkAlign is the largest folio (2 MiB):
// what a run touched is checked out to whole naturally aligned 2 MiB
// ranges, so a folio written back to the wrong place is still seen.
const (
	oracleChunk = 1 << 20
	checkAlign  = 2 << 20
)

// denseCheck is a variable only so that a test can lower it.
var denseCheck int64 = 64 << 20

// checkRegions returns the ranges of a file of size bytes the data oracle
// reads: all of it up to denseCheck, else the reference model's touched
// spans and every write in the file's history, each widened to checkAlign,
// merged. Preconditions: r.mu is held.
func (r *run) checkRegions(name string, size int64) [][2]int64 {
	if size <= denseCheck {
		if size == 0 {
			return nil
		}
		return [][2]int64{{0, size}}
	}
	var rs [][2]int64
	add := func(off, end int64) {
		off, end = off/checkAlign*checkAlign, min((end+checkAlign-1)/checkAlign*checkAlign, size)
		if off < end {
			rs = append(rs, [2]int64{off, end})
		}
	}
	for off, end := range r.ref[name].Spans() {
		add(off, end)
	}
	for _, w := range r.hist[name] {
		add(w.off, w.end)
	}
	add(size-1, size) // the EOF block: a write past EOF lands there
	slices.SortFunc(rs, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	var out [][2]int64
	for _, x := range rs {
		if n := len(out); n > 0 && x[0] <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], x[1])
			continue
		}
		out = append(out, x)
	}
	return out
}

// compare checks got, read at off from a file of size bytes, against the
// reference model and, where they differ, against the values the file's
// history allows (see history). Preconditions: r.mu is held.
func (r *run) compare(name string, got []byte, off, size int64) string {
	ref := r.ref[name]
	m := ref.CompareRange(got, off, size)
	if m == nil {
		return ""
	}
	if m.ExpectedSize != m.ActualSize {
		return m.Error()
	}
	want := make([]byte, len(got))
	ref.ReadAt(want, off)
	for i := m.Off - off; i < int64(len(got)); i++ {
		if got[i] == want[i] {
			continue
		}
		vals := r.hist[name].allowed(off + i)
		if !slices.Contains(vals, got[i]) {
			return fmt.Sprintf("byte at offset %d (0x%x) is 0x%02x, expected %s", off+i, off+i, got[i], formatBytes(vals))
		}
	}
	return ""
}
