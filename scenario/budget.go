package scenario

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
}

// DefaultLimits are the limits Parse and Load apply.
var DefaultLimits = Limits{MaxBytes: 64 << 20, MaxDev: 256 << 20}

// baseSteps is the step bound of a run that moves no data, and
// stepsPerBlock what each 4 KiB a scenario moves, or its device holds,
// adds: six times the most the engine was measured to take (ext4's
// legacy write, 43 steps per block with writeback, remount and the data
// oracle), so a legal scenario never ends in a false step-limit.
const (
	baseSteps     = 200000
	stepsPerBlock = 256
	defaultDev    = 2 << 20 // the model's device without dev=
)

// moves returns the bytes op moves through a buffer (Limits.MaxBytes).
func (op *Op) moves() int64 {
	switch op.Kind {
	case OpPwrite, OpPread, OpMapStore, OpMapLoad:
		return op.Len
	}
	return 0
}

// checkBudget sums what the scenario moves and rejects it over limits, at
// the op that crosses the budget.
func (p *parser) checkBudget(l Limits) {
	sc := p.sc
	if sc.FS.DevSize > l.MaxDev {
		p.errorf(sc.FS.Pos, "scenario too large: dev=%s is over the %s limit (the model keeps the device in memory)", FormatSize(sc.FS.DevSize), FormatSize(l.MaxDev))
	}
	var sum int64
	check := func(ops []Op) {
		for _, op := range ops {
			before := sum
			sum += op.moves()
			if before <= l.MaxBytes && sum > l.MaxBytes {
				p.errorf(op.Pos, "scenario too large: its pwrite, pread, map-store and map-load ops move %s by here, over the %s budget (every run buffers and steps through each byte)",
					FormatSize(sum), FormatSize(l.MaxBytes))
			}
		}
	}
	check(sc.Setup)
	for _, th := range sc.Threads {
		check(th.Ops)
	}
	check(sc.After)
	sc.moved = sum
}

// MaxSteps is the scheduling-step bound of one run: baseSteps plus
// stepsPerBlock for each 4 KiB the scenario moves or its device holds.
func (sc *Scenario) MaxSteps() int64 {
	dev := sc.FS.DevSize
	if dev == 0 {
		dev = defaultDev
	}
	return baseSteps + stepsPerBlock*((sc.moved+4095)/4096+dev/4096)
}
