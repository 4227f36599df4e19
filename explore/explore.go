package explore

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"iomaplab/diagram"
	"iomaplab/lab"
	"iomaplab/scenario"
)

// TargetFactory builds the target that runs a scenario's engine with a
// variant (a fresh engine per world is the target's business).
type TargetFactory func(variant string) (scenario.Target, error)

// Options control one exploration.
type Options struct {
	Strategy    string // explore.Strategies: pct, random, dfs or delay
	Budget      int    // schedules per cell
	Depth       int    // PCT's d
	Preemptions int    // the systematic strategies' preemption bound (dfs, delay)
	Seed        uint64
	// ShrinkBudget bounds the runs spent shrinking a failing schedule.
	ShrinkBudget int
	// Progress, if set, is called after every schedule (from one
	// goroutine at a time).
	Progress func(done int)
	// Jobs is how many worlds run at once (<= 1: one). The cell is the
	// same whatever Jobs is (see Unit).
	Jobs int
	// Shard runs one share of every cell; the zero Shard runs it all.
	Shard Shard
}

// Defaults are the documented defaults of `iomaplab explore`.
var Defaults = Options{Strategy: "pct", Budget: 300, Depth: 3, Preemptions: 2, Seed: 1, ShrinkBudget: 150}

// Cell is the outcome of exploring one scenario with one variant.
type Cell struct {
	Scenario string `json:"scenario"`
	Variant  string `json:"variant"`
	// Verdict is "clean", "violation", "skipped", "error" (an op failed:
	// the scenario did not run as written), "unreached" (under correct, an
	// evidence line did not hold as scenario.EvidenceTally requires; never
	// a violation, never a catch) or "scenario error" (the scenario's own
	// awaits and parks deadlocked the run: Err, bad input).
	Verdict string   `json:"verdict"`
	Oracles []string `json:"oracles,omitempty"`
	// Expected is "catch", "clean" or "-" (not a matrix cell), with the
	// oracles a catch must come from.
	Expected        string   `json:"expected"`
	ExpectedOracles []string `json:"expected_oracles,omitempty"`
	// Match reports, for matrix cells, whether the verdict is the expected one.
	Match     bool   `json:"match"`
	Schedules int    `json:"schedules"`
	Exhausted bool   `json:"exhausted"`
	Strategy  string `json:"strategy"`
	Seed      uint64 `json:"seed"`
	// FirstFailure is the 0-based schedule that first violated, or -1.
	FirstFailure  int     `json:"first_failure"`
	SecondsToFind float64 `json:"seconds_to_find,omitempty"`
	Seconds       float64 `json:"seconds"`
	// Reachable counts schedules that reached a stale window.
	Reachable int `json:"reachable"`
	// Evidence is the largest value each evidence counter reached.
	Evidence map[string]int `json:"evidence,omitempty"`
	// EvidenceStats is each evidence line over the schedules run: min,
	// max, and in how many it held.
	EvidenceStats []scenario.EvidenceStat `json:"evidence_stats,omitempty"`
	// Violation details, after shrinking.
	Message       string `json:"message,omitempty"`
	Preemptions   int    `json:"preemptions,omitempty"`
	Steps         int64  `json:"steps,omitempty"`
	TraceHash     string `json:"trace_hash,omitempty"`
	Token         string `json:"token,omitempty"`
	Diagram       string `json:"diagram,omitempty"`
	Deterministic bool   `json:"deterministic"`
	// NoToken says why a violation has no token (its scenario file changed
	// while it was explored, or the schedule is too long for one).
	NoToken string `json:"no_token,omitempty"`
	// Err, with Verdict "error", is the error when the environment could
	// not run the cell (it implements Environment() bool): a host fault
	// under a file-backed device. Nothing the cell ran is then a verdict.
	// With Verdict "scenario error" it is the *scenario.RunError (it
	// implements BadInput() bool).
	Err error `json:"-"`
	// Part, in a shard's cell, is what Merge needs: the units it ran.
	Part *Part `json:"part,omitempty"`
	// hashes are the trace hashes of the schedules counted, in order.
	hashes []uint64
}

// staleDetected are the tracepoints of a stale mapping caught by its
// validity check: the window was reached, and the protocol held.
var staleDetected = []string{"iomap_invalid", "wb_iomap_invalid"}

// DiagramLocks are the locks whose acquisitions drawings show.
var DiagramLocks = []string{"i_rwsem", "invalidate_lock", "ILOCK", "i_data_sem", "i_es_lock"}

// Explore runs sc with variant for up to opt.Budget schedules.
// With opt.Jobs > 1 or a shard, it runs the cell's units in parallel
// (exploreUnits): the same cell, in less time.
func Explore(sc *scenario.Scenario, variant string, mk TargetFactory, opt Options) *Cell {
	if _, err := NewStrategy(opt.Strategy, 0, 1, 0); err == nil && (opt.Jobs > 1 || opt.Shard.Sharded()) {
		return exploreUnits(sc, variant, mk, opt)
	}
	c, start, finish := startCell(sc, variant, opt)
	defer finish()
	target, err := mk(variant)
	if err != nil {
		c.Verdict, c.Message = "error", err.Error()
		return c
	}
	strat, err := NewStrategy(opt.Strategy, opt.Seed, opt.Depth, opt.Preemptions)
	if err != nil {
		c.Verdict, c.Message = "error", err.Error()
		return c
	}
	run := func(s lab.Strategy) *scenario.Verdict {
		return scenario.Run(sc, target, lab.Config{Controlled: true, Strategy: s})
	}
	var failing *scenario.Verdict
	var tally scenario.EvidenceTally
	defer func() { c.EvidenceStats = tally.Stats() }()
	for i := 0; i < opt.Budget; i++ {
		if !strat.NewSchedule() {
			c.Exhausted = true
			break
		}
		v := run(strat)
		if c.hostFault(v) {
			return c
		}
		if v.Skipped != "" {
			c.Verdict, c.Message = "skipped", v.Skipped
			return c
		}
		if v.ScenarioError != nil {
			c.Verdict, c.Message, c.Err = "scenario error", v.ScenarioError.Error(), v.ScenarioError
			return c
		}
		c.Schedules++
		c.hashes = append(c.hashes, v.Result.Trace.Hash())
		c.observe(v)
		tally.Add(v)
		if opt.Progress != nil {
			opt.Progress(c.Schedules)
		}
		if v.Violated() {
			c.FirstFailure = i
			c.SecondsToFind = time.Since(start).Seconds()
			failing = v
			break
		}
		if len(v.OpErrors) > 0 {
			c.Verdict, c.Message = "error", v.OpErrors[0].Error()
			return c
		}
	}
	if failing == nil {
		c.Verdict = "clean"
		if msg := tally.Unmet(sc.Directed); msg != "" && variant == "correct" {
			c.Verdict, c.Message = "unreached", msg
		}
		return c
	}
	c.Verdict = "violation"
	c.apply(describe(sc, variant, target, opt, c.FirstFailure, failing, run))
	return c
}

// Failure is a violation's schedule, shrunk and checked to replay.
type Failure struct {
	Oracles       []string `json:"oracles"`
	Message       string   `json:"message"`
	Preemptions   int      `json:"preemptions"`
	Steps         int64    `json:"steps"`
	TraceHash     string   `json:"trace_hash"`
	Token         string   `json:"token,omitempty"`
	NoToken       string   `json:"no_token,omitempty"`
	Diagram       string   `json:"diagram"`
	Deterministic bool     `json:"deterministic"`
	// HostFault is the environment error that stopped the replay, if any:
	// the cell is then an environment error, not a verdict.
	HostFault string `json:"host_fault,omitempty"`
	hostErr   error
}

// describe shrinks failing (schedule number schedule of the cell), replays
// it and makes its token and drawing.
func describe(sc *scenario.Scenario, variant string, target scenario.Target, opt Options, schedule int, failing *scenario.Verdict, run func(lab.Strategy) *scenario.Verdict) *Failure {
	f := &Failure{Oracles: failing.Fired()}
	small := shrink(failing, run, opt.ShrinkBudget)
	again, err := replayChecked(sc, target, small.Result.Decisions)
	if herr := environmental(again); herr != nil {
		f.HostFault, f.hostErr = herr.Error(), herr
		return f
	}
	f.Deterministic = err == nil && again.Result.Trace.Hash() == small.Result.Trace.Hash()
	f.Message = small.Violations[0].Message
	f.Preemptions = small.Result.Preemptions
	f.Steps = small.Result.Steps
	f.TraceHash = fmt.Sprintf("%016x", small.Result.Trace.Hash())
	if f.Token, err = newToken(sc, variant, opt, schedule, small.Result.Decisions); err != nil {
		f.NoToken = err.Error()
	}
	f.Diagram = Draw(sc, small)
	return f
}

// apply puts a violation's details into the cell; a host fault during its
// replay makes the cell an environment error.
func (c *Cell) apply(f *Failure) {
	if f.HostFault != "" {
		err := f.hostErr
		if err == nil {
			err = &partError{Msg: f.HostFault, Env: true}
		}
		c.Verdict, c.Message, c.Err = "error", f.HostFault, err
		c.Oracles, c.FirstFailure = nil, -1
		return
	}
	c.Oracles, c.Message, c.Preemptions, c.Steps = f.Oracles, f.Message, f.Preemptions, f.Steps
	c.TraceHash, c.Token, c.NoToken, c.Diagram, c.Deterministic = f.TraceHash, f.Token, f.NoToken, f.Diagram, f.Deterministic
}

// hostFault ends the cell as an environment error if the environment could
// not run v (see environmental), and reports whether it did.
func (c *Cell) hostFault(v *scenario.Verdict) bool {
	err := environmental(v)
	if err == nil {
		return false
	}
	c.Verdict, c.Message, c.Err = "error", err.Error(), err
	c.Oracles, c.FirstFailure = nil, -1
	return true
}

// environmental returns the error that kept the environment from running
// v: a host fault that stopped the run (lab.HostFault), or an op (the
// mount, say) that failed with an error implementing Environment() bool.
func environmental(v *scenario.Verdict) error {
	if v == nil {
		return nil
	}
	if v.Result != nil && v.Result.Outcome == lab.HostFault {
		return v.Result.Err
	}
	for _, e := range v.OpErrors {
		var env interface{ Environment() bool }
		if errors.As(e.Err, &env) && env.Environment() {
			return fmt.Errorf("line %d: %s in %s: %w", e.Op.Pos.Line, e.Op.Kind, e.Thread, e.Err)
		}
	}
	return nil
}

// Draw renders a verdict's schedule with every violation in the footer.
func Draw(sc *scenario.Scenario, v *scenario.Verdict) string {
	var threads []string
	for _, th := range sc.Threads {
		threads = append(threads, th.Name)
	}
	recs := v.Result.Trace.Records()
	for _, r := range recs {
		if r.Who != "main" && !slices.Contains(threads, r.Who) {
			threads = append(threads, r.Who) // daemons: I/O completion, flusher
		}
	}
	var footer []string
	for _, x := range v.Violations {
		footer = append(footer, x.Oracle+": "+firstLine(x.Message))
	}
	return diagram.Draw(recs, diagram.Options{Threads: threads, Locks: DiagramLocks, Footer: strings.Join(footer, "\n=> ")})
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// shrink reduces failing to fewer preemptions and steps with the same oracles.
func shrink(failing *scenario.Verdict, run func(lab.Strategy) *scenario.Verdict, budget int) *scenario.Verdict {
	verdicts := map[*lab.Result]*scenario.Verdict{failing.Result: failing}
	want := failing.Fired()
	small := lab.Shrink(failing.Result,
		func(s lab.Strategy) *lab.Result {
			s.NewSchedule()
			v := run(s)
			verdicts[v.Result] = v
			return v.Result
		},
		func(r *lab.Result) bool { return slices.Equal(verdicts[r].Fired(), want) },
		budget)
	return verdicts[small]
}

func (c *Cell) observe(v *scenario.Verdict) { c.observeRun(reachedStale(v), v.Evidence) }

// reachedStale reports whether v's run reached a stale window.
func reachedStale(v *scenario.Verdict) bool {
	for _, name := range v.Result.Trace.Names() {
		if strings.HasSuffix(name, "_reached") || slices.Contains(staleDetected, name) {
			return true
		}
	}
	return false
}

func (c *Cell) observeRun(reached bool, evidence []scenario.EvidenceResult) {
	if reached {
		c.Reachable++
	}
	for _, e := range evidence {
		if c.Evidence == nil {
			c.Evidence = map[string]int{}
		}
		c.Evidence[e.Evidence] = max(c.Evidence[e.Evidence], e.Got)
	}
}

func (c *Cell) matches(exp scenario.Cell) bool {
	if c.Verdict == "skipped" {
		return true // the target cannot run it; the table says why
	}
	if c.Verdict == "scenario error" {
		return false
	}
	switch exp {
	case scenario.MustCatch:
		if c.Verdict != "violation" {
			return false
		}
		for _, o := range c.Oracles {
			if slices.Contains(c.ExpectedOracles, o) {
				return true
			}
		}
		return len(c.ExpectedOracles) == 0
	case scenario.MustBeClean:
		return c.Verdict == "clean"
	}
	return c.Verdict != "error"
}

// startCell makes the cell of (sc, variant) with its expectation and the
// time it starts; finish, deferred, stamps the cell's wall time and
// whether its verdict is the expected one.
func startCell(sc *scenario.Scenario, variant string, opt Options) (c *Cell, start time.Time, finish func()) {
	c = &Cell{Scenario: sc.Name, Variant: variant, Strategy: opt.Strategy, Seed: opt.Seed, FirstFailure: -1, Deterministic: true}
	exp, oracles := sc.Expected(variant)
	c.Expected, c.ExpectedOracles = exp.String(), oracles
	start = time.Now()
	return c, start, func() {
		c.Seconds = time.Since(start).Seconds()
		c.Match = c.matches(exp)
	}
}
