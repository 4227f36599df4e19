package main

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"iomaplab/fsx"
	"iomaplab/report"
)

// fsxSweepSummary is the --json document of `iomaplab fsx --seeds N`: the
// runs in seed order up to the first failing one (docs/fsx.md).
type fsxSweepSummary struct {
	FirstSeed uint64       `json:"first_seed"`
	Seeds     int          `json:"seeds"`
	Runs      []fsxSummary `json:"runs"`
	Seconds   float64      `json:"seconds"`
	OK        bool         `json:"ok"`
	// FailedSeed is the first seed that failed (runs stop there).
	FailedSeed uint64 `json:"failed_seed,omitempty"`
}

// fsxSweep runs f.seeds controlled seeds from f.seed on f.jobs worlds at
// once (model target: a target per worker). The runs, the first failure,
// the logs written and the output are a serial sweep's whatever f.jobs is;
// only the timings differ.
func (a *app) fsxSweep(f *fsxFlags, cfg fsx.Config) error {
	var done atomic.Int64
	cfg.Progress = &done
	total := cfg.Ops * int64(f.seeds)
	newTarget := func() (*fsx.Target, error) {
		tgt, err := openModelTarget(f, cfg.Options)
		if err != nil {
			return nil, err
		}
		return &fsx.Target{Mount: tgt.mount, Check: tgt.check, Close: tgt.close}, nil
	}
	sum := fsxSweepSummary{FirstSeed: f.seed, Seeds: f.seeds, Runs: []fsxSummary{}, OK: true}
	var suites []report.Suite
	var runErr error
	emit := func(r *fsx.SeedRun) {
		if r.Err != nil {
			runErr = fmt.Errorf("seed %d: %w", r.Seed, r.Err)
			return
		}
		c := cfg
		c.Seed = r.Seed
		logPath := ""
		if r.Result.Failure != nil {
			logPath = fmt.Sprintf("iomaplab-fsx-%d.log", r.Seed)
			if err := writeLogFile(logPath, f, c, r.Result); err != nil {
				fmt.Fprintf(a.stderr, "iomaplab fsx: write log: %v\n", err)
				logPath = ""
			}
			sum.OK, sum.FailedSeed = false, r.Seed
		}
		s := summarise(f, c, r.Result, time.Duration(r.Seconds*float64(time.Second)), logPath)
		sum.Runs = append(sum.Runs, s)
		suites = append(suites, report.Fsx(fmt.Sprintf("%s/%s/%s seed=%d", f.target, f.fs, f.variant, r.Seed), c.Options, r.Result, r.Start, r.Seconds))
		if !f.json {
			printSummary(a.stdout, s)
			if r.Result.Failure != nil {
				r.Result.Failure.Report(a.stdout)
			}
		}
	}
	stopBar := func() {}
	if !f.quiet {
		stopBar = startProgress(a.stderr, &done, total)
	}
	stopStatus := a.startStatus(f.quiet, func() string {
		return fmt.Sprintf("iomaplab fsx: seeds %d..%d, ops %d/%d", f.seed, f.seed+uint64(f.seeds)-1, done.Load(), total)
	})
	start := time.Now()
	_, err := fsx.Sweep(cfg, f.seed, f.seeds, f.jobs, newTarget, emit)
	stopStatus()
	stopBar()
	sum.Seconds = time.Since(start).Seconds()
	if err == nil {
		err = runErr
	}
	if err != nil {
		return f.ci.writeError("fsx", asBadInput(classify(err)), sum.Seconds)
	}
	if f.json {
		if err := printJSON(a.stdout, sum); err != nil {
			return err
		}
	} else {
		printSweepEnd(a.stdout, sum)
	}
	if err := f.ci.write(suites...); err != nil {
		return err
	}
	if !sum.OK {
		return errViolation
	}
	return nil
}

func printSweepEnd(w io.Writer, s fsxSweepSummary) {
	last := s.FirstSeed + uint64(s.Seeds) - 1
	if s.OK {
		fmt.Fprintf(w, "fsx sweep: seeds %d..%d: all %d clean in %.2fs\n", s.FirstSeed, last, s.Seeds, s.Seconds)
		return
	}
	fmt.Fprintf(w, "fsx sweep: seeds %d..%d: seed %d FAILED after %d clean; later seeds not reported (a serial sweep stops there)\n",
		s.FirstSeed, last, s.FailedSeed, len(s.Runs)-1)
}
