package scenario

import (
	"fmt"
	"maps"
	"strings"

	"iomaplab/lab"
	"iomaplab/vfs"
)

// finish runs the checks that need the whole file: required lines, thread
// references, stalls matched by releases, the ops allowed while a writer is
// stalled, and the ordering of truncates the data oracle relies on.
func (p *parser) finish() {
	sc := p.sc
	if sc.Name == "" {
		if _, reported := p.once["scenario"]; !reported {
			p.errorf(Pos{1, 1}, "empty scenario: expected 'scenario NAME'")
		}
		return
	}
	start := p.once["scenario"]
	if len(p.errs) > 0 {
		return // a missing line may only be a line that did not parse
	}
	if sc.FS.Type == "" {
		if _, seen := p.once["fs"]; !seen {
			p.errorf(start, "scenario %s has no fs line (fs xfs or fs ext4)", sc.Name)
		}
	}
	if len(sc.Threads) == 0 {
		p.errorf(start, "scenario %s has no thread line", sc.Name)
	}
	for _, op := range append(append([]Op(nil), sc.Setup...), sc.After...) {
		if op.Kind == OpAwait || op.Kind == OpRelease {
			p.errorf(op.Pos, "%s belongs in a thread line (setup and after run alone)", op.Kind)
		}
	}
	for _, th := range sc.Threads {
		for _, op := range th.Ops {
			if op.Kind == OpReflink {
				p.errorf(op.Pos, "reflink belongs in a setup or after line (the data oracle copies SRC's known contents)")
			}
		}
	}
	for _, op := range append(append([]Op(nil), sc.Setup...), sc.After...) {
		if op.Kind == OpReflink && sc.FS.Type != "xfs" {
			p.errorf(op.Pos, "reflink needs fs xfs (the %s model has no shared blocks)", sc.FS.Type)
		}
	}
	for _, c := range sc.Catches {
		if strings.HasPrefix(c.Variant, "ext4-") && sc.FS.Type != "ext4" {
			p.errorf(c.Pos, "%s is an ext4 variant; this scenario runs on %s", c.Variant, sc.FS.Type)
		}
	}
	p.compileParks()
	if len(p.errs) > 0 {
		return
	}
	p.checkStalls()
	p.checkParks()
	p.checkWindows()
	p.checkOverlaps()
	if len(p.errs) == 0 {
		p.checkCycles()
	}
}

// stallCounts counts, per thread name, the parks the scenario causes: pwrite
// stall-at ops and inject park rules (each fires once: hit=K is required).
func (p *parser) stallCounts() map[string]int {
	stalls := map[string]int{}
	for _, th := range p.sc.Threads {
		for _, op := range th.Ops {
			if op.Kind == OpPwrite && op.StallAt >= 0 {
				stalls[th.Name]++
			}
		}
	}
	for i, r := range p.sc.Rules {
		if r.Action != lab.Park {
			continue
		}
		if r.Thread == "" {
			p.errorf(p.sc.RulePos[i], "a park rule needs thread=NAME, so that a release can name the parked thread")
			continue
		}
		stalls[r.Thread]++
	}
	return stalls
}

func (p *parser) checkStalls() {
	sc := p.sc
	stalls := p.stallCounts()
	declared := map[string]bool{}
	for _, th := range sc.Threads {
		declared[th.Name] = true
	}
	releases := map[string]int{}
	firstRelease := map[string]Pos{}
	for _, th := range sc.Threads {
		for _, op := range th.Ops {
			if op.Kind != OpAwait && op.Kind != OpRelease {
				continue
			}
			sc.Directed = true
			switch {
			case op.Thread == th.Name:
				p.errorf(op.Pos, "thread %s cannot %s itself", th.Name, op.Kind)
			case op.Kind == OpAwait && op.Done && !declared[op.Thread]:
				p.errorf(op.Pos, "await %s.done: no thread %s in this scenario", op.Thread, op.Thread)
			case op.Kind == OpAwait && op.Blocked:
				if !declared[op.Thread] {
					p.errorf(op.Pos, "await %s.blocked: no thread %s in this scenario", op.Thread, op.Thread)
				}
			case op.Kind == OpAwait && !op.Done && stalls[op.Thread] == 0:
				p.errorf(op.Pos, "await %s: %s never stalls (give one of its pwrites stall-at=, one of its ops park-at=POINT, or inject a park with thread=%s)", awaitTarget(&op), op.Thread, op.Thread)
			case op.Kind == OpRelease:
				if stalls[op.Thread] == 0 {
					p.errorf(op.Pos, "release %s: %s never stalls", op.Thread, op.Thread)
				}
				releases[op.Thread]++
				if _, ok := firstRelease[op.Thread]; !ok {
					firstRelease[op.Thread] = op.Pos
				}
			}
		}
	}
	for _, name := range stallOrder(sc, stalls) {
		if n, r := stalls[name], releases[name]; r < n {
			p.errorf(p.stallPos(name), "thread %s stalls %d time(s) but is released %d time(s): it would stay parked", name, n, r)
		} else if r > n && n > 0 {
			p.errorf(firstRelease[name], "thread %s is released %d times but stalls only %d", name, r, n)
		}
	}
}

// stallOrder lists stalling thread names deterministically: declared threads
// first, then inject-rule threads in rule order.
func stallOrder(sc *Scenario, stalls map[string]int) []string {
	var names []string
	seen := map[string]bool{}
	add := func(n string) {
		if stalls[n] > 0 && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	for _, th := range sc.Threads {
		add(th.Name)
	}
	for _, r := range sc.Rules {
		add(r.Thread)
	}
	return names
}

func (p *parser) stallPos(name string) Pos {
	for _, th := range p.sc.Threads {
		for _, op := range th.Ops {
			if th.Name == name && op.Kind == OpPwrite && op.StallAt >= 0 {
				return op.Pos
			}
		}
	}
	for i, r := range p.sc.Rules {
		if r.Thread == name {
			return p.sc.RulePos[i]
		}
	}
	return p.once["scenario"]
}

// checkOverlaps rejects a truncate that may run concurrently with another
// thread's op whose order against it matters (truncConflict), unless the
// later op's thread awaited the other thread's .done first. Every other
// overlap is fine: extending i_size commutes, and the data oracle accepts
// for each byte the value of any write that may have come last (history).
func (p *parser) checkOverlaps() {
	type fp struct {
		op     *Op
		thread string
		// after are the threads this op's thread awaited (T.done) before it.
		after map[string]bool
		// parkedIn are ops another thread was parked in, holding i_rwsem,
		// when this op's thread awaited that park (T.parked(NAME)): an op
		// of this thread that takes i_rwsem runs after them.
		parkedIn map[*Op]bool
	}
	var all []fp
	for _, th := range p.sc.Threads {
		after := map[string]bool{}
		parkedIn := map[*Op]bool{}
		for i := range th.Ops {
			op := &th.Ops[i]
			if op.Kind == OpAwait && op.Done {
				after = maps.Clone(after)
				after[op.Thread] = true
			}
			if in := p.rwsemParkOp(op); in != nil {
				parkedIn = maps.Clone(parkedIn)
				parkedIn[in] = true
			}
			all = append(all, fp{op, th.Name, after, parkedIn})
		}
	}
	for j := range all {
		for i := 0; i < j; i++ {
			a, b := all[i], all[j]
			if a.thread == b.thread || a.op.File != b.op.File || !truncConflict(a.op, b.op) && !truncConflict(b.op, a.op) {
				continue
			}
			if a.after[b.thread] || b.after[a.thread] {
				continue
			}
			fs := p.sc.FS.Type
			if b.parkedIn[a.op] && b.op.takesRwsem(fs) || a.parkedIn[b.op] && a.op.takesRwsem(fs) {
				continue
			}
			p.errorf(b.op.Pos, "%s in thread %s may run concurrently with %s in thread %s (line %d): order a truncate against other threads' writes and size changes past its size (await THREAD.done), or the data oracle cannot know the result",
				describe(b.op), b.thread, describe(a.op), a.thread, a.op.Pos.Line)
		}
	}
}

// rwsemParkOp returns, for an await T.parked(NAME), the op of T that park
// NAME is on if T holds i_rwsem exclusive there (a park-at inside
// fallocate, punch, zero or truncate), else nil.
func (p *parser) rwsemParkOp(await *Op) *Op {
	if await.Kind != OpAwait || await.ParkName == "" {
		return nil
	}
	for _, th := range p.sc.Threads {
		if th.Name != await.Thread {
			continue
		}
		for i := range th.Ops {
			for _, pk := range th.Ops[i].Parks {
				if pt, _ := lookupPoint(pk.Point); pk.Name == await.ParkName && pt.holds == parkInFsOp {
					return &th.Ops[i]
				}
			}
		}
	}
	return nil
}

// truncConflict reports whether truncate tr and op x, run concurrently, may
// leave different files depending on their order: x is a truncate, or it
// writes or allocates (without keep-size) at or past tr's new size.
func truncConflict(tr, x *Op) bool {
	if tr.Kind != OpTruncate {
		return false
	}
	switch x.Kind {
	case OpTruncate:
		return true
	case OpFallocate:
		return x.Mode == vfs.FallocAllocate && x.Off+x.Len > tr.Len
	}
	_, end, ok := x.footprint()
	return ok && end > tr.Len
}

func describe(op *Op) string {
	if op.Kind == OpTruncate {
		return fmt.Sprintf("truncate %s %s", op.File, FormatSize(op.Len))
	}
	return fmt.Sprintf("%s %s %s %s", op.Kind, op.File, FormatSize(op.Off), FormatSize(op.Len))
}
