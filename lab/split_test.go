package lab

import (
	"slices"
	"testing"
)

// hashes runs s's schedules (at most limit) and returns their trace hashes.
func hashes(t *testing.T, s Strategy, main func(*Thread), limit int) []uint64 {
	t.Helper()
	var out []uint64
	for len(out) < limit && s.NewSchedule() {
		out = append(out, NewWorld(Config{Controlled: true, Strategy: s}).Run(main).Trace.Hash())
	}
	return out
}

// TestDFSUnderSubtreesAreTheDFS checks that the subtrees of every prefix
// of one length, in Branches order, are DFS's schedules in its order, for
// bounds 0..2 and prefixes of 0..3 decisions.
func TestDFSUnderSubtreesAreTheDFS(t *testing.T) {
	main := twoThreads(3)
	for bound := range 3 {
		want := hashes(t, NewDFS(bound), main, 1<<20)
		prefixes := [][]int{nil}
		for depth := range 4 {
			var got [][]int
			var all []uint64
			for _, p := range prefixes {
				d := NewDFSUnder(bound, p)
				all = append(all, hashes(t, d, main, 1<<20)...)
				if !d.Exhausted() {
					t.Fatal("a subtree did not end")
				}
				probe := NewDFSUnder(bound, p)
				hashes(t, probe, main, 1)
				if probe.Branches() == nil {
					got = append(got, p)
				}
				for _, b := range probe.Branches() {
					got = append(got, append(slices.Clone(p), b))
				}
			}
			if !slices.Equal(all, want) {
				t.Fatalf("bound %d depth %d: %d prefixes' subtrees ran %d schedules, DFS %d, or in another order", bound, depth, len(prefixes), len(all), len(want))
			}
			prefixes = got
		}
		if bound > 0 && len(prefixes) < 4 {
			t.Fatalf("bound %d: only %d prefixes: the test splits nothing", bound, len(prefixes))
		}
	}
}

// TestSeekRunsScheduleI checks that Random and PCT started at schedule i
// (PCT with the horizon schedule 0 set) run what the sequence runs there.
func TestSeekRunsScheduleI(t *testing.T) {
	main := twoThreads(200) // longer than PCT's initial horizon of 100 decisions
	want := hashes(t, NewPCT(5, 3), main, 12)
	p := NewPCT(5, 3)
	hashes(t, p, main, 1)
	horizon := p.Horizon()
	if horizon <= 100 {
		t.Fatalf("horizon %d: the test wants schedule 0 longer than 100 decisions", horizon)
	}
	for i := 1; i < len(want); i++ {
		q := NewPCT(5, 3)
		q.Seek(uint64(i), horizon)
		if got := hashes(t, q, main, 1); got[0] != want[i] {
			t.Fatalf("pct schedule %d after Seek differs from the sequence's", i)
		}
	}
	wantR := hashes(t, NewRandom(5), main, 12)
	for i := range wantR {
		r := NewRandom(5)
		r.Seek(uint64(i))
		if got := hashes(t, r, main, 1); got[0] != wantR[i] {
			t.Fatalf("random schedule %d after Seek differs from the sequence's", i)
		}
	}
}
