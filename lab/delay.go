package lab

import "fmt"

// DelaySearch is a systematic search that tries schedules in order of how far they
// stray from a default schedule: iterative delay bounding (Emmi, Qadeer and
// Rakamarić, "Delay-bounded scheduling", POPL 2011) inside a preemption bound.
//
// The default schedule: the running thread continues while it can (no
// preemption); when it blocks or exits, the thread most recently given the
// CPU by a delay runs if it can, else the next runnable thread in round-robin
// order after the last one picked. A delay is a decision that differs from
// the default; picking the k-th thread after the default in round-robin
// order costs k delays. DelaySearch runs every schedule with 0 delays (one), then
// every schedule with 1, then 2, ..., skipping schedules with more than bound
// preemptions, so its space is exactly DFS's: each schedule with at most bound
// preemptions runs once, and NewSchedule reports false when all have run.
//
// Why not depth first: a scenario's daemons make many free choices (who runs
// when a thread blocks), and depth-first backtracking spends any budget
// varying the tail of one schedule. Here a schedule's cost is the number of
// its deviations, wherever they are, and within one level the positions of
// the new delay are taken in bit-reversed order (the middle of the schedule,
// then the quarters, then the eighths, ...) while the schedules of the level
// below take turns, so a short budget samples the whole run.
//
// Memory: each schedule keeps the decisions after its last delay, 4 bytes
// each (interned runnable sets); the decisions before it are its parent's.
type DelaySearch struct {
	bound int
	tree  delayTree

	// The schedule being run.
	node     *delayNode
	prefix   []int        // decisions to follow: the parent's up to the delay, then the delay
	delayAt  map[int]bool // decision indices of the node's delays
	k        int          // decisions taken so far
	last     int          // the last thread picked
	favoured []int        // threads picked by delays, most recent last

	schedules int
	started   bool
	exhausted bool
}

// NewDelaySearch returns a delay-ordered search allowing at most bound preemptions.
func NewDelaySearch(bound int) *DelaySearch {
	return &DelaySearch{bound: bound, tree: delayTree{bound: bound, maxCost: 1, shapeIDs: map[string]uint32{}}}
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
	d.node, d.k, d.last = n, 0, 0
	d.favoured = d.favoured[:0]
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
	if k < len(d.prefix) {
		c := d.prefix[k]
		if !contains(runnable, c) {
			panic(divergence(fmt.Sprintf("delay: decision %d picks thread %d, runnable are %v", k, c, runnable)))
		}
		if d.delayAt[k] {
			d.favoured = append(d.favoured, c)
		}
		d.last = c
		return c
	}
	c := d.defaultPick(runnable, current)
	d.node.steps = append(d.node.steps, d.tree.shape(runnable, current, c))
	d.last = c
	return c
}

// defaultPick is the default schedule's decision.
func (d *DelaySearch) defaultPick(runnable []int, current int) int {
	if current >= 0 {
		return current
	}
	for i := len(d.favoured) - 1; i >= 0; i-- {
		if contains(runnable, d.favoured[i]) {
			return d.favoured[i]
		}
	}
	for _, id := range runnable {
		if id > d.last {
			return id
		}
	}
	return runnable[0]
}
