package bench

import (
	"errors"
	"fmt"
	"math"
	"time"

	"iomaplab/kernel"
	"iomaplab/scenario"
)

// kernelScenario is the catalogue's scenario file the kernel figures run:
// xfs/559 without a debug kernel.
const kernelScenario = "write-stale-unwritten"

// kernelBatch is one kernel.RunScenarios of the scenario on a fresh XFS
// loop device.
type kernelBatch struct {
	seconds float64 // wall time of the whole batch (mkfs, runs, mount cycle)
	runs    int
	hits    int // runs with xfs_iomap_invalid in a writer's thread
	noTrace bool
	problem string
}

func runKernelBatch(cells []kernel.ScenarioCell, runs int, undirected bool) (kernelBatch, error) {
	start := time.Now()
	rep, err := kernel.RunScenarios(kernel.NewSupervisor(), kernel.ScenarioConfig{Cells: cells, Runs: runs, Undirected: undirected})
	kb := kernelBatch{seconds: time.Since(start).Seconds()}
	if err != nil {
		return kb, err
	}
	if len(rep.Cells) != 1 {
		return kb, fmt.Errorf("kernel run returned %d cells", len(rep.Cells))
	}
	c := rep.Cells[0]
	kb.runs = c.Runs
	if c.Evidence == nil {
		kb.noTrace = true
	} else {
		kb.hits = c.Evidence.Hits
	}
	if !c.OK && len(c.Violations) > 0 {
		kb.problem = c.Violations[0]
	}
	return kb, nil
}

// kernel measures the directed userfaultfd window against an undirected
// run of the same operations for the same wall time.
func (b *bench) kernel() error {
	names := []string{"directed runs/s", "directed evidence rate", "directed runs with evidence/s"}
	miss := func(why string) error {
		for _, n := range names {
			b.add(&Figure{Group: "kernel", Name: n, Missing: why, Baseline: "undirected, same wall time", BaseMissing: why})
		}
		return nil
	}
	if b.cfg.ModelOnly {
		return miss("kernel target disabled (model only)")
	}
	if err := kernel.CheckEnv([]string{"xfs"}, false); err != nil {
		return miss(err.Error())
	}
	sc, err := kernel.LoadScenario(kernelScenario)
	if err != nil {
		return miss(err.Error())
	}
	// The undirected side is the same file as a free race (--undirected):
	// no stall-at, no await/release, so the writer and the window race.
	var cells [2][]kernel.ScenarioCell
	for i, undirected := range []bool{false, true} {
		if cells[i], err = kernel.PlanScenarios([]*scenario.Scenario{sc}, []string{"xfs"}, undirected); err != nil {
			return miss(err.Error())
		}
	}
	R := b.cfg.KernelRuns
	perRunU := 0.0 // undirected seconds per run, from the previous batch
	var problems []string
	noTrace := false
	s, err := repeat(b.cfg.Runs, 7, b.progress, "kernel "+kernelScenario+" on xfs", func() ([]float64, error) {
		d, err := runKernelBatch(cells[0], R, false)
		if err != nil {
			return nil, err
		}
		n := R
		if perRunU > 0 {
			n = max(1, int(math.Round(d.seconds/perRunU)))
		}
		u, err := runKernelBatch(cells[1], n, true)
		if err != nil {
			return nil, err
		}
		perRunU = u.seconds / float64(max(u.runs, 1))
		for _, p := range []string{d.problem, u.problem} {
			if p != "" {
				problems = append(problems, p)
			}
		}
		noTrace = noTrace || d.noTrace
		return []float64{float64(d.runs) / d.seconds, float64(u.runs) / u.seconds,
			float64(d.hits) / float64(max(d.runs, 1)), float64(u.hits) / float64(max(u.runs, 1)), u.seconds / d.seconds,
			float64(d.hits) / d.seconds, float64(u.hits) / u.seconds}, nil
	})
	if err != nil {
		var env *kernel.EnvError
		if errors.As(err, &env) {
			return miss(env.Reason)
		}
		return err
	}
	note := fmt.Sprintf("%s on xfs (loop), %d directed runs per batch; undirected wall/directed wall median %.2f", kernelScenario, R, s[4].Median)
	if len(problems) > 0 {
		note += "; PROBLEM: " + problems[0]
	}
	b.add(&Figure{Group: "kernel", Name: "directed runs/s", Unit: "runs/s", Value: &s[0],
		Baseline: "undirected runs/s, same wall time", Base: &s[1], Note: note})
	ev := &Figure{Group: "kernel", Name: "directed evidence rate", Unit: "of runs", Value: &s[2],
		Baseline: "undirected, same wall time", Base: &s[3],
		Note: "fraction of runs in which xfs_iomap_invalid fired in the writer's thread (undirected: in any scenario thread's pwrite)"}
	evs := &Figure{Group: "kernel", Name: "directed runs with evidence/s", Unit: "runs/s", Value: &s[5],
		Baseline: "undirected, same wall time", Base: &s[6], Note: "runs with xfs_iomap_invalid per second of wall time"}
	for _, f := range []*Figure{ev, evs} {
		if noTrace {
			f.Value, f.Base = nil, nil
			f.Missing, f.BaseMissing = "the kernel has no xfs_iomap_invalid tracepoint", "no tracepoint"
		}
		b.add(f)
	}
	b.chart("kernel", "kernel xfs: "+kernelScenario+", runs and runs with evidence per second", "runs/s",
		bar("directed", &s[0]), bar("undirected", &s[1]), bar("directed, evidence", evs.Value), bar("undirected, evidence", evs.Base))
	return nil
}
