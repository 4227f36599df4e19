package lab

import (
	"fmt"
	"slices"
)

// DFS explores every schedule depth-first with a preemption bound (CHESS's
// iterative context bounding, fixed bound): switching away from a thread that
// could have continued costs one preemption; switching because the running
// thread blocked or exited is free. With bound P it explores each distinct
// schedule with at most P preemptions exactly once, non-preemptive choices
// first, and NewSchedule reports false when that space is exhausted.
// Backtracking deepest decision first, a budget smaller than the space goes
// to the tail of one schedule; DelaySearch runs the same space in an order
// that spreads it over the whole run.
type DFS struct {
	bound       int
	prefix      []int // decisions every schedule begins with (NewDFSUnder)
	stack       []dfsFrame
	depth       int
	preemptions int
	started     bool
	exhausted   bool
	schedules   int
}

type dfsFrame struct {
	options []int // current thread first when it may continue
	idx     int
}

// NewDFS returns a depth-first strategy allowing at most bound preemptions.
func NewDFS(bound int) *DFS { return &DFS{bound: bound} }

// NewSchedule implements Strategy: it advances to the next unexplored branch.
func (d *DFS) NewSchedule() bool {
	if d.exhausted {
		return false
	}
	if d.started {
		for len(d.stack) > 0 {
			top := &d.stack[len(d.stack)-1]
			top.idx++
			if top.idx < len(top.options) {
				break
			}
			d.stack = d.stack[:len(d.stack)-1]
		}
		if len(d.stack) == 0 {
			d.exhausted = true
			return false
		}
	}
	d.started = true
	d.depth, d.preemptions = 0, 0
	d.schedules++
	return true
}

// Exhausted reports whether every schedule within the bound was explored.
func (d *DFS) Exhausted() bool { return d.exhausted }

// Schedules reports how many schedules were started.
func (d *DFS) Schedules() int { return d.schedules }

// NewDFSUnder returns a depth-first strategy over the schedules that begin
// with prefix, a decision list that a DFS with the same bound can take (a
// path of its tree): it runs that subtree in the order DFS runs it. The
// subtrees of the prefixes of one length, in DFS order, run one after the
// other, are exactly the schedules of NewDFS(bound) in its order.
func NewDFSUnder(bound int, prefix []int) *DFS {
	return &DFS{bound: bound, prefix: slices.Clone(prefix)}
}

// Branches returns the choices at the first decision after the prefix, in
// the order DFS takes them, once a schedule has run; nil if the schedule
// ended at the prefix (the subtree is that one schedule).
func (d *DFS) Branches() []int {
	if len(d.stack) == 0 {
		return nil
	}
	return d.stack[0].options
}

// Pick implements Strategy.
func (d *DFS) Pick(runnable []int, current int) int {
	if d.depth < len(d.prefix) {
		choice := d.prefix[d.depth]
		d.depth++
		return d.follow(runnable, current, choice)
	}
	if d.depth-len(d.prefix) == len(d.stack) {
		var opts []int
		if current >= 0 {
			opts = append(opts, current)
		}
		if current < 0 || d.preemptions < d.bound {
			for _, id := range runnable {
				if id != current {
					opts = append(opts, id)
				}
			}
		}
		d.stack = append(d.stack, dfsFrame{options: opts})
	}
	f := d.stack[d.depth-len(d.prefix)]
	d.depth++
	return d.follow(runnable, current, f.options[f.idx])
}

// follow takes choice at decision d.depth-1, counting a preemption.
func (d *DFS) follow(runnable []int, current, choice int) int {
	if !contains(runnable, choice) {
		panic(divergence(fmt.Sprintf("dfs: decision %d picks thread %d, runnable are %v", d.depth-1, choice, runnable)))
	}
	if current >= 0 && choice != current {
		d.preemptions++
	}
	return choice
}

func contains(ids []int, id int) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
