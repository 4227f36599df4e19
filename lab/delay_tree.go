package lab

import (
	"math/bits"
	"strconv"
	"strings"
)

// delayTree holds DelaySearch's schedules and decides which runs next.
//
// A schedule is its list of delays (decision index, thread picked); its
// parent has the same delays but the last, so the schedules form a tree and
// each is run once. When a schedule has run, its children become
// candidates: one more delay at any decision of its run after its last delay
// (preemptive ones only while it is under the preemption bound), picking the
// thread of the k-th highest priority there ("rank k").
//
// Order. Candidates are grouped by level, their number of delays. Most
// schedules come from the lowest level that has candidates, and the next
// levels get a geometrically shrinking share (the ruler sequence: of every 2^j
// schedules, one is taken j levels up), so a bug that needs two delays does
// not wait until every one-delay schedule has run. Within a level, the ranks
// take turns (a pick of the second-highest priority is rarer and is not
// drowned by the many rank-1 picks), then the parents take turns diagonally
// (see delayTurns), and each parent offers its children in bit-reversed
// order of position: the first decision after its delay, the middle of the
// rest, the quarters, the eighths, ... so a short budget samples the whole
// run rather than its tail, which is where depth-first search spends it.
type delayTree struct {
	bound  int
	levels []delayLevel // by number of delays: children not yet run
	taken  int          // schedules handed out, for the ruler sequence

	shapes   []delayShape
	shapeIDs map[string]uint32
}

// delayLevel holds the candidates with one number of delays, by rank.
type delayLevel struct {
	ranks []delayTurns // index rank-1
	turn  int
}

// delayTurns is a list of cursors, in the order their schedules ran, that
// take turns diagonally: pass p visits cursors 0..p, so after p passes the
// i-th cursor has offered p-i children. Early parents (the first positions
// and ranks of the level below) get deep quickly; every parent gets its turn.
type delayTurns struct {
	cursors []*delayCursor
	pass    int
	turn    int // next cursor of this pass
}

// take returns the next child from the cursors' turns, or nil when they
// have none left.
func (d *delayTurns) take(t *delayTree) *delayNode {
	for len(d.cursors) > 0 {
		if d.turn > d.pass || d.turn >= len(d.cursors) {
			d.pass++
			d.turn = 0
		}
		if n := t.take(d.cursors[d.turn]); n != nil {
			d.turn++
			return n
		}
		d.cursors = append(d.cursors[:d.turn], d.cursors[d.turn+1:]...)
	}
	return nil
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

// delayShape is one decision of a run: the runnable threads in order of
// preference (the default's pick first, then rank 1, 2, ...) and who
// yielded (or -1).
type delayShape struct {
	order   []int
	current int
}

// delayCursor offers the children of one schedule at one rank, in
// bit-reversed order of position.
type delayCursor struct {
	node *delayNode
	rank int
	n    int // how many such children
	r    int // next bit-reversed counter value
}

func (t *delayTree) shape(order []int, current int) uint32 {
	var b strings.Builder
	for _, id := range order {
		b.WriteString(strconv.Itoa(id))
		b.WriteByte(',')
	}
	b.WriteString(strconv.Itoa(current))
	key := b.String()
	if id, ok := t.shapeIDs[key]; ok {
		return id
	}
	id := uint32(len(t.shapes))
	t.shapes = append(t.shapes, delayShape{order: order, current: current})
	t.shapeIDs[key] = id
	return id
}

// add records a schedule that has run: its children become candidates.
func (t *delayTree) add(n *delayNode) {
	ranks := 0
	for _, id := range n.steps {
		ranks = max(ranks, len(t.shapes[id].order)-1)
	}
	if ranks == 0 {
		return
	}
	for len(t.levels) <= n.delays+1 {
		t.levels = append(t.levels, delayLevel{})
	}
	l := &t.levels[n.delays+1]
	for len(l.ranks) < ranks {
		l.ranks = append(l.ranks, delayTurns{})
	}
	for rank := 1; rank <= ranks; rank++ {
		if m := t.children(n, rank, -1, nil); m > 0 {
			turns := &l.ranks[rank-1]
			turns.cursors = append(turns.cursors, &delayCursor{node: n, rank: rank, n: m})
		}
	}
}

// decisions appends n's whole decision list to buf.
func (t *delayTree) decisions(n *delayNode, buf []int) []int {
	if n.parent != nil {
		buf = append(t.decisions(n.parent, buf)[:n.index], n.choice)
	}
	for _, id := range n.steps {
		buf = append(buf, t.shapes[id].order[0])
	}
	return buf
}

// next returns the next schedule to run, or nil when the bounded space is
// exhausted.
func (t *delayTree) next() *delayNode {
	for {
		lv := t.pickLevel()
		if lv < 0 {
			return nil
		}
		if n := t.levels[lv].take(t); n != nil {
			t.taken++
			return n
		}
	}
}

// pickLevel returns the level the next schedule comes from, or -1 if no
// level has candidates: the lowest one, except that every 2^j-th schedule
// comes from j levels higher (or the highest non-empty level below that).
func (t *delayTree) pickLevel() int {
	low := -1
	for i := range t.levels {
		if !t.levels[i].empty() {
			low = i
			break
		}
	}
	if low < 0 {
		return -1
	}
	up := bits.TrailingZeros(uint(t.taken + 1))
	for lv := min(low+up, len(t.levels)-1); lv > low; lv-- {
		if !t.levels[lv].empty() {
			return lv
		}
	}
	return low
}

func (l *delayLevel) empty() bool {
	for i := range l.ranks {
		if len(l.ranks[i].cursors) > 0 {
			return false
		}
	}
	return true
}

// take returns the level's next candidate, the ranks taking turns and,
// within a rank, the parents; nil if it has none left.
func (l *delayLevel) take(t *delayTree) *delayNode {
	for !l.empty() {
		l.turn %= len(l.ranks)
		turns := &l.ranks[l.turn]
		l.turn++
		if n := turns.take(t); n != nil {
			return n
		}
	}
	return nil
}

// children walks p's children at rank, in decision order. It stops at the
// want-th (0-based) and stores it in out; with want < 0 it counts them.
func (t *delayTree) children(p *delayNode, rank, want int, out **delayNode) int {
	i := 0
	for s, id := range p.steps {
		sh := &t.shapes[id]
		if len(sh.order) <= rank || (sh.current >= 0 && p.preemptions >= t.bound) {
			continue
		}
		if i == want {
			c := &delayNode{parent: p, index: p.index + 1 + s, choice: sh.order[rank], delays: p.delays + 1, preemptions: p.preemptions}
			if sh.current >= 0 {
				c.preemptions++
			}
			*out = c
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
		idx := 0
		if width > 0 {
			idx = int(bits.Reverse(uint(c.r)) >> (bits.UintSize - width))
		}
		c.r++
		if idx < c.n {
			var n *delayNode
			t.children(c.node, c.rank, idx, &n)
			return n
		}
	}
	return nil
}
