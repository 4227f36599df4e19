package lab

// Guided follows a decision list where it can and otherwise lets the running
// thread continue (or, if it cannot, runs the lowest runnable ID). Unlike
// Replay it never diverges, so it can try edited schedules: Shrink uses it.
type Guided struct {
	decisions []int
	next      int
	used      bool
}

// NewGuided returns a strategy that follows decisions once, leniently.
func NewGuided(decisions []int) *Guided { return &Guided{decisions: decisions} }

// NewSchedule implements Strategy: one schedule.
func (g *Guided) NewSchedule() bool {
	if g.used {
		return false
	}
	g.used, g.next = true, 0
	return true
}

// Pick implements Strategy.
func (g *Guided) Pick(runnable []int, current int) int {
	if g.next < len(g.decisions) {
		want := g.decisions[g.next]
		g.next++
		if contains(runnable, want) {
			return want
		}
	}
	if current >= 0 {
		return current
	}
	return runnable[0]
}
