package kernel

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"iomaplab/extent"
	"iomaplab/lab"
	"iomaplab/scenario"
	"iomaplab/vfs"
)

// The differential check (model vs kernel): an exploratory scenario with
// kernel lines runs as a free race on the real filesystem and as controlled
// random schedules on the model of the same filesystem. Each run ends in an
// outcome read after the runner's remount: every file's size and the state
// of each of its blocks below EOF (hole, unwritten, written; FIEMAP on the
// kernel, the data fork on the model). Data needs no outcome of its own:
// the runner's data oracle already holds every kernel run's bytes against
// the values the model's reference allows (racing writes included). The
// two sides agree when every kernel outcome is among the model's and no
// kernel run broke an oracle; otherwise the cell is a fidelity failure,
// shown with both sides. The model's set is what its schedules reached: a
// kernel outcome outside it may be one the model allows but did not draw,
// so the cell says how many schedules it ran.

// DiffConfig is one differential run over planned cells.
type DiffConfig struct {
	Cells          []ScenarioCell // exploratory cells are compared, others skipped
	KernelRuns     int            // free-race runs per cell on the kernel (default 10)
	ModelSchedules int            // random schedules per cell on the model (default 200)
	Seed           uint64         // first model seed (schedule i uses Seed+i)
	// Model makes the model target of a variant ("correct").
	Model func(variant string) (scenario.Target, error)
}

// DiffCell is one scenario on one filesystem, compared.
type DiffCell struct {
	Scenario string `json:"scenario"`
	FS       string `json:"fs"`
	// Verdict is "agree", "disagree", or "no model" (the model has no such
	// filesystem: btrfs, or an fs line of another type).
	Verdict        string   `json:"verdict"`
	KernelRuns     int      `json:"kernel_runs"`
	ModelSchedules int      `json:"model_schedules"`
	Kernel         []string `json:"kernel_outcomes"`
	Model          []string `json:"model_outcomes"`
	// Failures are the kernel outcomes the model did not reach and the
	// oracles that fired, each with its run.
	Failures []string `json:"failures,omitempty"`
}

// Differential runs the comparison. Kernel resources are registered with
// sup and released before it returns.
func Differential(sup *Supervisor, cfg DiffConfig) (cells []DiffCell, err error) {
	if cfg.KernelRuns == 0 {
		cfg.KernelRuns = 10
	}
	if cfg.ModelSchedules == 0 {
		cfg.ModelSchedules = 200
	}
	defer func() {
		if cerr := sup.Cleanup(); err == nil && cerr != nil {
			err = fmt.Errorf("cleanup: %w", cerr)
		}
	}()
	defer sup.Recover("differential check")
	if cfg.KernelRuns < 0 || cfg.KernelRuns > MaxRuns || cfg.ModelSchedules < 0 || cfg.ModelSchedules > MaxRuns {
		return nil, &BadInputError{fmt.Sprintf("differential: %d kernel runs, %d model schedules: want 1..%d each", cfg.KernelRuns, cfg.ModelSchedules, MaxRuns)}
	}
	env, err := OpenScenarioEnv(sup, "", false)
	if err != nil {
		return nil, err
	}
	for _, fstype := range cellFS(cfg.Cells) {
		tg, err := env.Target(fstype)
		if err != nil {
			return cells, err
		}
		for _, c := range cfg.Cells {
			if c.FS != fstype || c.Scenario.Directed || sup.Ending() {
				continue
			}
			dc, err := diffCell(tg, c.Scenario, cfg)
			if err != nil {
				tg.Close()
				return cells, err
			}
			cells = append(cells, dc)
		}
		if err := tg.Close(); err != nil {
			return cells, err
		}
	}
	return cells, nil
}

// cellFS lists the cells' filesystems in order of first appearance.
func cellFS(cells []ScenarioCell) []string {
	var out []string
	for _, c := range cells {
		if !slices.Contains(out, c.FS) {
			out = append(out, c.FS)
		}
	}
	return out
}

func diffCell(tg *ScenarioTarget, sc *scenario.Scenario, cfg DiffConfig) (DiffCell, error) {
	dc := DiffCell{Scenario: sc.Name, FS: tg.fsType, Verdict: "no model"}
	kernel := &outcomeTarget{Target: tg, sc: sc, states: kernelStates(sc.FS.Type == "xfs" || sc.FS.Type == "ext4")}
	kernelSeen := map[string]bool{}
	for i := 1; i <= cfg.KernelRuns && !tg.env.sup.Ending(); i++ {
		v := scenario.Run(sc, kernel, lab.Config{})
		dc.KernelRuns++
		kernelSeen[kernel.last] = true
		for _, p := range runProblems(tg, v) {
			dc.Failures = append(dc.Failures, fmt.Sprintf("kernel run %d: %s", i, p))
		}
		if kernel.last == "" {
			dc.Failures = append(dc.Failures, fmt.Sprintf("kernel run %d: no outcome read after the remount", i))
		}
	}
	dc.Kernel = slices.Sorted(maps.Keys(kernelSeen))
	if sc.FS.Type != tg.fsType {
		return dc, nil
	}
	mt, err := cfg.Model("correct")
	if err != nil {
		return dc, err
	}
	msc := kernelPath(sc)
	model := &outcomeTarget{Target: mt, sc: msc, states: modelStates}
	modelSeen := map[string]bool{}
	strat := lab.NewRandom(cfg.Seed)
	for i := 0; i < cfg.ModelSchedules; i++ {
		strat.NewSchedule()
		v := scenario.Run(msc, model, lab.Config{Controlled: true, Strategy: strat})
		dc.ModelSchedules++
		if v.Skipped != "" {
			return dc, &BadInputError{fmt.Sprintf("%s: the model skips it: %s", sc.Name, v.Skipped)}
		}
		for _, x := range v.Violations {
			dc.Failures = append(dc.Failures, fmt.Sprintf("model schedule %d: %s: %s", i, x.Oracle, x.Message))
		}
		modelSeen[model.last] = true
	}
	dc.Model = slices.Sorted(maps.Keys(modelSeen))
	dc.judge()
	return dc, nil
}

// kernelPath is sc as the kernel target mounts it: ext4's iomap path
// (buffered_iomap, v4) and nodelalloc on it are not in the kernels the
// target runs (up to 6.18), which mount plain ext4 and take the legacy
// delalloc path, so the model side runs that path too; comparing it with
// the iomap model would set two code paths against each other.
func kernelPath(sc *scenario.Scenario) *scenario.Scenario {
	if sc.FS.Type != "ext4" || (!sc.FS.Iomap && !sc.FS.NoDelalloc) {
		return sc
	}
	legacy := *sc
	legacy.FS.Iomap, legacy.FS.NoDelalloc = false, false
	return &legacy
}

// judge compares the outcome sets: every kernel outcome must be among the
// model's, and nothing may have failed.
func (dc *DiffCell) judge() {
	for _, k := range dc.Kernel {
		if k != "" && !slices.Contains(dc.Model, k) {
			dc.Failures = append(dc.Failures, "kernel outcome the model did not reach: "+k)
		}
	}
	dc.Verdict = "agree"
	if len(dc.Failures) > 0 {
		dc.Verdict = "disagree"
	}
}

// outcomeTarget is a target whose Check, after the remount, also reads the
// run's outcome (last).
type outcomeTarget struct {
	scenario.Target
	sc *scenario.Scenario
	// states reads a file's size and block states.
	states func(t *lab.Thread, fsys vfs.FS, name string) (int64, string, error)
	last   string
}

// Check implements scenario.Target.
func (o *outcomeTarget) Check(t *lab.Thread, fsys vfs.FS, at scenario.Quiescent) []scenario.Violation {
	out := o.Target.Check(t, fsys, at)
	if at != scenario.AfterRemount {
		return out
	}
	o.last = ""
	var parts []string
	for _, name := range o.sc.Files() {
		size, st, err := o.states(t, fsys, name)
		if err != nil {
			return append(out, scenario.Violation{Oracle: "failed", Message: fmt.Sprintf("outcome of %s: %v", name, err)})
		}
		parts = append(parts, fmt.Sprintf("%s size %d: %s", name, size, st))
	}
	o.last = strings.Join(parts, "; ")
	return out
}

// Unmount implements scenario.Unmounter when the wrapped target does.
func (o *outcomeTarget) Unmount(fsys vfs.FS) error {
	if u, ok := o.Target.(scenario.Unmounter); ok {
		return u.Unmount(fsys)
	}
	return nil
}

// Supports implements scenario.Supporter when the wrapped target does.
func (o *outcomeTarget) Supports(spec scenario.FSSpec) error {
	if s, ok := o.Target.(scenario.Supporter); ok {
		return s.Supports(spec)
	}
	return nil
}

const diffBlock = 4096

// blockStates renders per-block states below EOF as runs: "0-3 written, 4
// hole".
func blockStates(states []string) string {
	if len(states) == 0 {
		return "no blocks"
	}
	var runs []string
	for i := 0; i < len(states); {
		j := i
		for j+1 < len(states) && states[j+1] == states[i] {
			j++
		}
		r := fmt.Sprint(i)
		if j > i {
			r = fmt.Sprintf("%d-%d", i, j)
		}
		runs = append(runs, r+" "+states[i])
		i = j + 1
	}
	return strings.Join(runs, ", ")
}

func blocksBelow(size int64) int { return int((size + diffBlock - 1) / diffBlock) }

// kernelStates reads the run's file with fstat and FIEMAP (after the
// remount, so no delalloc is left); withExtents false leaves the extents
// out (the model of that filesystem exports none).
func kernelStates(withExtents bool) func(*lab.Thread, vfs.FS, string) (int64, string, error) {
	return func(_ *lab.Thread, fsys vfs.FS, name string) (int64, string, error) {
		sfs, ok := fsys.(*scenarioFS)
		if !ok {
			return 0, "", fmt.Errorf("not a kernel scenario FS: %T", fsys)
		}
		var file *scenarioFile
		sfs.run.mu.Lock()
		for _, f := range sfs.run.files {
			if f.name == name {
				file = f
			}
		}
		sfs.run.mu.Unlock()
		if file == nil {
			return 0, "", fmt.Errorf("%s not opened in this run", name)
		}
		size, err := file.Size(nil)
		if err != nil || !withExtents {
			return size, noExtents, err
		}
		exts, err := file.Extents()
		if err != nil {
			return 0, "", err
		}
		states := make([]string, blocksBelow(size))
		for b := range states {
			states[b] = "hole"
			off := uint64(b) * diffBlock
			for _, e := range exts {
				if off >= e.Off && off < e.Off+e.Len {
					states[b] = e.State()
				}
			}
		}
		return size, blockStates(states), nil
	}
}

// noExtents is the outcome's extent part where the model exports no extent
// map: not compared.
const noExtents = "extents not compared (no model extent map)"

// modelStates reads the model inode's size and data fork.
func modelStates(t *lab.Thread, fsys vfs.FS, name string) (int64, string, error) {
	f, err := fsys.Open(t, name)
	if err != nil {
		return 0, "", err
	}
	size, err := f.Size(t)
	if err != nil {
		return 0, "", err
	}
	ex, ok := f.(interface {
		Extents(*lab.Thread) []extent.Extent
	})
	if !ok {
		return size, noExtents, nil
	}
	exts := ex.Extents(t)
	states := make([]string, blocksBelow(size))
	for b := range states {
		states[b] = extent.Hole.String()
		for _, e := range exts {
			if uint64(b) >= e.Start && uint64(b) < e.End {
				states[b] = e.State.String()
			}
		}
	}
	return size, blockStates(states), nil
}
