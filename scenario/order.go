package scenario

import (
	"fmt"
	"slices"
	"strings"

	"iomaplab/lab"
)

// Authoring mistakes the parser can decide: a park that can never fire,
// and awaits and releases that wait for each other in a cycle. Both would
// otherwise run and end in a deadlock that is the scenario's, not the
// engine's.

// daemonsOf returns the engine daemons a mount of spec starts.
func daemonsOf(spec FSSpec) []string {
	d := []string{"io-completion"}
	if spec.Type == "xfs" && spec.Flusher {
		d = append(d, "flusher")
	}
	if spec.Type == "xfs" && spec.Kswapd {
		d = append(d, "kswapd")
	}
	return d
}

// checkParks rejects a park rule that can never fire: its point is not on
// this mount's path, its thread does not exist, or its thread runs no op
// that reaches the point.
func (p *parser) checkParks() {
	threads := map[string]*Thread{}
	for _, th := range p.sc.Threads {
		threads[th.Name] = th
	}
	for i, r := range p.sc.Rules {
		if r.Action != lab.Park || r.Thread == "" {
			continue
		}
		at := p.sc.RulePos[i]
		pt, _ := lookupPoint(r.Point)
		if !pt.reaches(p.sc.FS) {
			p.errorf(at, "%s is not on the path of fs %s in the model (%s): a park there never fires", r.Point, p.fsLabel(), pt.where())
			continue
		}
		th := threads[r.Thread]
		switch {
		case th == nil && !contains(DaemonNames, r.Thread):
			p.errorf(at, "park thread=%s: no thread %s in this scenario (nor an engine daemon)", r.Thread, r.Thread)
		case th == nil && !contains(daemonsOf(p.sc.FS), r.Thread):
			p.errorf(at, "park thread=%s: this mount runs no %s daemon (daemons: %s)", r.Thread, r.Thread, strings.Join(daemonsOf(p.sc.FS), ", "))
		case th == nil && !contains(pt.daemons, r.Thread):
			p.errorf(at, "park thread=%s: the %s daemon never reaches %s, so the park never fires", r.Thread, r.Thread, r.Point)
		case th != nil && pt.ops != nil && !slices.ContainsFunc(th.Ops, func(op Op) bool { return opIn(op.Kind, pt.ops) }):
			p.errorf(at, "park thread=%s at %s never fires: %s runs no %s", r.Thread, r.Point, r.Thread, opNames(pt.ops))
		}
	}
}

func (p *parser) fsLabel() string {
	if p.sc.FS.Type == "ext4" {
		if p.sc.FS.Iomap && p.sc.FS.NoDelalloc {
			return "ext4 iomap nodelalloc"
		}
		if p.sc.FS.Iomap {
			return "ext4 iomap"
		}
		return "ext4 legacy"
	}
	return p.sc.FS.Type
}

func (pt point) where() string {
	return map[string]string{"xfs": "xfs only", "ext4": "ext4 only", "ext4-legacy": "ext4's legacy path only",
		"ext4-delalloc": "ext4 with delalloc only", "ext4-nodelalloc": "ext4 iomap with nodelalloc only",
		"iomap": "xfs and ext4 iomap only"}[pt.fs]
}

func opNames(kinds []OpKind) string {
	var s []string
	for _, k := range kinds {
		s = append(s, k.String())
	}
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// event is a moment of a run: the start or the end of a thread's i-th op.
type event struct {
	thread string
	op     int
	end    bool
}

// checkCycles rejects awaits and releases that can only wait for each
// other. It builds the happens-before edges every run has — ops of a thread
// in order; 'await T.done' after T's last op; 'await T.stalled' after T
// starts the first op it can stall in; T's op that stalls ends after its
// release, when T stalls exactly once — and reports a cycle: none of its
// events can happen first.
func (p *parser) checkCycles() {
	sc := p.sc
	threads := map[string]*Thread{}
	for _, th := range sc.Threads {
		threads[th.Name] = th
	}
	stalls := p.stallsOf()
	// firstIn and lastIn: the first and last op index a thread can stall in.
	firstIn, lastIn := map[string]int{}, map[string]int{}
	for name, ss := range stalls {
		th := threads[name]
		if th == nil {
			continue
		}
		first, last := len(th.Ops), -1
		for _, s := range ss {
			for _, op := range s.in {
				i := opIndex(th, op)
				first, last = min(first, i), max(last, i)
			}
		}
		if last >= 0 {
			firstIn[name], lastIn[name] = first, last
		}
	}
	before := map[event][]event{} // before[e]: events that must happen before e
	edge := func(a, b event) { before[b] = append(before[b], a) }
	for _, th := range sc.Threads {
		for i, op := range th.Ops {
			start, end := event{th.Name, i, false}, event{th.Name, i, true}
			edge(start, end)
			if i > 0 {
				edge(event{th.Name, i - 1, true}, start)
			}
			u := threads[op.Thread]
			switch {
			case u == nil || len(u.Ops) == 0:
			case op.Kind == OpAwait && op.Done:
				edge(event{u.Name, len(u.Ops) - 1, true}, end)
			case op.Kind == OpAwait && op.Blocked:
				edge(event{u.Name, 0, false}, end) // u blocks in some op it started
			case op.Kind == OpAwait:
				if f, ok := firstIn[u.Name]; ok && len(stalls[u.Name]) > 0 {
					edge(event{u.Name, f, false}, end)
				}
			case op.Kind == OpRelease:
				if l, ok := lastIn[u.Name]; ok && len(stalls[u.Name]) == 1 {
					edge(end, event{u.Name, l, true})
				}
			}
		}
	}
	// Depth-first search for a cycle, in file order for stable messages.
	state := map[event]int{} // 0 new, 1 on the path, 2 done
	var path []event
	var cycle []event
	var visit func(e event) bool
	visit = func(e event) bool {
		state[e] = 1
		path = append(path, e)
		for _, b := range before[e] {
			if state[b] == 1 {
				i := slices.Index(path, b)
				cycle = slices.Clone(path[i:])
				return true
			}
			if state[b] == 0 && visit(b) {
				return true
			}
		}
		path = path[:len(path)-1]
		state[e] = 2
		return false
	}
	for _, th := range sc.Threads {
		for i := range th.Ops {
			if e := (event{th.Name, i, true}); state[e] == 0 && visit(e) {
				p.reportCycle(threads, cycle)
				return
			}
		}
	}
}

func opIndex(th *Thread, op *Op) int {
	for i := range th.Ops {
		if &th.Ops[i] == op {
			return i
		}
	}
	return -1
}

// reportCycle names the awaits and releases on a cycle, at the first of
// them in the file.
func (p *parser) reportCycle(threads map[string]*Thread, cycle []event) {
	var steps []string
	var at *Op
	for _, e := range cycle {
		op := &threads[e.thread].Ops[e.op]
		if (op.Kind != OpAwait && op.Kind != OpRelease) || !e.end {
			continue
		}
		steps = append(steps, fmt.Sprintf("%s %s (line %d, thread %s)", op.Kind, awaitTarget(op), op.Pos.Line, e.thread))
		if at == nil || op.Pos.Line < at.Pos.Line || op.Pos.Line == at.Pos.Line && op.Pos.Col < at.Pos.Col {
			at = op
		}
	}
	if at == nil {
		return
	}
	p.errorf(at.Pos, "these waits form a cycle and can only deadlock: %s", strings.Join(steps, ", which waits for "))
}

func awaitTarget(op *Op) string {
	switch {
	case op.Kind == OpAwait && op.Done:
		return op.Thread + ".done"
	case op.Kind == OpAwait && op.Blocked:
		return op.Thread + ".blocked"
	case op.Kind == OpAwait && op.ParkName != "":
		return op.Thread + ".parked(" + op.ParkName + ")"
	case op.Kind == OpAwait:
		return op.Thread + ".stalled"
	case op.ParkName != "":
		return op.Thread + "." + op.ParkName
	}
	return op.Thread
}
