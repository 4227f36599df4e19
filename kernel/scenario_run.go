package kernel

import (
	"fmt"
	"io"
	"strings"
	"time"

	"iomaplab/lab"
	"iomaplab/scenario"
)

// ScenarioConfig is one `iomaplab kernel` invocation over scenario files,
// already planned (PlanScenarios).
type ScenarioConfig struct {
	Cells      []ScenarioCell
	Runs       int    // runs per cell
	ScratchDev string // user device instead of loop images ("" = images)
	Destroy    bool   // --destroy: the device may hold a filesystem
	// Undirected says the plan turned directed scenarios into free races
	// (reported; evidence not judged).
	Undirected bool
	MinRate    float64       // evidence expectation for stale cells on XFS (default 0.99)
	Watchdog   time.Duration // longest a fault stays unresolved (default 10s)
	Progress   io.Writer     // per-cell lines for humans; nil = quiet
	// OnParked runs when a writer has parked, before its lab thread parks
	// (tests inject signals and panics here).
	OnParked func()
}

// Limits of a ScenarioConfig (a *BadInputError beyond them). A watchdog
// is the longest one parked write may hold its window; 0 means the default
// (10s), as Runs 0 means 20 and MinRate 0 means 0.99.
const (
	MaxWatchdog = time.Hour
	MaxRuns     = 100_000
)

// CheckWatchdog bounds a user's watchdog: more than 0, at most MaxWatchdog.
// (A watchdog <= 0 would resolve every fault at once, so every directed
// run would end as a watchdog violation.)
func CheckWatchdog(d time.Duration) error {
	if d <= 0 || d > MaxWatchdog {
		return &BadInputError{fmt.Sprintf("watchdog %v: want more than 0 and at most %v", d, MaxWatchdog)}
	}
	return nil
}

// check rejects values out of range before anything is created.
func (cfg *ScenarioConfig) check() error {
	switch {
	case cfg.Runs < 0 || cfg.Runs > MaxRuns:
		return &BadInputError{fmt.Sprintf("runs %d: want 1..%d", cfg.Runs, MaxRuns)}
	case cfg.MinRate < 0 || cfg.MinRate > 1:
		return &BadInputError{fmt.Sprintf("minimum evidence rate %g: want 0..1", cfg.MinRate)}
	case cfg.Watchdog != 0:
		return CheckWatchdog(cfg.Watchdog)
	}
	return nil
}

// RunScenarios runs every planned cell: for each filesystem one scratch
// filesystem, and on it each scenario Runs times through scenario.Run in a
// free lab world (the kernel schedules; await/release go through lab). The
// runner remounts once per run (its data oracle's on-disk view), so every
// run is verified after a mount cycle. Everything created is registered
// with sup and released before it returns; an *EnvError means exit 3, a
// *BadInputError (a value out of range, nothing created) exit 2.
func RunScenarios(sup *Supervisor, cfg ScenarioConfig) (rep *Report, err error) {
	if cfg.Runs == 0 {
		cfg.Runs = 20
	}
	if cfg.MinRate == 0 {
		cfg.MinRate = 0.99
	}
	if cfg.Watchdog == 0 {
		cfg.Watchdog = 10 * time.Second
	}
	defer func() {
		if cerr := sup.Cleanup(); err == nil && cerr != nil {
			err = fmt.Errorf("cleanup: %w", cerr)
		}
	}()
	defer sup.Recover("kernel scenario runner")
	if err := cfg.check(); err != nil {
		return nil, err
	}
	env, err := OpenScenarioEnv(sup, cfg.ScratchDev, cfg.Destroy)
	if err != nil {
		return nil, err
	}
	env.Watchdog, env.OnParked = cfg.Watchdog, cfg.OnParked
	rep = &Report{Kernel: kernelRelease(), Runs: cfg.Runs, Undirected: cfg.Undirected, MinRate: cfg.MinRate}
	var order []string
	for _, c := range cfg.Cells {
		if len(order) == 0 || order[len(order)-1] != c.FS {
			order = append(order, c.FS)
		}
	}
	for _, fstype := range order {
		tg, err := env.Target(fstype)
		if err != nil {
			return rep, err
		}
		for _, c := range cfg.Cells {
			if c.FS != fstype || sup.Ending() {
				continue
			}
			cr := batchScenario(tg, c.Scenario, cfg)
			if cfg.Progress != nil {
				fmt.Fprintln(cfg.Progress, cr.progressLine())
			}
			rep.Cells = append(rep.Cells, cr)
		}
		if err := tg.Close(); err != nil {
			return rep, err
		}
	}
	rep.finish()
	return rep, nil
}

// batchScenario runs one cell and judges it.
func batchScenario(tg *ScenarioTarget, sc *scenario.Scenario, cfg ScenarioConfig) CellReport {
	cr := CellReport{Scenario: sc.Name, FS: tg.fsType, Source: sc.File, Mode: "free race",
		Stale: expectsStale(sc), Notes: sc.Kernel.Notes}
	if sc.Directed {
		cr.Mode = "directed"
	}
	var durs []time.Duration
	hits := 0
	met := make([]int, len(sc.Expect)) // runs in which each known evidence expectation held
	for i := 1; i <= cfg.Runs && !tg.env.sup.Ending(); i++ {
		start := time.Now()
		v := scenario.Run(sc, tg, lab.Config{})
		durs = append(durs, time.Since(start))
		cr.Runs++
		problems := runProblems(tg, v)
		run := tg.run
		if run == nil {
			cr.Violations = append(cr.Violations, prefixRun(i, problems)...)
			continue
		}
		st := run.stats()
		if st.err != nil {
			problems = append(problems, fmt.Sprintf("trace: %v", st.err))
		}
		if st.stale > 0 {
			hits++
		} else if cr.Stale && sc.Directed && !cfg.Undirected && tg.EvidenceKnown("stale") {
			run.mu.Lock()
			notes := run.notes
			run.mu.Unlock()
			cr.WindowMisses = append(cr.WindowMisses, fmt.Sprintf("run %d: %s", i, windowMiss(st, notes)))
		}
		cr.IomapIter += st.iters
		cr.WBInvalid += st.wbStale
		run.mu.Lock()
		if run.stalls > 0 && run.parked == run.stalls {
			cr.Parked++
		} else if run.stalls > 0 {
			problems = append(problems, fmt.Sprintf("%d of %d stall-at writes parked on their userfaultfd page", run.parked, run.stalls))
		}
		cr.KernelLog = append(cr.KernelLog, run.kmsg...)
		if i == 1 {
			cr.ExtentsBefore, cr.ExtentsAfter = run.before.String(), run.after.String()
		}
		run.mu.Unlock()
		if dataVerified(v) {
			cr.DataVerified++
		}
		for j, e := range v.Evidence {
			if e.Met {
				met[evidenceIndex(sc, e.Expectation, j)]++
			}
		}
		cr.Violations = append(cr.Violations, prefixRun(i, problems)...)
	}
	cr.MedianMs = float64(median(durs).Microseconds()) / 1000
	cr.KernelLogClean = len(cr.KernelLog) == 0
	cr.RemountVerified = !strings.Contains(strings.Join(cr.Violations, "\n"), "after remount")
	if tg.EvidenceKnown("stale") {
		e := &Evidence{Event: evInvalid, Hits: hits, Expect: "none"}
		if cr.Runs > 0 {
			e.Rate = float64(hits) / float64(cr.Runs)
		}
		if sc.Directed && !cfg.Undirected {
			if cr.Stale {
				e.Expect = fmt.Sprintf(">= %g", cfg.MinRate)
			} else if expectsNoStale(sc) {
				e.Expect = "0"
			}
		}
		cr.Evidence = e
	}
	cr.judgeScenario(tg, sc, cfg, met)
	return cr
}

// runProblems lists what went wrong in one run, except the kernel log,
// which the cell reports on its own.
func runProblems(tg *ScenarioTarget, v *scenario.Verdict) []string {
	var out []string
	if v.Skipped != "" {
		out = append(out, "skipped: "+v.Skipped)
	}
	for _, x := range v.Violations {
		if x.Oracle != "kernel-log" {
			out = append(out, x.Oracle+": "+x.Message)
		}
	}
	for _, e := range v.OpErrors {
		out = append(out, "op error: "+e.Error())
	}
	for _, f := range v.Unchecked {
		out = append(out, "data of "+f+" unchecked (an op that may fail did)")
	}
	// The runner counts names the target does not know in the lab trace,
	// which is empty here: they are not known, never met.
	for i := range v.Evidence {
		if !tg.EvidenceKnown(v.Evidence[i].Evidence) {
			v.Evidence[i].Known, v.Evidence[i].Met, v.Evidence[i].Got = false, false, 0
		}
	}
	return out
}

func prefixRun(run int, problems []string) []string {
	out := make([]string, len(problems))
	for i, p := range problems {
		out[i] = fmt.Sprintf("run %d: %s", run, p)
	}
	return out
}

// dataVerified: the run ended with its files equal to the model in the page
// cache, after the remount, through O_DIRECT and under written extents, and
// ran as written.
func dataVerified(v *scenario.Verdict) bool {
	if v.Skipped != "" || len(v.OpErrors) > 0 || len(v.Unchecked) > 0 || v.Result == nil || !v.Result.OK() {
		return false
	}
	for _, x := range v.Violations {
		if x.Oracle == "data" || x.Oracle == "fsck" {
			return false
		}
	}
	return true
}

// evidenceIndex finds the expectation's index in sc.Expect (the verdict
// lists only evidence items, in order).
func evidenceIndex(sc *scenario.Scenario, e scenario.Expectation, fallback int) int {
	for i, x := range sc.Expect {
		if x.Pos == e.Pos && x.Evidence == e.Evidence {
			return i
		}
	}
	return fallback
}

// judgeScenario turns the cell's expectations into violations and sets OK.
// A known evidence expectation that only a positive count meets (stale >= 1)
// must hold in at least MinRate of the runs of a directed scenario; one that
// zero meets (a control's stale == 0) in every run. Free races report
// evidence without judging it.
func (c *CellReport) judgeScenario(tg *ScenarioTarget, sc *scenario.Scenario, cfg ScenarioConfig, met []int) {
	var v []string
	if c.Runs < cfg.Runs {
		v = append(v, fmt.Sprintf("only %d of %d runs happened", c.Runs, cfg.Runs))
	}
	if sc.Directed && c.Parked < c.Runs {
		v = append(v, fmt.Sprintf("the writer parked in %d of %d runs", c.Parked, c.Runs))
	}
	if sc.Directed && !cfg.Undirected && c.Runs > 0 {
		for i, e := range sc.Expect {
			if e.Evidence == "" || !tg.EvidenceKnown(e.Evidence) {
				continue
			}
			rate := float64(met[i]) / float64(c.Runs)
			switch {
			case positive(e) && rate < cfg.MinRate:
				v = append(v, fmt.Sprintf("%s:%s: %s %s %d held in %d of %d runs, expected a rate >= %g", sc.File, e.Pos, e.Evidence, e.Cmp, e.N, met[i], c.Runs, cfg.MinRate))
			case !positive(e) && met[i] < c.Runs:
				v = append(v, fmt.Sprintf("%s:%s: %s %s %d held in %d of %d runs, expected in every run", sc.File, e.Pos, e.Evidence, e.Cmp, e.N, met[i], c.Runs))
			}
		}
	}
	if c.DataVerified < c.Runs {
		v = append(v, fmt.Sprintf("data verified in %d of %d runs", c.DataVerified, c.Runs))
	}
	for _, l := range c.KernelLog {
		v = append(v, "kernel log: "+l)
	}
	c.Violations = append(v, c.Violations...)
	if c.Violations == nil {
		c.Violations = []string{}
	}
	c.OK = len(c.Violations) == 0
}

// positive reports whether only a count above zero meets e (stale >= 1).
func positive(e scenario.Expectation) bool { return !e.Holds(0) }

// expectsStale: the scenario expects its write's mapping to go stale.
func expectsStale(sc *scenario.Scenario) bool {
	for _, e := range sc.Expect {
		if e.Evidence == "stale" && positive(e) {
			return true
		}
	}
	return false
}

// expectsNoStale: a control, which says stale must stay 0.
func expectsNoStale(sc *scenario.Scenario) bool {
	for _, e := range sc.Expect {
		if e.Evidence == "stale" && e.Holds(0) && !e.Holds(1) {
			return true
		}
	}
	return false
}
