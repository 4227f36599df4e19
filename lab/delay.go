package lab

import (
	"cmp"
	"fmt"
	"slices"
)

// DelaySearch is a systematic search that runs the schedules closest to a
// deterministic default schedule first: delay bounding (Emmi, Qadeer and
// Rakamarić, "Delay-bounded scheduling", POPL 2011) inside CHESS's
// preemption bound. A delay is a decision that differs from the default
// schedule's, wherever it happens: a preemption, or another pick when the
// running thread blocked or exited.
//
// The default schedule is PCT's (Burckhardt et al., ASPLOS 2010) without the
// dice: the running thread continues while it can; when it blocks or exits,
// the runnable thread of highest priority runs. Threads start in the
// seed's priority order (see below); each delay is a priority change: the
// thread it picks goes to the top, the thread the default would have run
// goes to the bottom.
// So one delay expresses "preempt the writer here and let the others run
// before it comes back", which a fixed round-robin default needs several
// delays for.
//
// The seed orders threads of equal standing (those no delay has moved):
// seed 1 by ID, any other seed by a hash of the seed and the ID. Different
// seeds start from different default schedules and so run the same space
// in different orders.
//
// The space is exactly DFS's, whatever the seed: every schedule with at most bound preemptions,
// each run once (a schedule is identified by its delays; its parent is the
// schedule without the last one), and NewSchedule reports false when all
// have run. The order differs: see delayTree.
//
// Memory: each schedule keeps the decisions after its last delay, 4 bytes
// each (interned shapes); the decisions before it are its parent's.
type DelaySearch struct {
	bound int
	seed  uint64
	tree  delayTree

	// The schedule being run.
	node    *delayNode
	prefix  []int        // decisions to follow: the parent's up to the delay, then the delay
	delayAt map[int]bool // decision indices of the node's delays
	k       int          // decisions taken so far
	top     []int        // threads promoted by delays, most recent last
	bottom  []int        // threads demoted by delays, most recent last

	schedules int
	started   bool
	exhausted bool
}

// NewDelaySearch returns a delay-ordered search allowing at most bound
// preemptions, with seed 1 (threads of equal standing in ID order).
func NewDelaySearch(bound int) *DelaySearch { return NewSeededDelaySearch(bound, 1) }

// NewSeededDelaySearch returns a delay-ordered search allowing at most
// bound preemptions, whose default schedule the seed chooses.
func NewSeededDelaySearch(bound int, seed uint64) *DelaySearch {
	return &DelaySearch{bound: bound, seed: seed, tree: delayTree{bound: bound, shapeIDs: map[string]uint32{}}}
}

// standing is a thread's place among threads no delay has moved.
func (d *DelaySearch) standing(id int) uint64 {
	if d.seed == 1 {
		return uint64(id)
	}
	return splitmix64(d.seed ^ splitmix64(uint64(id)))
}

// splitmix64 is SplitMix64's output function (Steele, Lea and Flood,
// OOPSLA 2014): a bijective mix of 64 bits.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// NewSchedule implements Strategy: it starts the next unexplored schedule.
func (d *DelaySearch) NewSchedule() bool {
	if d.exhausted {
		return false
	}
	var n *delayNode
	if !d.started {
		d.started = true
		n = &delayNode{index: -1}
	} else {
		d.tree.add(d.node)
		if n = d.tree.next(); n == nil {
			d.exhausted = true
			return false
		}
	}
	d.node, d.k = n, 0
	d.top, d.bottom = d.top[:0], d.bottom[:0]
	d.prefix = d.prefix[:0]
	d.delayAt = map[int]bool{}
	if n.parent != nil {
		d.prefix = append(d.tree.decisions(n.parent, d.prefix)[:n.index], n.choice)
		for m := n; m.parent != nil; m = m.parent {
			d.delayAt[m.index] = true
		}
	}
	d.schedules++
	return true
}

// Exhausted reports whether every schedule within the bound was explored.
func (d *DelaySearch) Exhausted() bool { return d.exhausted }

// Schedules reports how many schedules were started.
func (d *DelaySearch) Schedules() int { return d.schedules }

// Delays reports how many delays the current schedule has.
func (d *DelaySearch) Delays() int { return d.node.delays }

// Pick implements Strategy.
func (d *DelaySearch) Pick(runnable []int, current int) int {
	k := d.k
	d.k++
	order := d.preference(runnable, current)
	if k >= len(d.prefix) {
		d.node.steps = append(d.node.steps, d.tree.shape(order, current))
		return order[0]
	}
	c := d.prefix[k]
	if !contains(runnable, c) {
		panic(divergence(fmt.Sprintf("delay: decision %d picks thread %d, runnable are %v", k, c, runnable)))
	}
	if d.delayAt[k] {
		// The priority change: c to the top, the default's pick to the bottom.
		d.top = append(without(d.top, c, order[0]), c)
		d.bottom = append(without(d.bottom, c, order[0]), order[0])
	}
	return c
}

// preference orders runnable: the default schedule's pick first (current if
// it can go on), then the others from highest priority to lowest.
func (d *DelaySearch) preference(runnable []int, current int) []int {
	order := make([]int, 0, len(runnable))
	if current >= 0 {
		order = append(order, current)
	}
	for i := len(d.top) - 1; i >= 0; i-- {
		if id := d.top[i]; id != current && contains(runnable, id) {
			order = append(order, id)
		}
	}
	middle := len(order)
	for _, id := range runnable {
		if id != current && !contains(d.top, id) && !contains(d.bottom, id) {
			order = append(order, id)
		}
	}
	if d.seed != 1 {
		slices.SortFunc(order[middle:], func(a, b int) int { return cmp.Compare(d.standing(a), d.standing(b)) })
	}
	for _, id := range d.bottom {
		if id != current && contains(runnable, id) {
			order = append(order, id)
		}
	}
	return order
}

// without returns s without a and b, reusing its storage.
func without(s []int, a, b int) []int {
	out := s[:0]
	for _, x := range s {
		if x != a && x != b {
			out = append(out, x)
		}
	}
	return out
}
