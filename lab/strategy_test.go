package lab

import (
	"fmt"
	"testing"
)

// twoThreadsTwoSteps runs two threads of two points each. The interleavings
// of two sequences of 2 steps (plus their exits) are counted below.
func twoThreadsTwoSteps(log *[]string) func(t *Thread) {
	return func(t *Thread) {
		for _, name := range []string{"a", "b"} {
			t.Go(name, func(t *Thread) {
				for i := range 2 {
					t.Point("p")
					*log = append(*log, fmt.Sprint(name, i))
				}
			})
		}
	}
}

func TestDFSExploresEveryInterleavingOnce(t *testing.T) {
	// With no bound, a and b each log 2 entries: C(4,2) = 6 distinct logs.
	// The decision tree has more leaves than 6 (switches at spawn and exit
	// points do not change the log), but every leaf is distinct.
	d := NewDFS(100)
	logs := map[string]int{}
	hashes := map[uint64]bool{}
	for d.NewSchedule() {
		var log []string
		r := NewWorld(Config{Controlled: true, Strategy: d}).Run(twoThreadsTwoSteps(&log))
		if !r.OK() {
			t.Fatal(r)
		}
		if hashes[r.Trace.Hash()] {
			t.Fatalf("schedule %d repeats an earlier trace", d.Schedules())
		}
		hashes[r.Trace.Hash()] = true
		logs[fmt.Sprint(log)]++
	}
	if !d.Exhausted() || len(logs) != 6 {
		t.Fatalf("exhausted=%v, %d distinct logs, want 6: %v", d.Exhausted(), len(logs), logs)
	}
}

func TestDFSPreemptionBoundZeroRunsNonPreemptively(t *testing.T) {
	d := NewDFS(0)
	n := 0
	for d.NewSchedule() {
		var log []string
		r := NewWorld(Config{Controlled: true, Strategy: d}).Run(twoThreadsTwoSteps(&log))
		if !r.OK() || r.Preemptions != 0 {
			t.Fatalf("%v, %d preemptions", r, r.Preemptions)
		}
		n++
	}
	// Without preemptions only the choices at blocking/exit points remain.
	if n == 0 || n > 6 {
		t.Fatalf("%d schedules with bound 0", n)
	}
}

func TestPCTFindsLostUpdate(t *testing.T) {
	p := NewPCT(1, 2)
	for i := range 200 {
		p.NewSchedule()
		r := NewWorld(Config{Controlled: true, Strategy: p}).Run(checkCounter(&counter{racy: true}))
		if r.Outcome == Failed {
			t.Logf("PCT seed 1 depth 2 found it in schedule %d", i)
			return
		}
	}
	t.Fatal("PCT seed 1 depth 2: lost update not found in 200 schedules")
}

func TestShrinkReducesPreemptionsAndReplays(t *testing.T) {
	run := func(s Strategy) *Result {
		s.NewSchedule()
		return NewWorld(Config{Controlled: true, Strategy: s}).Run(checkCounter(&counter{racy: true}))
	}
	s := NewRandom(21)
	var failing *Result
	for range 1000 {
		if r := run(s); r.Outcome == Failed {
			failing = r
			break
		}
	}
	if failing == nil {
		t.Fatal("seed 21: no failure to shrink")
	}
	same := func(r *Result) bool { return r.Outcome == Failed }
	small := Shrink(failing, run, same, 200)
	if small.Preemptions > failing.Preemptions || small.Preemptions > 1 {
		t.Fatalf("shrunk to %d preemptions from %d; a lost update needs only 1", small.Preemptions, failing.Preemptions)
	}
	again := run(NewReplay(small.Decisions))
	if again.Outcome != Failed || again.Trace.Hash() != small.Trace.Hash() {
		t.Fatalf("shrunk schedule replays as %v", again)
	}
}

// twoThreads is a toy whose schedules can be counted: main spawns b, then
// main and b each pass m points. After the spawn decision each thread runs
// m+1 segments (to each point, then to its exit), so a schedule is an
// interleaving of two sequences of m+1 segments.
func twoThreads(m int) func(t *Thread) {
	return func(t *Thread) {
		t.Go("b", func(t *Thread) {
			for range m {
				t.Point("p")
			}
		})
		for range m {
			t.Point("p")
		}
	}
}

// twoThreadSchedules is how many schedules of twoThreads(m) have at most k
// preemptions. An interleaving of two sequences of n segments in c blocks
// switches threads c-1 times; the switch after the first thread to finish
// exits is free, and starting with b (away from main, which could go on at
// its spawn) is one more preemption. With main's blocks ceil(c/2) and b's
// floor(c/2) when main starts, there are C(n-1, blocks-1) ways to cut each.
func twoThreadSchedules(m, k int) int {
	n := m + 1
	total := 0
	for c := 2; c <= 2*n; c++ {
		for _, bFirst := range []bool{false, true} {
			p := c - 2
			if bFirst {
				p++
			}
			if p > k {
				continue
			}
			first, second := (c+1)/2, c/2
			total += binomial(n-1, first-1) * binomial(n-1, second-1)
		}
	}
	return total
}

func binomial(n, r int) int {
	if r < 0 || r > n {
		return 0
	}
	v := 1
	for i := range r {
		v = v * (n - i) / (i + 1)
	}
	return v
}

// explored runs s to exhaustion (at most limit schedules) on main and
// returns every schedule's decisions with its preemptions.
func explored(t *testing.T, s Strategy, main func(*Thread), limit int) (map[string]int, int) {
	t.Helper()
	seen := map[string]int{}
	n := 0
	for s.NewSchedule() {
		if n++; n > limit {
			t.Fatalf("more than %d schedules", limit)
		}
		r := NewWorld(Config{Controlled: true, Strategy: s}).Run(main)
		if !r.OK() {
			t.Fatal(r)
		}
		key := fmt.Sprint(r.Decisions)
		if _, dup := seen[key]; dup {
			t.Fatalf("schedule %d repeats %s", n, key)
		}
		seen[key] = r.Preemptions
	}
	return seen, n
}

func TestTwoThreadScheduleCount(t *testing.T) {
	// All interleavings of 4 and 4 segments: C(8,4).
	if got := twoThreadSchedules(3, 100); got != 70 {
		t.Fatalf("formula gives %d interleavings, want 70", got)
	}
}

func TestDelaySearchRunsEveryScheduleWithinTheBoundOnce(t *testing.T) {
	for _, k := range []int{0, 1, 2, 3, 100} {
		d := NewDelaySearch(k)
		got, n := explored(t, d, twoThreads(3), 1000)
		if want := twoThreadSchedules(3, k); n != want || !d.Exhausted() || d.Schedules() != n {
			t.Fatalf("bound %d: %d schedules (Schedules %d), exhausted %v; want %d", k, n, d.Schedules(), d.Exhausted(), want)
		}
		for key, p := range got {
			if p > k {
				t.Fatalf("bound %d: schedule %s has %d preemptions", k, key, p)
			}
		}
		// The same space as depth-first search, in another order.
		dfs, _ := explored(t, NewDFS(k), twoThreads(3), 1000)
		if fmt.Sprint(dfs) != fmt.Sprint(got) {
			t.Fatalf("bound %d: delay and dfs explored different schedules:\n%v\n%v", k, got, dfs)
		}
		if d.NewSchedule() {
			t.Fatalf("bound %d: NewSchedule after exhaustion", k)
		}
	}
}

func TestDelaySearchWithBlockingThreads(t *testing.T) {
	// Threads that block (the racy counter's mutex, main's wait) make free
	// choices; the space must still match depth-first search's.
	for _, k := range []int{0, 1, 2} {
		d := NewDelaySearch(k)
		got, _ := explored(t, d, func(t *Thread) { checkCounterOK(t, 3) }, 100000)
		dfs, _ := explored(t, NewDFS(k), func(t *Thread) { checkCounterOK(t, 3) }, 100000)
		t.Logf("bound %d: %d schedules", k, len(got))
		if !d.Exhausted() || len(got) == 0 || fmt.Sprint(dfs) != fmt.Sprint(got) {
			t.Fatalf("bound %d: exhausted %v, %d schedules, dfs %d, or different sets", k, d.Exhausted(), len(got), len(dfs))
		}
	}
}

// checkCounterOK runs n threads incrementing a locked counter.
func checkCounterOK(t *Thread, n int) {
	c := &counter{}
	var ev Event
	done := 0
	for i := range n {
		t.Go(fmt.Sprint("inc", i), func(t *Thread) {
			c.inc(t)
			done++
			ev.Wake(t)
		})
	}
	ev.Wait(t, func() bool { return done == n })
}

func TestDelaySearchStartsWithTheDefaultSchedule(t *testing.T) {
	d := NewDelaySearch(2)
	d.NewSchedule()
	r := NewWorld(Config{Controlled: true, Strategy: d}).Run(twoThreads(3))
	if d.Delays() != 0 || r.Preemptions != 0 {
		t.Fatalf("first schedule: %d delays, %d preemptions", d.Delays(), r.Preemptions)
	}
	d.NewSchedule()
	NewWorld(Config{Controlled: true, Strategy: d}).Run(twoThreads(3))
	if d.Delays() != 1 {
		t.Fatalf("second schedule: %d delays, want 1", d.Delays())
	}
}

// longWindow is a lost update whose window sits in the middle of a long
// run: a passes 60 points, reads the counter, passes 40 points, writes it
// back, and passes 60 more; b increments it once. Only a preemption of a
// inside its 40-point window loses b's update.
func longWindow(t *Thread) {
	n := 0
	var ev Event
	done := 0
	t.Go("a", func(t *Thread) {
		for range 60 {
			t.Point("before")
		}
		v := n
		for range 40 {
			t.Point("window")
		}
		n = v + 1
		for range 60 {
			t.Point("after")
		}
		done++
		ev.Wake(t)
	})
	t.Go("b", func(t *Thread) {
		n++
		done++
		ev.Wake(t)
	})
	ev.Wait(t, func() bool { return done == 2 })
	if n != 2 {
		t.Fail(fmt.Sprintf("lost update: %d", n))
	}
}

func firstFailure(s Strategy, main func(*Thread), budget int) int {
	for i := 1; i <= budget && s.NewSchedule(); i++ {
		if NewWorld(Config{Controlled: true, Strategy: s}).Run(main).Outcome == Failed {
			return i
		}
	}
	return -1
}

func TestDelaySearchReachesTheMiddleOfALongRun(t *testing.T) {
	// The positions of a delay are tried in bit-reversed order, so a window
	// covering a quarter of the run is hit within a few schedules; depth
	// first search tries the tail first.
	got := firstFailure(NewDelaySearch(2), longWindow, 300)
	dfs := firstFailure(NewDFS(2), longWindow, 300)
	t.Logf("lost update found at schedule %d (dfs: %d)", got, dfs)
	if got < 0 || got > 10 {
		t.Fatalf("delay search found the lost update at schedule %d, want <= 10", got)
	}
}

func TestDelaySearchFindsLostUpdateAndReplays(t *testing.T) {
	d := NewDelaySearch(2)
	for d.NewSchedule() {
		r := NewWorld(Config{Controlled: true, Strategy: d}).Run(checkCounter(&counter{racy: true}))
		if r.Outcome != Failed {
			continue
		}
		t.Logf("lost update in schedule %d (%d delays, %d preemptions)", d.Schedules(), d.Delays(), r.Preemptions)
		again := NewReplay(r.Decisions)
		again.NewSchedule()
		rr := NewWorld(Config{Controlled: true, Strategy: again}).Run(checkCounter(&counter{racy: true}))
		if rr.Outcome != Failed || rr.Trace.Hash() != r.Trace.Hash() || again.Remaining() != 0 {
			t.Fatalf("replay: %v, hash %x vs %x, %d decisions left", rr, rr.Trace.Hash(), r.Trace.Hash(), again.Remaining())
		}
		return
	}
	t.Fatalf("lost update not found; exhausted after %d schedules", d.Schedules())
}

// Seeds change the order in which delay search runs its space, never the
// space: every seed runs exactly the schedules DFS runs, each once, and
// different seeds start from different default schedules.
func TestSeededDelaySearchSameSpaceOtherOrder(t *testing.T) {
	main := func(t *Thread) { checkCounterOK(t, 3) }
	dfs, _ := explored(t, NewDFS(1), main, 100000)
	firsts := map[string]bool{}
	for seed := range uint64(6) {
		d := NewSeededDelaySearch(1, seed)
		got, _ := explored(t, d, main, 100000)
		if !d.Exhausted() || fmt.Sprint(got) != fmt.Sprint(dfs) {
			t.Fatalf("seed %d: exhausted %v, %d schedules, dfs %d, or different sets", seed, d.Exhausted(), len(got), len(dfs))
		}
		first := NewSeededDelaySearch(1, seed)
		first.NewSchedule()
		r := NewWorld(Config{Controlled: true, Strategy: first}).Run(main)
		if r.Preemptions != 0 {
			t.Fatalf("seed %d: the default schedule has %d preemptions", seed, r.Preemptions)
		}
		firsts[fmt.Sprint(r.Decisions)] = true
	}
	if len(firsts) < 3 {
		t.Fatalf("6 seeds started from %d distinct default schedules, want >= 3", len(firsts))
	}
}
