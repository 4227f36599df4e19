package lab

import "fmt"

// Replay re-runs one recorded schedule: Result.Decisions of an earlier run.
// A decision that names a thread that is not runnable, or a run that needs
// more decisions than were recorded, is nondeterminism (or a corrupt
// token): the world ends the run with outcome Diverged and a message naming
// the decision. A run that ends before using every decision diverged too:
// the caller checks Remaining.
type Replay struct {
	decisions []int
	next      int
	used      bool
}

// NewReplay returns a strategy that replays decisions once.
func NewReplay(decisions []int) *Replay { return &Replay{decisions: decisions} }

// NewSchedule implements Strategy: there is exactly one schedule to replay.
func (r *Replay) NewSchedule() bool {
	if r.used {
		return false
	}
	r.used = true
	r.next = 0
	return true
}

// Pick implements Strategy.
func (r *Replay) Pick(runnable []int, current int) int {
	if r.next >= len(r.decisions) {
		panic(divergence(fmt.Sprintf("replay needs decision %d but only %d were recorded", r.next, len(r.decisions))))
	}
	want := r.decisions[r.next]
	r.next++
	for _, id := range runnable {
		if id == want {
			return id
		}
	}
	panic(divergence(fmt.Sprintf("replay decision %d names thread %d, runnable are %v", r.next-1, want, runnable)))
}

// Remaining reports how many recorded decisions were not consumed.
func (r *Replay) Remaining() int { return len(r.decisions) - r.next }
