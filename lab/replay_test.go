package lab

import (
	"strings"
	"testing"
)

// Every corruption of a recorded schedule either is another valid schedule
// or ends the run as Diverged with a message naming the decision, whether the bad decision is taken at a lock,
// a point or a thread's exit (the scheduler then runs inside the exiting
// thread's deferred exit, where a panic used to kill the process).
func TestReplayDivergenceAnywhereIsAnOutcome(t *testing.T) {
	for seed := range uint64(20) {
		r := controlled(NewRandom(seed)).Run(threeThreads)
		if !r.OK() {
			t.Fatal(r)
		}
		for i := range r.Decisions {
			for _, bad := range []int{r.Decisions[i] ^ 1, r.Decisions[i] ^ 2, 99} {
				d := append([]int(nil), r.Decisions...)
				d[i] = bad
				r2 := controlled(NewReplay(d)).Run(threeThreads)
				if r2.Outcome != Completed && r2.Outcome != Diverged {
					t.Fatalf("seed %d: decision %d changed to %d: %v", seed, i, bad, r2)
				}
				if r2.Outcome == Diverged && !strings.Contains(r2.Message, "decision") {
					t.Fatalf("seed %d: divergence message names no decision: %s", seed, r2.Message)
				}
			}
		}
		// A recording cut short runs out: Diverged, naming the decision.
		r3 := controlled(NewReplay(r.Decisions[:len(r.Decisions)/2])).Run(threeThreads)
		if r3.Outcome != Diverged || !strings.Contains(r3.Message, "only") {
			t.Fatalf("seed %d: truncated schedule gave %v", seed, r3)
		}
	}
}

// A divergence at an exiting thread's scheduling decision, directly.
func TestReplayDivergenceAtThreadExit(t *testing.T) {
	// main spawns a and b, then exits at once: its exit picks between a
	// and b, the second decision of the run.
	main := func(t *Thread) {
		t.Go("a", func(*Thread) {})
		t.Go("b", func(*Thread) {})
	}
	r := controlled(NewReplay([]int{0, 0, 7})).Run(main)
	if r.Outcome != Diverged || !strings.Contains(r.Message, "names thread 7") {
		t.Fatalf("got %v", r)
	}
}

func TestReplayRemainingCountsUnusedDecisions(t *testing.T) {
	r := controlled(NewRandom(3)).Run(threeThreads)
	s := NewReplay(append(append([]int(nil), r.Decisions...), 1, 2))
	s.NewSchedule()
	r2 := NewWorld(Config{Controlled: true, Strategy: s}).Run(threeThreads)
	if !r2.OK() || s.Remaining() != 2 {
		t.Fatalf("got %v with %d decisions left, want completed with 2 left", r2, s.Remaining())
	}
}
