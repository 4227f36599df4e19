package kernel

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"iomaplab/scenario"
)

// ScenarioCell is one planned (scenario file, real filesystem) batch.
type ScenarioCell struct {
	Scenario *scenario.Scenario
	FS       string
}

// KernelFS lists the real filesystems a scenario is meant for: its
// `kernel fs` line, or else its fs line's type.
func KernelFS(sc *scenario.Scenario) []string {
	if len(sc.Kernel.FS) > 0 {
		return sc.Kernel.FS
	}
	return []string{sc.FS.Type}
}

// PlanScenarios expands scenario files x filesystems into cells, keeping
// the filesystems each scenario's `kernel fs` line names, and rejects the
// whole plan (bad input, nothing created) if a scenario says `kernel skip`,
// injects at engine points, or would run an op inside a stall window that
// blocks on that filesystem. With undirected, directed scenarios are first
// turned into free races (Undirected).
func PlanScenarios(scs []*scenario.Scenario, fstypes []string, undirected bool) ([]ScenarioCell, error) {
	var cells []ScenarioCell
	for _, sc := range scs {
		if err := kernelRunnable(sc); err != nil {
			return nil, err
		}
		if undirected {
			sc = Undirected(sc)
		}
		for _, fs := range fstypes {
			if !slices.Contains(KernelFS(sc), fs) {
				continue
			}
			if err := CheckWindows(sc, fs); err != nil {
				return nil, err
			}
			cells = append(cells, ScenarioCell{sc, fs})
		}
	}
	if len(cells) == 0 {
		return nil, fmt.Errorf("no scenario is meant for %s (see their 'kernel fs' lines)", strings.Join(fstypes, ","))
	}
	// Group by filesystem (one scratch filesystem each), scenarios in order.
	var out []ScenarioCell
	for _, fs := range fstypes {
		for _, c := range cells {
			if c.FS == fs {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// kernelRunnable says why a scenario cannot run on a real kernel at all.
func kernelRunnable(sc *scenario.Scenario) error {
	if sc.Kernel.Skip != "" {
		return fmt.Errorf("%s: scenario %s cannot run on a real kernel: %s", sc.File, sc.Name, sc.Kernel.Skip)
	}
	if err := sc.KernelUnsupported(); err != nil {
		return fmt.Errorf("%w (scenario %s)", err, sc.Name)
	}
	if len(sc.Rules) > 0 {
		return fmt.Errorf("%s: scenario %s injects at engine points (inject lines), which a real kernel does not have; only pwrite stall-at can hold a window open there",
			injectPos(sc), sc.Name)
	}
	return nil
}

// injectPos is "file:line:col" of the first inject line when the file can be
// read, else the file name (Scenario keeps no position for inject rules).
func injectPos(sc *scenario.Scenario) string {
	src, err := os.ReadFile(sc.File)
	if err != nil {
		return sc.File
	}
	for i, l := range strings.Split(string(src), "\n") {
		trimmed := strings.TrimLeft(l, " \t")
		if strings.HasPrefix(trimmed, "inject") {
			return fmt.Sprintf("%s:%d:%d", sc.File, i+1, len(l)-len(trimmed)+1)
		}
	}
	return sc.File
}

// CheckWindows rejects, for filesystem fs, any op that may run while a
// writer is parked in its pwrite (holding i_rwsem) and would block there,
// as measured on 6.18 (blocksInWindow): the window would never close until
// the watchdog resolved the fault. An op is in thread W's window if it
// precedes 'release W' in the releasing thread, or belongs to a thread that
// the releaser awaits (T.done) before releasing: W may already be parked
// while it runs, and the release waits for it. This is stricter than the
// parser's window rule, which knows only the model's lock table.
func CheckWindows(sc *scenario.Scenario, fs string) error {
	threads := map[string]*scenario.Thread{}
	for _, th := range sc.Threads {
		threads[th.Name] = th
	}
	for _, w := range sc.Threads {
		stall, ok := stallOf(w)
		if !ok {
			continue
		}
		for _, r := range sc.Threads {
			for i, op := range r.Ops {
				if op.Kind != scenario.OpRelease || op.Thread != w.Name {
					continue
				}
				if err := checkOps(sc, fs, w.Name, stall, r.Ops[:i], threads, map[string]bool{r.Name: true}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// stallOf returns the thread's pwrite with stall-at, if any.
func stallOf(th *scenario.Thread) (scenario.Op, bool) {
	for _, op := range th.Ops {
		if op.Kind == scenario.OpPwrite && op.StallAt >= 0 {
			return op, true
		}
	}
	return scenario.Op{}, false
}

func checkOps(sc *scenario.Scenario, fs, writer string, stall scenario.Op, ops []scenario.Op,
	threads map[string]*scenario.Thread, seen map[string]bool) error {
	for _, op := range ops {
		if op.Kind == scenario.OpAwait && op.Done && !seen[op.Thread] && op.Thread != writer {
			seen[op.Thread] = true
			if th := threads[op.Thread]; th != nil {
				if err := checkOps(sc, fs, writer, stall, th.Ops, threads, seen); err != nil {
					return err
				}
			}
			continue
		}
		if why := blocksInWindow(op, fs); why != "" {
			return fmt.Errorf("%s:%d:%d: on %s, %s would block while %s is parked in its pwrite (line %d): %s; drop %s from the 'kernel fs' line or run it after 'release %s'",
				sc.File, op.Pos.Line, op.Pos.Col, fs, op.Describe(), writer, stall.Pos.Line, why, fs, writer)
		}
	}
	return nil
}

// blocksInWindow says why op would block while a buffered writer on the
// same inode is parked holding i_rwsem on fstype, or "" if it proceeds.
// Measured on kernel 6.18 (docs/kernel-windows.md, 20/20 each).
// Ops without a syscall on the file (drop-caches, which only trylocks
// folios; await; release) never block.
func blocksInWindow(op scenario.Op, fstype string) string {
	switch op.Kind {
	case scenario.OpPwrite:
		return "a second buffered write waits for i_rwsem, which the parked writer holds"
	case scenario.OpFallocate, scenario.OpPunch, scenario.OpZero:
		return "fallocate takes i_rwsem exclusively, which the parked writer holds"
	case scenario.OpTruncate:
		return "truncate takes i_rwsem exclusively, which the parked writer holds"
	case scenario.OpRemount:
		return "unmount cannot finish while a write is in flight on the filesystem"
	case scenario.OpPread:
		if fstype == "xfs" {
			return "XFS buffered reads take IOLOCK_SHARED, which the parked writer holds exclusively"
		}
	case scenario.OpFsync:
		if fstype == "btrfs" {
			return "btrfs_sync_file takes the inode lock, which the parked writer holds"
		}
	}
	return ""
}

// Undirected returns sc as a free race: every stall-at dropped and every
// 'await T.stalled' and 'release T' removed, so the write and what ran in
// its window race with no userfaultfd (issue 3's undirected table). The
// data oracle's per-byte history accepts either order of overlapping ops.
// An exploratory scenario is returned as is.
func Undirected(sc *scenario.Scenario) *scenario.Scenario {
	if !sc.Directed {
		return sc
	}
	out := *sc
	out.Directed = false
	out.Threads = nil
	for _, th := range sc.Threads {
		nt := &scenario.Thread{Name: th.Name, Pos: th.Pos}
		for _, op := range th.Ops {
			switch {
			case op.Kind == scenario.OpRelease, op.Kind == scenario.OpAwait && !op.Done:
				continue
			case op.Kind == scenario.OpPwrite:
				op.StallAt = -1
			}
			nt.Ops = append(nt.Ops, op)
		}
		out.Threads = append(out.Threads, nt)
	}
	return &out
}
