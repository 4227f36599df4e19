package fsx

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"iomaplab/lab"
	"iomaplab/vfs"
)

// Config is one run of fsx.
type Config struct {
	Options
	// Mount builds the filesystem under test on the run's main thread (a
	// model target builds its fresh engine here, one per World).
	Mount func(t *lab.Thread) (vfs.FS, error)
	// Controlled runs the harness and the target under lab's scheduler, a
	// random walk seeded with Seed: the whole run is one replayable schedule.
	Controlled bool
	// MaxSteps bounds a controlled run's scheduling steps (0: 1<<40).
	MaxSteps int64
	// Replay, if set, runs these per-thread streams (from ReadLog) instead of
	// generating; Threads and Files come from it.
	Replay [][]Op
	// Progress, if set, counts operations as they finish.
	Progress *atomic.Int64
	// Check, if set, runs the target's own oracles (a model's fsck and
	// reservation accounting) at quiescent points: after every remount
	// (final false) and after the final remount (final true: nothing may be
	// left reserved). An error fails the run.
	Check func(t *lab.Thread, final bool) error
	// AbandonAfter is how long a free run waits for its other threads once
	// one died in the target, before it reports them stuck (they may wait
	// forever for a lock the dead one held); 0 means 10s. Wall time decides
	// nothing else.
	AbandonAfter time.Duration
}

// Result is what a run did and found.
type Result struct {
	Ops    int64
	Counts [numKinds]int64
	// Skipped counts the clones, dedupes and copies that had no room (Len
	// 0: fsx.c's "skipping ... behind EOF"); they are in Counts too.
	Skipped       [numKinds]int64
	BytesVerified int64
	// Failure is the first mismatch or unexpected error; nil if the run is clean.
	Failure *Failure
	// Streams holds each thread's operations as run: the log.
	Streams [][]Op
	// Disabled is the option's set plus what the target turned out not to
	// support (probed at the start).
	Disabled KindSet
	// CopyGeneric: the target has no copy_file_range; copy ran as a pread
	// and a pwrite.
	CopyGeneric bool
	// DedupeShared counts the dedupes whose ranges were equal (shared).
	DedupeShared int64
	// Lab is the world's result (steps, decisions, trace).
	Lab *lab.Result
}

// ErrSetup wraps a failure to mount or open the target: not a verdict.
var ErrSetup = errors.New("fsx: target setup failed")

// harness is the state shared by the worker threads of one run.
type harness struct {
	cfg   *Config
	fs    vfs.FS
	files []vfs.File
	refs  []*refFile

	// mu is taken shared by data and neutral ops and exclusively by ops
	// that change a size or punch a hole. epoch and cuts change only under
	// it exclusively.
	mu    lab.RWMutex
	epoch int64
	cuts  [][]int64 // per file: Threads+1 slice boundaries of this epoch

	fail  atomic.Pointer[Failure]
	setup error

	// Replay gating: epochNow mirrors epoch; sharedDone[e] counts the
	// shared ops of epoch e that finished, sharedWant[e] how many there are.
	epochNow   atomic.Int64
	sharedDone []atomic.Int64
	sharedWant []int64
	epochEv    lab.Event

	finished atomic.Int64
	doneEv   lab.Event
	// died is closed when a worker dies in the target (free mode only).
	died     chan struct{}
	diedOnce sync.Once
	workers  []*worker
	verified atomic.Int64

	// copyGeneric: the target has no copy op; copy is pread + pwrite.
	copyGeneric bool
	// dedupeSame counts the dedupes that shared (the ranges were equal).
	dedupeSame atomic.Int64
}

// Run runs one fsx run. The error is for a bad Config or a target that
// could not be set up (wrapping ErrSetup); a verdict is in Result.Failure.
func Run(cfg Config) (*Result, error) {
	if cfg.Replay != nil {
		if err := checkStreams(cfg.Replay, cfg.Files); err != nil {
			return nil, err
		}
		cfg.Threads = len(cfg.Replay)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Mount == nil {
		return nil, errors.New("fsx: no target")
	}
	if cfg.AbandonAfter == 0 {
		cfg.AbandonAfter = 10 * time.Second
	}
	h := &harness{cfg: &cfg, mu: lab.RWMutex{Name: "fsx.epoch"}}
	h.epochEv.Name, h.doneEv.Name = "fsx.epoch", "fsx.done"
	if cfg.Replay != nil {
		h.sharedDone, h.sharedWant = epochCounts(cfg.Replay)
	}
	var w *lab.World
	if cfg.Controlled {
		s := lab.NewRandom(cfg.Seed)
		s.NewSchedule()
		steps := cfg.MaxSteps
		if steps == 0 {
			steps = 1 << 40
		}
		w = lab.NewWorld(lab.Config{Controlled: true, Strategy: s, MaxSteps: steps})
	} else {
		w = lab.NewFree()
	}
	lr, stuck := h.run(w, h.main)
	if h.setup != nil {
		return nil, h.setup
	}
	res := &Result{Lab: lr, Failure: h.fail.Load(), Disabled: cfg.Disabled, BytesVerified: h.verified.Load(),
		CopyGeneric: h.copyGeneric, DedupeShared: h.dedupeSame.Load()}
	for _, wk := range h.workers {
		ops := wk.log.snapshot()
		res.Streams = append(res.Streams, ops)
		for _, op := range ops {
			res.Counts[op.Kind]++
			if op.Kind.remap() && op.Len == 0 {
				res.Skipped[op.Kind]++
			}
		}
		res.Ops += int64(len(ops))
	}
	if lr.Outcome == lab.HostFault {
		// The host, not the target, failed (ENOSPC or EIO on the model's
		// backing file): an environment error, never a failure of the run.
		return res, lr.Err
	}
	switch {
	case stuck > 0:
		f := *res.Failure
		f.Stage = "lab"
		f.Err = fmt.Errorf("%v\n(%d threads never returned: stuck in the target, on a lock the dead thread held?)", f.Err, stuck)
		res.Failure = &f
	case !lr.OK() && (res.Failure == nil || res.Failure.aborted):
		f := &Failure{Stage: "lab", Err: fmt.Errorf("%s", lr)}
		if res.Failure != nil {
			f.Op = res.Failure.Op // the op the dead thread was running
		}
		res.Failure = f
	}
	if res.Failure != nil {
		res.Failure.attach(res.Streams)
	}
	return res, nil
}

// run runs the world. A controlled world reports its own deadlocks. A free
// world whose worker died may never return (the others wait on a lock the
// dead one held), so it runs on its own goroutine, and is abandoned, with
// its stuck threads, Config.AbandonAfter after a death; stuck counts them.
func (h *harness) run(w *lab.World, main func(t *lab.Thread)) (lr *lab.Result, stuck int64) {
	if h.cfg.Controlled {
		return w.Run(main), 0
	}
	h.died = make(chan struct{})
	done := make(chan *lab.Result, 1)
	go func() { done <- w.Run(main) }()
	select {
	case lr = <-done:
		return lr, 0
	case <-h.died:
	}
	select {
	case lr = <-done:
		return lr, 0
	case <-time.After(h.cfg.AbandonAfter):
		return &lab.Result{Outcome: lab.Panicked}, int64(h.cfg.Threads) - h.finished.Load()
	}
}

// noteDeath tells run that a worker died (free mode).
func (h *harness) noteDeath() {
	if h.died != nil {
		h.diedOnce.Do(func() { close(h.died) })
	}
}

// main is the run's main thread: mount, probe, spawn the workers, wait for
// them, then verify every file, remount and verify again.
func (h *harness) main(t *lab.Thread) {
	cfg := h.cfg
	fs, err := cfg.Mount(t)
	if err != nil {
		h.setup = fmt.Errorf("%w: mount: %v", ErrSetup, err)
		return
	}
	h.fs = fs
	if cfg.Replay == nil {
		h.probe(t)
		if cfg.Disabled.enabledWeight() == 0 {
			h.setup = fmt.Errorf("%w: the target supports none of the enabled operations", ErrSetup)
			return
		}
	}
	for i := range cfg.Files {
		f, err := fs.Open(t, fmt.Sprintf("fsx.%d", i))
		if err == nil {
			err = f.Truncate(t, 0)
		}
		if err != nil {
			h.setup = fmt.Errorf("%w: open fsx.%d: %v", ErrSetup, i, err)
			return
		}
		h.files = append(h.files, f)
		h.refs = append(h.refs, &refFile{})
	}
	h.recut()
	for i := range cfg.Threads {
		wk := h.newWorker(i)
		h.workers = append(h.workers, wk)
	}
	for _, wk := range h.workers {
		t.Go(fmt.Sprintf("fsx%d", wk.id), wk.run)
	}
	h.doneEv.Wait(t, func() bool { return h.finished.Load() == int64(cfg.Threads) })
	if h.stopped() {
		return
	}
	if !h.verifyAll(t, nil, "final check") || cfg.NoFinalRemount {
		return
	}
	if err := fs.Remount(t); err != nil {
		h.failErr(t, nil, "final remount", err)
		return
	}
	if h.verifyAll(t, nil, "check after the final remount") && cfg.Check != nil {
		if err := cfg.Check(t, true); err != nil {
			h.failErr(t, nil, "target check after the final remount", err)
		}
	}
}

// probe disables the fallocate modes, clone and dedupe where the target
// does not support them, as fsx does at startup (tmpfs has no ZERO_RANGE,
// ext4 no reflink).
func (h *harness) probe(t *lab.Thread) {
	o := &h.cfg.Options
	modes := map[Kind][]vfs.FallocMode{
		Fallocate: {vfs.FallocKeepSize, vfs.FallocAllocate},
		Punch:     {vfs.FallocPunch},
		ZeroRange: {vfs.FallocZeroKeepSize, vfs.FallocZero},
	}
	f, err := h.fs.Open(t, "fsx.probe")
	if err != nil {
		return
	}
	for _, k := range []Kind{Fallocate, Punch, ZeroRange} {
		if o.Disabled.Has(k) {
			continue
		}
		for _, m := range modes[k] {
			if err := f.Fallocate(t, m, 0, 4096); err != nil {
				o.Disabled = o.Disabled.With(k)
				break
			}
		}
	}
	h.probeRemap(t, f)
}

func (h *harness) stopped() bool { return h.fail.Load() != nil }

// sizeOf is the oracle's size of file; the caller holds mu.
func (h *harness) sizeOf(file int) int64 { return h.refs[file].Size() }

// recut cuts each file into one slice per thread for the new epoch, at
// seeded offsets that need not be block aligned, so neighbouring threads
// share blocks and folios. The caller holds mu exclusively (or is alone).
func (h *harness) recut() {
	n := h.cfg.Threads
	h.cuts = h.cuts[:0]
	for f, ref := range h.refs {
		size := ref.Size()
		cuts := make([]int64, n+1)
		cuts[n] = size
		if n > 1 {
			rng := rand.New(rand.NewPCG(h.cfg.Seed^uint64(h.epoch), uint64(f)))
			for i := 1; i < n; i++ {
				cuts[i] = rng.Int64N(size + 1)
			}
			slices.Sort(cuts)
		}
		h.cuts = append(h.cuts, cuts)
	}
}

// slice returns thread's byte range of file in this epoch; the caller holds
// mu shared.
func (h *harness) slice(file, thread int) (lo, hi int64) {
	c := h.cuts[file]
	return c[thread], c[thread+1]
}
