package scenario

import (
	"fmt"
	"slices"
	"strings"

	"iomaplab/lab"
)

// Park points on op lines (park-at=POINT [as NAME]) become park rules of
// their thread that fire at the first hit (lab.Rule Hit 1): the parser
// checks that no earlier op of the thread can reach the point, so the first
// hit is in the op that names it. Everything the parser does for inject
// park rules (releases, windows, cycles) then holds for them too.

// compileParks checks every park-at and adds its rule to sc.Rules, and
// resolves the park names that awaits and releases use.
func (p *parser) compileParks() {
	sc := p.sc
	for _, op := range append(append([]Op(nil), sc.Setup...), sc.After...) {
		for _, pk := range op.Parks {
			p.errorf(pk.Pos, "park-at belongs in a thread line (setup and after run alone: nobody could release them)")
		}
	}
	injected := map[[2]string]bool{}
	for _, r := range sc.Rules {
		if r.Action == lab.Park {
			injected[[2]string{r.Thread, r.Point}] = true
		}
	}
	sc.Parks = map[string]map[string]string{}
	for _, th := range sc.Threads {
		names := map[string]Pos{}
		for i := range th.Ops {
			op := &th.Ops[i]
			for _, pk := range op.Parks {
				if !p.parkReaches(th, i, pk, injected) {
					continue
				}
				if prev, dup := names[pk.Name]; dup {
					p.errorf(pk.Pos, "thread %s already has a park named %s (line %d): name them with 'as NAME'", th.Name, pk.Name, prev.Line)
					continue
				}
				names[pk.Name] = pk.Pos
				if sc.Parks[th.Name] == nil {
					sc.Parks[th.Name] = map[string]string{}
				}
				sc.Parks[th.Name][pk.Name] = pk.Point
				if p.parkOps == nil {
					p.parkOps = map[int]*Op{}
				}
				p.parkOps[len(sc.Rules)] = op
				sc.Rules = append(sc.Rules, lab.Rule{Point: pk.Point, Thread: th.Name, Hit: 1, Action: lab.Park})
				sc.RulePos = append(sc.RulePos, pk.Pos)
			}
		}
	}
	for _, th := range sc.Threads {
		for i := range th.Ops {
			op := &th.Ops[i]
			if op.ParkName == "" {
				continue
			}
			point, ok := sc.Parks[op.Thread][op.ParkName]
			if !ok {
				p.errorf(op.Pos, "%s %s: thread %s has no park named %s (%s)", op.Kind, awaitTarget(op), op.Thread, op.ParkName, parkNames(sc.Parks[op.Thread]))
				continue
			}
			op.ParkPoint = point
		}
	}
}

// parkReaches checks that park-at pk on th's op i can fire there: the point
// is on this mount's path and reached by that op, and no earlier op of th
// (nor an inject park of th at the point) can take its first hit.
func (p *parser) parkReaches(th *Thread, i int, pk ParkAt, injected map[[2]string]bool) bool {
	op := &th.Ops[i]
	pt, _ := lookupPoint(pk.Point)
	reaches := func(k OpKind) bool {
		if pt.ops == nil && pt.holds == parkUnknown {
			return k != OpAwait && k != OpRelease && k != OpExpect
		}
		return opIn(k, pt.ops)
	}
	switch {
	case !pt.reaches(p.sc.FS):
		p.errorf(pk.Pos, "%s is not on the path of fs %s in the model (%s): a park there never fires", pk.Point, p.fsLabel(), pt.where())
		return false
	case pt.ops == nil && pt.holds != parkUnknown:
		p.errorf(pk.Pos, "%s is reached only by the %s daemon: park it with 'inject %s park thread=%s hit=1'", pk.Point, strings.Join(pt.daemons, ", "), pk.Point, pt.daemons[0])
		return false
	case !reaches(op.Kind):
		p.errorf(pk.Pos, "%s never reaches %s (reached by %s)", op.Kind, pk.Point, opNames(pt.ops))
		return false
	case injected[[2]string{th.Name, pk.Point}]:
		p.errorf(pk.Pos, "thread %s also has an inject park at %s: the two would count the same hits; use one or the other", th.Name, pk.Point)
		return false
	}
	for j := range i {
		if prev := th.Ops[j]; reaches(prev.Kind) {
			p.errorf(pk.Pos, "park-at=%s would fire in an earlier op of thread %s, %s (line %d), which can reach it too: move the park there, or use 'inject %s park thread=%s hit=K'",
				pk.Point, th.Name, prev.Kind, prev.Pos.Line, pk.Point, th.Name)
			return false
		}
	}
	for _, other := range op.Parks {
		if other.Point == pk.Point && other.Pos != pk.Pos {
			p.errorf(pk.Pos, "%s has two parks at %s: only the first hit parks; use inject ... hit=K for a later one", op.Kind, pk.Point)
			return false
		}
	}
	return true
}

func parkNames(m map[string]string) string {
	if len(m) == 0 {
		return "it has no park-at"
	}
	var names []string
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return "its parks: " + strings.Join(names, ", ")
}

// KernelUnsupported returns, at its file:line:col, the first form of sc
// that a real kernel cannot run: a park-at (an engine point; only pwrite's
// stall-at, a userfaultfd page of the user buffer, can hold a window open
// there) or an await T.blocked (the kernel does not say which lock a
// thread waits for). Nil if there is none. (Inject lines the kernel target
// rejects itself.)
func (sc *Scenario) KernelUnsupported() error {
	var errs ErrorList
	for _, th := range sc.Threads {
		for _, op := range th.Ops {
			for _, pk := range op.Parks {
				errs = append(errs, &Error{File: sc.File, Pos: pk.Pos, Msg: fmt.Sprintf(
					"park-at=%s: a real kernel has no engine point %s; only pwrite's stall-at (a userfaultfd page of the user buffer) can hold a window open there", pk.Point, pk.Point)})
			}
			if op.Kind == OpAwait && op.Blocked {
				errs = append(errs, &Error{File: sc.File, Pos: op.Pos, Msg: fmt.Sprintf(
					"await %s.blocked: a real kernel does not tell which lock a thread waits for", op.Thread)})
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs.sorted()[0]
}
