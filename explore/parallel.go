package explore

import (
	"sync"

	"iomaplab/scenario"
)

// MaxJobs bounds --jobs.
const MaxJobs = 1024

// Part is a shard's share of a cell: the units it ran, for Merge.
type Part struct {
	Shard string `json:"shard"` // I/N
	// Units is how many units the cell has; Ran holds the shard's.
	Units    int                       `json:"units"`
	Ran      []*Unit                   `json:"ran"`
	Evidence []scenario.EvidenceResult `json:"evidence_template,omitempty"`
	Directed bool                      `json:"directed"`
	Budget   int                       `json:"budget"`
}

// exploreUnits is Explore with opt.Jobs workers or opt.Shard's share: the
// cell split into units (see Unit), the units run in parallel, folded back
// in serial order. The cell is the serial run's, except Seconds; a shard's
// cell covers its own units (Part holds them for Merge).
func exploreUnits(sc *scenario.Scenario, variant string, mk TargetFactory, opt Options) *Cell {
	c, _, finish := startCell(sc, variant, opt)
	defer finish()
	target, err := mk(variant)
	if err != nil {
		c.Verdict, c.Message = "error", err.Error()
		return c
	}
	lead := &worker{sc: sc, variant: variant, opt: opt, target: target}
	all, horizon := lead.plan()
	var mine []*Unit
	for _, u := range all {
		if opt.Shard.owns(opt.Strategy, sc.Name, variant, u.Index) {
			mine = append(mine, u)
		}
	}
	runUnits(lead, mine, horizon, mk, opt)
	if f := firstStop(mine); f != nil && f.End == "violation" {
		f.Failure = describe(sc, variant, target, opt, 0, f.failing, lead.run)
	}
	units := make([]*Unit, len(all))
	var template []scenario.EvidenceResult
	for _, u := range mine {
		units[u.Index] = u
		if len(u.evidence) > len(template) {
			template = u.evidence
		}
	}
	partial := opt.Shard.Sharded()
	if err := c.fold(units, template, opt.Budget, sc.Directed, partial); err != nil {
		c.Verdict, c.Message, c.Err = "error", err.Error(), err // cannot happen: every unit ran or was cut off
	}
	if partial {
		c.Part = &Part{Shard: opt.Shard.String(), Units: len(all), Ran: mine, Evidence: template, Directed: sc.Directed, Budget: opt.Budget}
	}
	return c
}

// firstStop returns the first unit whose end stops the cell, or nil.
func firstStop(units []*Unit) *Unit {
	for _, u := range units {
		if u.stops() {
			return u
		}
	}
	return nil
}

// runUnits runs units (in serial order) on opt.Jobs workers, each with its
// own target; lead is the first. A worker takes the next unit not yet
// taken; none is started past a unit that stops the cell or past the
// point where the units before it already fill the budget (the serial run
// would not reach it), so the work done varies with timing but the fold
// does not.
func runUnits(lead *worker, units []*Unit, horizon int, mk TargetFactory, opt Options) {
	var (
		mu     sync.Mutex
		next   int
		limit  = len(units) // units at or past limit are not started
		done   = make([]bool, len(units))
		counts int
		wg     sync.WaitGroup
	)
	progress := func() {
		mu.Lock()
		defer mu.Unlock()
		counts++
		if opt.Progress != nil {
			opt.Progress(counts)
		}
	}
	finish := func(i int) {
		mu.Lock()
		defer mu.Unlock()
		done[i] = true
		if units[i].stops() {
			limit = min(limit, i+1)
		}
		// The shard's own units before a point are a lower bound on the
		// serial run's schedules before it.
		sum := 0
		for j := 0; j < len(units) && done[j]; j++ {
			sum += len(units[j].Runs)
			if sum >= opt.Budget {
				limit = min(limit, j+1)
				break
			}
		}
	}
	work := func(w *worker) {
		defer wg.Done()
		for {
			mu.Lock()
			i := next
			if i >= limit {
				mu.Unlock()
				return
			}
			next++
			mu.Unlock()
			w.runUnit(units[i], horizon, progress)
			finish(i)
		}
	}
	jobs := max(1, min(opt.Jobs, len(units)))
	wg.Add(jobs)
	for j := 1; j < jobs; j++ {
		w := *lead
		target, err := mk(lead.variant)
		if err != nil {
			wg.Done() // the others do its share
			continue
		}
		w.target = target
		go work(&w)
	}
	work(lead)
	wg.Wait()
}
