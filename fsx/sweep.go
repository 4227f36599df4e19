package fsx

import (
	"errors"
	"sync"
	"time"

	"iomaplab/lab"
	"iomaplab/vfs"
)

// Target is what a sweep's worker runs its seeds on: a Mount and Check as
// in Config, and Close to release what making it took. Each worker makes
// its own, so the worlds share nothing mutable.
type Target struct {
	Mount func(t *lab.Thread) (vfs.FS, error)
	Check func(t *lab.Thread, final bool) error
	Close func()
}

// SeedRun is one seed of a sweep: its Result, or the error Run returned.
type SeedRun struct {
	Seed   uint64
	Result *Result
	Err    error
	// Start and Seconds are when the run started and its wall time.
	Start   time.Time
	Seconds float64
}

// stops reports whether the sweep ends at this seed: a failure or an
// error (a serial sweep would not go on).
func (r *SeedRun) stops() bool { return r.Err != nil || r.Result.Failure != nil }

// Sweep runs cfg (controlled, not a replay) once per seed, seeds
// first, first+1, ... first+count-1, each in its own world, on jobs
// workers at once, each with a target from newTarget. Like a serial
// sweep it stops at the first seed that fails or errs: the runs returned
// are the seeds in order up to and including that one, whatever jobs is
// (a controlled run is a pure function of its seed). emit, if set, is
// called with each of them in seed order as soon as every seed before it
// has finished.
func Sweep(cfg Config, first uint64, count, jobs int, newTarget func() (*Target, error), emit func(*SeedRun)) ([]*SeedRun, error) {
	if !cfg.Controlled || cfg.Replay != nil {
		return nil, errors.New("fsx: a sweep runs controlled, generated streams")
	}
	if count < 1 {
		return nil, errors.New("fsx: a sweep needs at least one seed")
	}
	var (
		mu      sync.Mutex
		runs    = make([]*SeedRun, count)
		next    int     // next seed index to start
		limit   = count // seeds at or past limit are not started
		emitted int
		wg      sync.WaitGroup
		setup   error
	)
	finish := func(i int, r *SeedRun) {
		mu.Lock()
		defer mu.Unlock()
		runs[i] = r
		if r.stops() {
			limit = min(limit, i+1)
		}
		for emitted < limit && runs[emitted] != nil {
			if emit != nil {
				emit(runs[emitted])
			}
			emitted++
		}
	}
	work := func(tgt *Target) {
		defer wg.Done()
		defer tgt.Close()
		for {
			mu.Lock()
			i := next
			if i >= limit {
				mu.Unlock()
				return
			}
			next++
			mu.Unlock()
			c := cfg
			c.Seed = first + uint64(i)
			c.Mount, c.Check = tgt.Mount, tgt.Check
			start := time.Now()
			res, err := Run(c)
			finish(i, &SeedRun{Seed: c.Seed, Result: res, Err: err, Start: start, Seconds: time.Since(start).Seconds()})
		}
	}
	for range max(1, min(jobs, count)) {
		tgt, err := newTarget()
		if err != nil {
			mu.Lock()
			setup = err
			limit = 0 // start nothing more; the running workers stop
			mu.Unlock()
			break
		}
		wg.Add(1)
		go work(tgt)
	}
	wg.Wait()
	if setup != nil {
		return nil, setup
	}
	return runs[:limit], nil
}
