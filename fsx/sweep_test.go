package fsx

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"testing"

	"iomaplab/fsx/internal/memfs"
)

// digest identifies a seed's run: its schedule (the trace's hash and
// steps), the op log and the verdict.
func digest(t *testing.T, r *SeedRun) string {
	t.Helper()
	if r.Err != nil {
		return fmt.Sprintf("seed %d: error %v", r.Seed, r.Err)
	}
	var log bytes.Buffer
	if err := WriteLog(&log, Defaults(), nil, r.Result.Streams); err != nil {
		t.Fatal(err)
	}
	verdict := "clean"
	if f := r.Result.Failure; f != nil {
		verdict = f.Summary()
	}
	return fmt.Sprintf("seed %d: trace %x steps %d ops %d %s\n%s", r.Seed, r.Result.Lab.Trace.Hash(), r.Result.Lab.Steps, r.Result.Ops, verdict, log.String())
}

func memTargets(bugs memfs.Bugs) func() (*Target, error) {
	return func() (*Target, error) { return &Target{Mount: memTarget(bugs), Close: func() {}}, nil }
}

// A sweep with 1, 2, 3 or 7 jobs gives the serial run's seeds: the same
// runs (trace hash, steps, op log, verdict) as Run of each seed alone, the
// same first failure, and emits them in seed order; nothing past the first
// failure.
func TestSweepJobsAreSerial(t *testing.T) {
	cfg := Config{Options: options(1, 30, 3), Controlled: true}
	cfg.RemountEvery, cfg.DropEvery = 0, 0
	bugs := memfs.Bugs{PunchKeepsData: true}
	const first, count = 1, 12
	var serial []string
	failAt := -1
	for i := range count {
		c := cfg
		c.Seed, c.Mount = first+uint64(i), memTarget(bugs)
		res, err := Run(c)
		serial = append(serial, digest(t, &SeedRun{Seed: c.Seed, Result: res, Err: err}))
		if err != nil || res.Failure != nil {
			failAt = i
			break
		}
	}
	t.Logf("first failure at seed %d", first+failAt)
	if failAt < 1 || failAt == count-1 {
		t.Fatalf("want a clean seed, then a failing one before seed %d (so later seeds are cut), got index %d: pick other options", first+count-1, failAt)
	}
	for _, jobs := range []int{1, 2, 3, 7} {
		var emitted []uint64
		runs, err := Sweep(cfg, first, count, jobs, memTargets(bugs), func(r *SeedRun) { emitted = append(emitted, r.Seed) })
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != len(serial) || len(emitted) != len(serial) {
			t.Fatalf("--jobs %d: %d runs, %d emitted, serial %d", jobs, len(runs), len(emitted), len(serial))
		}
		for i, r := range runs {
			if got := digest(t, r); got != serial[i] || emitted[i] != r.Seed {
				t.Fatalf("--jobs %d: seed index %d (emitted seed %d) differs:\n%.300s\nserial:\n%.300s", jobs, i, emitted[i], got, serial[i])
			}
		}
	}
	// Clean throughout: every seed, in order.
	runs, err := Sweep(cfg, first, count, 3, memTargets(memfs.Bugs{}), nil)
	if err != nil || len(runs) != count {
		t.Fatalf("clean sweep: %d runs, %v", len(runs), err)
	}
	for i, r := range runs {
		if r.Seed != first+uint64(i) || r.stops() {
			t.Fatalf("clean sweep: run %d is seed %d, stops %v", i, r.Seed, r.stops())
		}
	}
}

// A target that cannot be made is the sweep's error; a free or replay
// config is refused.
func TestSweepErrors(t *testing.T) {
	cfg := Config{Options: options(1, 10, 1), Controlled: true}
	broken := errors.New("no device")
	if _, err := Sweep(cfg, 1, 4, 2, func() (*Target, error) { return nil, broken }, nil); !errors.Is(err, broken) {
		t.Errorf("target error: got %v", err)
	}
	free := cfg
	free.Controlled = false
	if _, err := Sweep(free, 1, 4, 2, memTargets(memfs.Bugs{}), nil); err == nil {
		t.Errorf("a free sweep ran")
	}
}

// BenchmarkSweepJobs sweeps 8 controlled seeds (4 threads, 2000 ops each,
// on memfs) with 1 job and with every CPU, as seeds/s; each sweep must
// give the serial runs.
func BenchmarkSweepJobs(b *testing.B) {
	cfg := Config{Options: options(1, 2000, 4), Controlled: true}
	const seeds = 8
	hashes := func(runs []*SeedRun) []uint64 {
		var h []uint64
		for _, r := range runs {
			h = append(h, r.Result.Lab.Trace.Hash())
		}
		return h
	}
	serial, err := Sweep(cfg, 1, seeds, 1, memTargets(memfs.Bugs{}), nil)
	if err != nil || len(serial) != seeds {
		b.Fatalf("serial sweep: %d runs, %v", len(serial), err)
	}
	for _, jobs := range []int{1, runtime.NumCPU()} {
		b.Run(fmt.Sprintf("jobs=%d", jobs), func(b *testing.B) {
			n := 0
			for b.Loop() {
				runs, err := Sweep(cfg, 1, seeds, jobs, memTargets(memfs.Bugs{}), nil)
				if err != nil || !slices.Equal(hashes(runs), hashes(serial)) {
					b.Fatalf("--jobs %d: not the serial sweep (%v)", jobs, err)
				}
				n += len(runs)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "seeds/s")
		})
	}
}
