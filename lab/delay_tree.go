package lab

import (
	"math/bits"
	"strconv"
	"strings"
)

// delayTree holds DelaySearch's explored schedules. A schedule is its list of
// delays (decision index, thread); its parent has the same delays but the
// last, so every schedule has one parent and the tree holds each schedule
// once. A schedule's children put one more delay after its last one, at a
// decision of its own run.
type delayTree struct {
	bound    int
	maxCost  int            // the largest delay cost seen (runnable threads - 1)
	byDelays [][]*delayNode // run schedules by their number of delays
	level    int            // the delay count being enumerated
	cursors  []*delayCursor // the level's sources, taking turns
	turn     int

	shapes   []delayShape
	shapeIDs map[string]uint32
}

// delayNode is one schedule.
type delayNode struct {
	parent      *delayNode
	index       int // decision index of the last delay; -1 for the default schedule
	choice      int // the thread it picks
	delays      int
	preemptions int
	steps       []uint32 // the run's decisions after index, as shape IDs
}

// delayShape is one decision of a run: who could run, who yielded (or -1),
// and whom the default schedule picked.
type delayShape struct {
	runnable []int
	current  int
	pick     int
}

// delayCursor enumerates the children of one schedule that cost exactly
// cost more delays, in bit-reversed order of their positions.
type delayCursor struct {
	node *delayNode
	cost int
	n    int // how many such children
	r    int // next bit-reversed counter value
}

func (t *delayTree) shape(runnable []int, current, pick int) uint32 {
	var b strings.Builder
	for _, id := range runnable {
		b.WriteString(strconv.Itoa(id))
		b.WriteByte(',')
	}
	b.WriteString(strconv.Itoa(current))
	b.WriteByte('/')
	b.WriteString(strconv.Itoa(pick))
	key := b.String()
	if id, ok := t.shapeIDs[key]; ok {
		return id
	}
	id := uint32(len(t.shapes))
	t.shapes = append(t.shapes, delayShape{runnable: append([]int(nil), runnable...), current: current, pick: pick})
	t.shapeIDs[key] = id
	t.maxCost = max(t.maxCost, len(runnable)-1)
	return id
}

// add records a schedule that has run.
func (t *delayTree) add(n *delayNode) {
	for len(t.byDelays) <= n.delays {
		t.byDelays = append(t.byDelays, nil)
	}
	t.byDelays[n.delays] = append(t.byDelays[n.delays], n)
}

// decisions appends n's whole decision list to buf.
func (t *delayTree) decisions(n *delayNode, buf []int) []int {
	if n.parent != nil {
		buf = append(t.decisions(n.parent, buf)[:n.index], n.choice)
	}
	for _, id := range n.steps {
		buf = append(buf, t.shapes[id].pick)
	}
	return buf
}

// next returns the next schedule to run, or nil when the bounded space is
// exhausted. Levels run in order; within a level, the cursors take turns.
func (t *delayTree) next() *delayNode {
	for {
		for len(t.cursors) > 0 {
			if t.turn >= len(t.cursors) {
				t.turn = 0
			}
			if n := t.take(t.cursors[t.turn]); n != nil {
				t.turn++
				return n
			}
			t.cursors = append(t.cursors[:t.turn], t.cursors[t.turn+1:]...)
		}
		t.level++
		// A child costs at most maxCost more than its parent.
		if t.level >= len(t.byDelays)+t.maxCost {
			return nil
		}
		t.turn = 0
		for cost := 1; cost <= t.maxCost && cost <= t.level; cost++ {
			if t.level-cost >= len(t.byDelays) {
				continue
			}
			for _, p := range t.byDelays[t.level-cost] {
				if n := t.children(p, cost, -1, nil); n > 0 {
					t.cursors = append(t.cursors, &delayCursor{node: p, cost: cost, n: n})
				}
			}
		}
	}
}

// children walks p's children that cost cost more delays, in decision order.
// It stops at the want-th (0-based) and returns it; with want < 0 it counts
// them and returns the count.
func (t *delayTree) children(p *delayNode, cost, want int, out **delayNode) int {
	i := 0
	for s, id := range p.steps {
		sh := &t.shapes[id]
		if len(sh.runnable) <= cost || (sh.current >= 0 && p.preemptions >= t.bound) {
			continue
		}
		if i == want {
			*out = &delayNode{parent: p, index: p.index + 1 + s, choice: roundRobinAfter(sh.runnable, sh.pick, cost),
				delays: p.delays + cost, preemptions: p.preemptions}
			if sh.current >= 0 {
				(*out).preemptions++
			}
			return i
		}
		i++
	}
	return i
}

// take returns the cursor's next child, or nil when it has none left.
func (t *delayTree) take(c *delayCursor) *delayNode {
	width := bits.Len(uint(c.n - 1))
	for c.r < 1<<width {
		idx := int(bits.Reverse(uint(c.r)) >> (bits.UintSize - width))
		if width == 0 {
			idx = 0
		}
		c.r++
		if idx < c.n {
			var n *delayNode
			t.children(c.node, c.cost, idx, &n)
			return n
		}
	}
	return nil
}

// roundRobinAfter returns the thread k places after from in runnable,
// cyclically (runnable is ascending and contains from).
func roundRobinAfter(runnable []int, from, k int) int {
	for i, id := range runnable {
		if id == from {
			return runnable[(i+k)%len(runnable)]
		}
	}
	panic("lab: roundRobinAfter: thread not runnable")
}
