package bench

import (
	"fmt"
	"runtime"
	"time"

	"iomaplab/explore"
	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/scenario"
	"iomaplab/scenario/model"
)

// supported reports why the model target cannot run sc, or "".
func supported(sc *scenario.Scenario) string {
	if err := model.New(variant.Correct).Supports(sc.FS); err != nil {
		return err.Error()
	}
	return ""
}

// rateScenario is the exploratory scenario the schedules/s figure runs,
// named so that the figure stays comparable as the catalogue grows.
const rateScenario = "explore-short-write-mkwrite"

// twoThreadScenario is rateScenario, or (if a catalogue lacks it) the first
// exploratory scenario with exactly two threads that the model runs.
func twoThreadScenario(all []*scenario.Scenario) *scenario.Scenario {
	var first *scenario.Scenario
	for _, sc := range all {
		if !sc.Directed && len(sc.Threads) == 2 && supported(sc) == "" {
			if sc.Name == rateScenario {
				return sc
			}
			if first == nil {
				first = sc
			}
		}
	}
	return first
}

// mutantScenario returns the first exploratory scenario whose catches
// lines name v (preferring one the model runs), and why it cannot run.
func mutantScenario(all []*scenario.Scenario, v string) (*scenario.Scenario, string) {
	var first *scenario.Scenario
	for _, sc := range all {
		if sc.Directed {
			continue
		}
		if cell, _ := sc.Expected(v); cell != scenario.MustCatch {
			continue
		}
		if supported(sc) == "" {
			return sc, ""
		}
		if first == nil {
			first = sc
		}
	}
	if first == nil {
		return nil, "no exploratory scenario catches it"
	}
	return first, first.Name + ": " + supported(first)
}

// lab measures the race lab's figures.
func (b *bench) lab() error {
	all, err := scenario.List()
	if err != nil {
		return err
	}
	if err := b.schedulesPerSecond(all); err != nil {
		return err
	}
	if err := b.parallelSchedules(all); err != nil {
		return err
	}
	if b.cfg.Baseline != nil {
		sc := twoThreadScenario(all)
		if sc == nil {
			b.add(&Figure{Group: "lab", Name: "one world schedules/s vs baseline", Unit: "schedules/s", Missing: "no 2-thread exploratory scenario"})
		} else if err := b.oneWorldVsBaseline(sc.Name); err != nil {
			return err
		}
	}
	for _, v := range variant.Names()[1:] {
		sc, why := mutantScenario(all, v)
		if why != "" {
			name := "-"
			if sc != nil {
				name = sc.Name
			}
			for _, s := range explore.Strategies {
				b.add(&Figure{Group: "lab", Name: fmt.Sprintf("find %s (%s)", v, s), Unit: "s", Missing: why,
					Baseline: "free-mode stress", BaseMissing: why, Note: "scenario " + name})
			}
			continue
		}
		b.findMutant(sc, v)
	}
	return nil
}

// schedulesPerSecond: controlled schedules (random walk) of a 2-thread
// scenario per second, against free-mode runs of it per second.
func (b *bench) schedulesPerSecond(all []*scenario.Scenario) error {
	sc := twoThreadScenario(all)
	if sc == nil {
		b.add(&Figure{Group: "lab", Name: "controlled schedules/s", Unit: "schedules/s", Missing: "no 2-thread exploratory scenario"})
		return nil
	}
	n := b.cfg.Schedules
	target := model.New(variant.Correct)
	seed := uint64(0)
	// One run measures both sides in turn.
	st, err := repeat(b.cfg.Runs, 2, b.progress, "lab schedules/s", func() ([]float64, error) {
		seed++
		c := explore.Explore(sc, "correct", model.ForVariant, explore.Options{Strategy: "random", Budget: n, Seed: seed})
		if c.Verdict != "clean" {
			return nil, fmt.Errorf("%s under correct: %s %s", sc.Name, c.Verdict, c.Message)
		}
		start := time.Now()
		for range n {
			v := freeRun(sc, target, b.hang())
			if v == nil {
				return nil, fmt.Errorf("%s in free mode under correct: the run hung", sc.Name)
			}
			if v.Violated() || len(v.OpErrors) > 0 {
				return nil, fmt.Errorf("%s in free mode under correct: %s", sc.Name, v)
			}
		}
		return []float64{float64(c.Schedules) / c.Seconds, float64(n) / time.Since(start).Seconds()}, nil
	})
	if err != nil {
		return err
	}
	ctl, free := st[0:1], st[1:2]
	b.add(&Figure{Group: "lab", Name: "controlled schedules/s", Unit: "runs/s", Value: &ctl[0],
		Baseline: "free-mode runs/s", Base: &free[0],
		Note: fmt.Sprintf("%s (2 threads), random walk, %d schedules per run", sc.Name, n)})
	b.chart("lab-schedules", "race lab: "+sc.Name+" runs per second", "runs/s",
		bar("controlled (random walk)", &ctl[0]), bar("free mode", &free[0]))
	return nil
}

// labShards is how many shards the merged-shards figure splits a run into.
const labShards = 4

// parallelSchedules: the schedules/s of one cell explored with --jobs
// NumCPU against --jobs 1, and of labShards shards run one after the other
// (as separate machines would run them at once: the slowest shard's time)
// and merged, against the serial run; each parallel run's cell must be the
// serial one.
func (b *bench) parallelSchedules(all []*scenario.Scenario) error {
	sc := twoThreadScenario(all)
	if sc == nil {
		b.add(&Figure{Group: "lab", Name: "controlled schedules/s, jobs", Unit: "schedules/s", Missing: "no 2-thread exploratory scenario"})
		return nil
	}
	n, jobs := b.cfg.Schedules, runtime.NumCPU()
	seed := uint64(0)
	st, err := repeat(b.cfg.Runs, 4, b.progress, "lab jobs and shards", func() ([]float64, error) {
		seed++
		o := explore.Options{Strategy: "random", Budget: n, Seed: seed}
		serial := explore.Explore(sc, "correct", model.ForVariant, o)
		o.Jobs = jobs
		par := explore.Explore(sc, "correct", model.ForVariant, o)
		o.Jobs = 1
		var shards [][]*explore.Cell
		slowest := 0.0
		for i := range labShards {
			o.Shard = explore.Shard{Index: i, Count: labShards}
			c := explore.Explore(sc, "correct", model.ForVariant, o)
			slowest = max(slowest, c.Seconds)
			shards = append(shards, []*explore.Cell{c})
		}
		merged, err := explore.Merge(shards)
		if err != nil {
			return nil, err
		}
		for _, c := range []*explore.Cell{par, merged[0]} {
			if c.Verdict != serial.Verdict || c.Schedules != serial.Schedules || c.Reachable != serial.Reachable {
				return nil, fmt.Errorf("%s: a parallel run differs from the serial one: %s %d schedules %d reached, serial %s %d %d",
					sc.Name, c.Verdict, c.Schedules, c.Reachable, serial.Verdict, serial.Schedules, serial.Reachable)
			}
		}
		rate := float64(serial.Schedules) / serial.Seconds
		return []float64{float64(par.Schedules) / par.Seconds, rate, float64(merged[0].Schedules) / slowest, rate}, nil
	})
	if err != nil {
		return err
	}
	b.add(&Figure{Group: "lab", Name: fmt.Sprintf("controlled schedules/s, --jobs %d", jobs), Unit: "schedules/s", Value: &st[0],
		Baseline: "--jobs 1", Base: &st[1],
		Note: fmt.Sprintf("%s, random walk, %d schedules per run, %d CPUs; the same cell as --jobs 1", sc.Name, n, jobs)})
	b.add(&Figure{Group: "lab", Name: fmt.Sprintf("controlled schedules/s, %d shards merged", labShards), Unit: "schedules/s", Value: &st[2],
		Baseline: "serial run", Base: &st[3],
		Note: fmt.Sprintf("shards run one after the other here; the figure is the schedules over the slowest shard's time (what %d machines would take), merged cell identical to the serial one", labShards)})
	return nil
}

// strategySeeds is the seeds a strategy is run with: dfs ignores its seed,
// so it runs once; delay orders its space by the seed, so it runs with each.
func (b *bench) strategySeeds(strategy string) int {
	if !explore.UsesSeed(strategy) {
		return 1
	}
	return b.cfg.Seeds
}

// findMutant measures the time to find variant v in sc per strategy, and
// free-mode stress of sc for as long as PCT spent on all its seeds.
func (b *bench) findMutant(sc *scenario.Scenario, v string) {
	var finds []*Find
	var wall float64
	for _, s := range explore.Strategies {
		f := &Find{Mutant: v, Scenario: sc.Name, Strategy: s, Seeds: b.strategySeeds(s), Budget: b.cfg.Budget}
		var secs, sched []float64
		for seed := 1; seed <= f.Seeds; seed++ {
			c := explore.Explore(sc, v, model.ForVariant, explore.Options{Strategy: s, Budget: b.cfg.Budget,
				Depth: explore.Defaults.Depth, Preemptions: explore.Defaults.Preemptions, Seed: uint64(seed)})
			spent := c.Seconds
			if c.FirstFailure >= 0 && c.Match { // caught by an oracle its catches line names
				f.Found++
				secs = append(secs, c.SecondsToFind)
				sched = append(sched, float64(c.FirstFailure+1))
				spent = c.SecondsToFind
			}
			if s == "pct" {
				wall += spent
			}
		}
		if f.Found > 0 {
			f.Seconds, f.Schedule = stat(statOf(secs)), stat(statOf(sched))
		}
		b.progress(fmt.Sprintf("lab find %s (%s): found %d/%d", v, s, f.Found, f.Seeds))
		finds = append(finds, f)
	}
	st := b.stress(sc, v, wall)
	for _, f := range finds {
		f.Stress = st
		fig := &Figure{Group: "lab", Name: fmt.Sprintf("find %s (%s)", v, f.Strategy), Unit: "s", Value: f.Seconds,
			Baseline: fmt.Sprintf("free-mode stress for %ss", num(st.WallSeconds)), Base: st.Seconds}
		seeds := fmt.Sprintf("%d seeds", f.Seeds)
		if f.Seeds == 1 {
			seeds = "1 run (dfs ignores the seed)"
		}
		if f.Seconds == nil {
			fig.Missing = fmt.Sprintf("not found in %s x %d schedules", seeds, f.Budget)
		}
		if st.Seconds == nil {
			fig.BaseMissing = fmt.Sprintf("not found in %d rounds", st.Rounds)
			if st.Hung > 0 {
				fig.BaseMissing += " (a run hung)"
			}
		}
		fig.Note = fmt.Sprintf("%s; found %d/%s", sc.Name, f.Found, seeds)
		if f.Schedule != nil {
			fig.Note += fmt.Sprintf("; schedule median %s max %s", num(f.Schedule.Median), num(f.Schedule.Max))
		}
		fig.Note += fmt.Sprintf("; stress found %d/%d rounds", st.Found, st.Rounds)
		if st.Hung > 0 {
			fig.Note += fmt.Sprintf(", then a free-mode run hung (never finished within %v) and stress stopped", b.hang())
		}
		b.add(fig)
	}
	b.rep.Finds = append(b.rep.Finds, finds...)
}

// stress runs sc with variant v in free mode, run after run, for wall
// seconds or until a run is caught by an oracle of sc's catches line for v,
// Runs rounds after a warm-up round. A run that hangs ends the stress: the
// rounds done so far count, the hang is reported.
func (b *bench) stress(sc *scenario.Scenario, v string, wall float64) *Stress {
	target, _ := model.ForVariant(v)
	_, oracles := sc.Expected(v)
	st := &Stress{WallSeconds: wall}
	var secs, rates []float64
	for round := 0; round <= b.cfg.Runs && st.Hung == 0; round++ {
		start := time.Now()
		runs, found := 0, false
		for !found && (runs == 0 || time.Since(start).Seconds() < wall) {
			verdict := freeRun(sc, target, b.hang())
			if verdict == nil {
				st.Hung++
				break
			}
			runs++
			found = verdict.Caught(oracles)
		}
		el := time.Since(start).Seconds()
		if round == 0 || st.Hung > 0 {
			continue // warm-up, or cut short by a hang
		}
		st.Rounds++
		rates = append(rates, float64(runs)/el)
		if found {
			st.Found++
			secs = append(secs, el)
		}
	}
	if st.Found > 0 {
		st.Seconds = stat(statOf(secs))
	}
	st.RunsPerSec = statOf(rates)
	b.progress(fmt.Sprintf("lab stress %s (%s, %ss): found %d/%d, hung %d", v, sc.Name, num(wall), st.Found, st.Rounds, st.Hung))
	return st
}

// hang is how long a free-mode run may take before it counts as hung.
func (b *bench) hang() time.Duration {
	if b.cfg.HangTimeout > 0 {
		return b.cfg.HangTimeout
	}
	return 5 * time.Second
}

// freeRun runs sc once in a free world. It returns nil if the run did not
// finish within limit: in a free world a thread that fails an oracle
// unwinds alone, and a scenario whose main thread waits for it (or for a
// lock it held) never ends. The hung run's goroutines are abandoned.
func freeRun(sc *scenario.Scenario, target scenario.Target, limit time.Duration) *scenario.Verdict {
	done := make(chan *scenario.Verdict, 1)
	go func() { done <- scenario.Run(sc, target, lab.Config{}) }()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case v := <-done:
		return v
	case <-timer.C:
		return nil
	}
}
