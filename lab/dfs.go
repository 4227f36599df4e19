package lab

import "fmt"

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

// Pick implements Strategy.
func (d *DFS) Pick(runnable []int, current int) int {
	if d.depth == len(d.stack) {
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
	f := d.stack[d.depth]
	d.depth++
	choice := f.options[f.idx]
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
