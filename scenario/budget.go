package scenario

import (
	"cmp"

	"iomaplab/lab"
)

// Limits bound what one scenario may ask of every run, checked by the
// parser before anything runs (the message names the limit).
type Limits struct {
	// MaxBytes bounds the bytes the scenario's ops move through buffers:
	// the sum of the lengths of all its pwrite, pread, map-store and
	// map-load ops. Each run allocates them, copies them and takes
	// scheduling steps in proportion to them (about 20 per 4 KiB on xfs,
	// 45 on ext4).
	MaxBytes int64
	// MaxDev bounds the block device (dev=SIZE): the model keeps it in
	// memory, one copy per run.
	MaxDev int64
	// MaxThreads, MaxFiles and MaxOps bound the threads (one goroutine
	// each), the files, and the ops of all lines together.
	MaxThreads, MaxFiles, MaxOps int
	// MaxSteps bounds the step bound MaxSteps computes: what the sizes
	// above and delay rules that fire on every hit may ask of one run.
	MaxSteps int64
}

// DefaultLimits are the limits Parse and Load apply.
var DefaultLimits = Limits{MaxBytes: 64 << 20, MaxDev: 256 << 20, MaxThreads: 64, MaxFiles: 64, MaxOps: 10000, MaxSteps: 64 << 20}

// The step bound of a run (Scenario.MaxSteps) is baseSteps, plus
// stepsPerBlock for each 4 KiB the scenario moves or its device holds, plus
// stepsPerOp for each op (times the files, for an op that goes through
// every file: remount, drop-caches), times 1+N for each delay=N rule that
// fires on every hit (plus N for one with hit=K). stepsPerBlock and
// stepsPerOp are about six and ten times the most the engine was measured
// to take (ext4's legacy write: 43 steps per 4 KiB with writeback,
// remount and the data oracle; 10 to 30 per op otherwise), so a legal
// scenario never ends in a false step-limit.
const (
	baseSteps     = 200000
	stepsPerBlock = 256
	stepsPerOp    = 256
	defaultDev    = 2 << 20 // the model's device without dev=
)

// moves returns the bytes op moves through a buffer (Limits.MaxBytes).
func (op *Op) moves() int64 {
	switch op.Kind {
	case OpPwrite, OpPread, OpMapStore, OpMapLoad, OpExpect:
		return op.Len
	}
	return 0
}

// allOps returns every op of the scenario: setup, threads, after.
func (sc *Scenario) allOps() []Op {
	ops := append([]Op(nil), sc.Setup...)
	for _, th := range sc.Threads {
		ops = append(ops, th.Ops...)
	}
	return append(ops, sc.After...)
}

// moved is what the scenario's ops move through buffers in all.
func (sc *Scenario) moved() int64 {
	var sum int64
	for _, op := range sc.allOps() {
		sum += op.moves()
	}
	return sum
}

// MaxSteps is the scheduling-step bound of one run (see stepsPerBlock).
func (sc *Scenario) MaxSteps() int64 {
	dev := sc.FS.DevSize
	if dev == 0 {
		dev = defaultDev
	}
	files := int64(len(sc.Files()))
	steps := baseSteps + stepsPerBlock*((sc.moved()+4095)/4096+dev/4096)
	for _, op := range sc.allOps() {
		steps += stepsPerOp
		if op.Kind == OpRemount || op.Kind == OpDropCaches {
			steps += stepsPerOp * files
		}
	}
	var once int64
	for _, r := range sc.Rules {
		switch {
		case r.Action != lab.Delay:
		case r.Hit > 0:
			once += int64(r.N)
		default:
			steps *= 1 + int64(r.N)
			if steps > 1<<50 {
				return 1 << 50 // over any limit: Limits.MaxSteps rejects it
			}
		}
	}
	return steps + once
}

// checkBudget rejects a scenario over limits, at the line that crosses one.
func (p *parser) checkBudget(l Limits) {
	sc := p.sc
	if sc.FS.DevSize > l.MaxDev {
		p.errorf(sc.FS.Pos, "scenario too large: dev=%s is over the %s limit (the model keeps the device in memory)", FormatSize(sc.FS.DevSize), FormatSize(l.MaxDev))
	}
	if dev := cmp.Or(sc.FS.DevSize, defaultDev); sc.FS.CowExtSize > dev/2 {
		p.errorf(sc.FS.Pos, "cowextsize=%s is over half the %s device: xfs rejects a COW extent size hint over half an allocation group (xfs_inode_validate_cowextsize)",
			FormatSize(sc.FS.CowExtSize), FormatSize(dev))
	}
	if len(sc.Threads) > l.MaxThreads {
		p.errorf(sc.Threads[l.MaxThreads].Pos, "scenario too large: more than %d threads", l.MaxThreads)
	}
	if files := sc.Files(); len(files) > l.MaxFiles {
		p.errorf(p.once["scenario"], "scenario too large: %d files, over the limit of %d", len(files), l.MaxFiles)
	}
	var sum int64
	for i, op := range sc.allOps() {
		if i == l.MaxOps {
			p.errorf(op.Pos, "scenario too large: more than %d ops", l.MaxOps)
		}
		before := sum
		sum += op.moves()
		if before <= l.MaxBytes && sum > l.MaxBytes {
			p.errorf(op.Pos, "scenario too large: its pwrite, pread, map-store and map-load ops move %s by here, over the %s budget (every run buffers and steps through each byte)",
				FormatSize(sum), FormatSize(l.MaxBytes))
		}
	}
	if len(p.errs) == 0 {
		if n := sc.MaxSteps(); n > l.MaxSteps {
			at := p.once["scenario"]
			if len(sc.RulePos) > 0 {
				at = sc.RulePos[0]
			}
			p.errorf(at, "scenario too large: a run may take %d scheduling steps, over the %d limit (its data, device and ops, multiplied by 1+N for each delay=N without hit=)", n, l.MaxSteps)
		}
	}
}
