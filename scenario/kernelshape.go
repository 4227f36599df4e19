package scenario

import "fmt"

// KernelShape is a directed scenario in the shape the kernel target's batch
// runner executes (kernel.Scenario): setup ops, one buffered write parked
// on a userfaultfd page of its source buffer, the ops another thread runs
// while it is parked, and the release.
type KernelShape struct {
	Setup  []Op
	Write  Op   // the pwrite with StallAt (and maybe FaultAt)
	Window []Op // what the other thread does between await and release
	// Stale says the scenario expects the write to see its mapping go stale
	// (expect stale >= N with N > 0): on XFS xfs_iomap_invalid must fire.
	Stale bool
}

// KernelShape returns sc in the kernel batch runner's shape, or says why it
// does not fit: exactly two threads, one of them a single pwrite with
// stall-at, the other 'await W.stalled ; OPS ; release W'; no inject rules
// and no after ops.
func (sc *Scenario) KernelShape() (*KernelShape, error) {
	bad := func(why string) (*KernelShape, error) {
		return nil, fmt.Errorf("scenario %s does not fit the kernel batch shape: %s", sc.Name, why)
	}
	switch {
	case len(sc.Rules) > 0:
		return bad("it injects at engine points")
	case len(sc.After) > 0:
		return bad("it has after ops")
	case len(sc.Threads) != 2:
		return bad("it needs exactly two threads")
	}
	w, o := sc.Threads[0], sc.Threads[1]
	if len(o.Ops) > 0 && o.Ops[0].Kind == OpPwrite {
		w, o = o, w
	}
	if len(w.Ops) != 1 || w.Ops[0].Kind != OpPwrite || w.Ops[0].StallAt < 0 {
		return bad("no thread is a single pwrite with stall-at")
	}
	ops := o.Ops
	if len(ops) < 2 || ops[0].Kind != OpAwait || ops[0].Done || ops[0].Thread != w.Name ||
		ops[len(ops)-1].Kind != OpRelease || ops[len(ops)-1].Thread != w.Name {
		return bad(fmt.Sprintf("thread %s is not 'await %s.stalled ; ... ; release %s'", o.Name, w.Name, w.Name))
	}
	ks := &KernelShape{Setup: sc.Setup, Write: w.Ops[0], Window: ops[1 : len(ops)-1]}
	for _, op := range ks.Window {
		if op.Kind == OpAwait || op.Kind == OpRelease {
			return bad("the window awaits or releases again")
		}
	}
	for _, e := range sc.Expect {
		if e.Evidence == "stale" && compare(1<<30, e.Cmp, e.N) && !compare(0, e.Cmp, e.N) {
			ks.Stale = true
		}
	}
	return ks, nil
}
