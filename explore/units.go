package explore

import (
	"slices"

	"iomaplab/lab"
	"iomaplab/scenario"
)

// A cell's schedules split into units, each a deterministic sequence of
// schedules that needs nothing from the others: for random and pct, a run
// of consecutive schedule numbers (schedule i is a pure function of the
// seed and i, pct's also of schedule 0's length); for dfs, the subtree of a
// decision prefix; for delay, the whole search (its order interleaves the
// whole tree: one unit). The serial run's schedules are the units' in unit
// order, so any worker or shard may run any unit, and fold puts the results
// back in the serial order: the same schedules, the same first failure.

// unitSpan is how many consecutive schedules a random or pct unit runs.
const unitSpan = 8

// splitTarget is how many dfs units a cell aims for, splitDepth the
// deepest prefix it tries; each level of prefixes costs one run per prefix
// (a shard runs these itself: every shard plans the same units).
const (
	splitTarget = 16
	splitDepth  = 8
)

// Unit is one part of a cell's schedules and what running it found.
type Unit struct {
	Index  int   `json:"unit"`
	First  int   `json:"first,omitempty"`  // random, pct: its first schedule number
	Prefix []int `json:"prefix,omitempty"` // dfs: the decisions its schedules begin with
	Runs   []Run `json:"runs"`
	// End is why it stopped before its count: "exhausted"; "violation" or
	// "op error" (its last run); "skipped", "scenario error" or "host
	// fault" (a run not counted). Empty: it ran its count.
	End     string   `json:"end,omitempty"`
	Message string   `json:"message,omitempty"`
	Failure *Failure `json:"failure,omitempty"` // with End "violation", if described

	count    int // schedules it may run
	failing  *scenario.Verdict
	err      error
	evidence []scenario.EvidenceResult // the longest evidence list a run had
}

// Run is what the cell keeps of one schedule.
type Run struct {
	Hash    uint64 `json:"hash"` // the trace's: the schedule's identity
	Reached bool   `json:"reached,omitempty"`
	Got     []int  `json:"got,omitempty"`
	Met     []bool `json:"met,omitempty"`
}

// stops reports whether a unit's end stops the cell there.
func (u *Unit) stops() bool { return u.End != "" && u.End != "exhausted" }

// worker runs schedules of one cell on its own target.
type worker struct {
	sc      *scenario.Scenario
	variant string
	opt     Options
	target  scenario.Target
}

func (w *worker) run(s lab.Strategy) *scenario.Verdict {
	return scenario.Run(w.sc, w.target, lab.Config{Controlled: true, Strategy: s})
}

// plan returns the cell's units in serial order, with pct's horizon. It
// runs schedules to learn the shape of a dfs tree and pct's schedule 0.
func (w *worker) plan() (units []*Unit, horizon int) {
	switch w.opt.Strategy {
	case "random", "pct":
		for first := 0; first < w.opt.Budget; first += unitSpan {
			units = append(units, &Unit{Index: len(units), First: first, count: min(unitSpan, w.opt.Budget-first)})
		}
		if w.opt.Strategy == "pct" && w.opt.Budget > unitSpan {
			p := lab.NewPCT(w.opt.Seed, w.opt.Depth)
			p.NewSchedule()
			w.run(p)
			horizon = p.Horizon()
		}
		return units, horizon
	case "dfs":
		for _, p := range w.prefixes() {
			units = append(units, &Unit{Index: len(units), Prefix: p, count: w.opt.Budget})
		}
		return units, 0
	}
	return []*Unit{{count: w.opt.Budget}}, 0
}

// prefixes returns the dfs tree's decision prefixes, in dfs order, deep
// enough for splitTarget subtrees (or splitDepth decisions).
func (w *worker) prefixes() [][]int {
	prefixes := [][]int{nil}
	for depth := 0; depth < splitDepth && len(prefixes) < splitTarget; depth++ {
		var next [][]int
		for _, p := range prefixes {
			if len(p) < depth { // a whole schedule
				next = append(next, p)
				continue
			}
			d := lab.NewDFSUnder(w.opt.Preemptions, p)
			d.NewSchedule()
			w.run(d)
			branches := d.Branches()
			if branches == nil {
				next = append(next, p)
			}
			for _, b := range branches {
				next = append(next, append(slices.Clone(p), b))
			}
		}
		prefixes = next
	}
	return prefixes
}

// strategy returns the strategy that runs unit u.
func (w *worker) strategy(u *Unit, horizon int) lab.Strategy {
	o := w.opt
	switch o.Strategy {
	case "random":
		r := lab.NewRandom(o.Seed)
		r.Seek(uint64(u.First))
		return r
	case "pct":
		p := lab.NewPCT(o.Seed, o.Depth)
		if u.First > 0 {
			p.Seek(uint64(u.First), horizon)
		}
		return p
	case "dfs":
		return lab.NewDFSUnder(o.Preemptions, u.Prefix)
	}
	s, _ := NewStrategy(o.Strategy, o.Seed, o.Depth, o.Preemptions) // checked by Explore
	return s
}

// runUnit runs u's schedules as Explore's loop does, keeping each one's
// record; progress sees each counted schedule.
func (w *worker) runUnit(u *Unit, horizon int, progress func()) {
	s := w.strategy(u, horizon)
	for range u.count {
		if !s.NewSchedule() {
			u.End = "exhausted"
			return
		}
		v := w.run(s)
		if err := environmental(v); err != nil {
			u.End, u.Message, u.err = "host fault", err.Error(), err
			return
		}
		if v.Skipped != "" {
			u.End, u.Message = "skipped", v.Skipped
			return
		}
		if v.ScenarioError != nil {
			u.End, u.Message, u.err = "scenario error", v.ScenarioError.Error(), v.ScenarioError
			return
		}
		u.Runs = append(u.Runs, record(v))
		if len(v.Evidence) > len(u.evidence) {
			u.evidence = v.Evidence
		}
		progress()
		if v.Violated() {
			u.End, u.failing = "violation", v
			return
		}
		if len(v.OpErrors) > 0 {
			u.End, u.Message = "op error", v.OpErrors[0].Error()
			return
		}
	}
}

func record(v *scenario.Verdict) Run {
	r := Run{Hash: v.Result.Trace.Hash(), Reached: reachedStale(v)}
	for _, e := range v.Evidence {
		r.Got = append(r.Got, e.Got)
		r.Met = append(r.Met, e.Met)
	}
	return r
}

// fold fills c from units (indexed by unit number; nil: not run here) as
// Explore's serial loop would have: their runs in order up to the budget or
// the first run that stops the cell. With partial (one shard's units),
// missing units are passed over; else a missing unit that the serial run
// would have reached is an error.
func (c *Cell) fold(units []*Unit, template []scenario.EvidenceResult, budget int, directed, partial bool) error {
	var tally scenario.EvidenceTally
	defer func() { c.EvidenceStats = tally.Stats() }()
	count, stopped := 0, false
	for _, u := range units {
		if count >= budget {
			break
		}
		if u == nil {
			if partial {
				continue
			}
			return &inputError{"the shard results are incomplete: a part of " + c.Scenario + " [" + c.Variant + "] no shard ran (give every shard's file, each once)"}
		}
		consumed := 0
		for _, r := range u.Runs {
			if count >= budget {
				break
			}
			ev := evidenceOf(template, r)
			c.Schedules++
			c.hashes = append(c.hashes, r.Hash)
			c.observeRun(r.Reached, ev)
			tally.Add(&scenario.Verdict{Evidence: ev})
			count++
			consumed++
		}
		if count >= budget && (consumed < len(u.Runs) || (u.End != "violation" && u.End != "op error")) {
			break // the serial run's budget ends here, before u's end
		}
		if stopped = c.stop(u, count); stopped {
			break
		}
	}
	if stopped {
		return nil
	}
	if c.Strategy == "dfs" || c.Strategy == "delay" {
		c.Exhausted = count < budget
		if partial {
			c.Exhausted = allExhausted(units)
		}
	}
	c.Verdict = "clean"
	if msg := tally.Unmet(directed); msg != "" && c.Variant == "correct" && !partial {
		c.Verdict, c.Message = "unreached", msg
	}
	return nil
}

// stop ends the cell at u's end, if it stops the cell; count is the
// schedules counted so far.
func (c *Cell) stop(u *Unit, count int) bool {
	switch u.End {
	case "violation":
		c.FirstFailure = count - 1
		c.Verdict = "violation"
		if u.Failure != nil {
			f := *u.Failure
			f.Token = renumber(f.Token, c.FirstFailure)
			c.apply(&f)
		}
	case "op error":
		c.Verdict, c.Message = "error", u.Message
	case "skipped":
		c.Verdict, c.Message = "skipped", u.Message
	case "scenario error", "host fault":
		c.Verdict, c.Message, c.Err = "error", u.Message, u.err
		if u.End == "scenario error" {
			c.Verdict = "scenario error"
		}
		if c.Err == nil {
			c.Err = &partError{Msg: u.Message, Env: u.End == "host fault"}
		}
	default:
		return false
	}
	return true
}

// renumber returns token with its schedule number set to schedule (a
// shard numbers a dfs failure within its subtree; the merge knows where
// the subtree starts).
func renumber(token string, schedule int) string {
	tk, err := lab.DecodeToken(token)
	if token == "" || err != nil || tk.Schedule == schedule {
		return token
	}
	tk.Schedule = schedule
	return tk.Encode()
}

// evidenceOf rebuilds a run's evidence list from the cell's template.
func evidenceOf(template []scenario.EvidenceResult, r Run) []scenario.EvidenceResult {
	if len(r.Got) == 0 {
		return nil
	}
	ev := slices.Clone(template[:len(r.Got)])
	for i := range ev {
		ev[i].Got, ev[i].Met = r.Got[i], r.Met[i]
	}
	return ev
}

// allExhausted reports whether every unit present ran out of schedules.
func allExhausted(units []*Unit) bool {
	seen := false
	for _, u := range units {
		if u != nil {
			if u.End != "exhausted" {
				return false
			}
			seen = true
		}
	}
	return seen
}
