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

func TestTokenRoundTrip(t *testing.T) {
	tk := Token{Build: BuildHash(), Scenario: "write-stale-unwritten", Variant: "no-validate", Strategy: "pct", Seed: 7, Schedule: 12, Decisions: []int{1, 2, 0, 3, 1, 1, 1, 2}}
	s := tk.Encode()
	got, err := DecodeToken(s)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(tk) {
		t.Fatalf("round trip: %+v != %+v", got, tk)
	}
	for _, bad := range []string{"", "xyz", s[:len(s)-3], "iml1-!!!"} {
		if _, err := DecodeToken(bad); err == nil {
			t.Errorf("DecodeToken(%q) accepted", bad)
		}
	}
}

func FuzzDecodeToken(f *testing.F) {
	f.Add(Token{Scenario: "s", Decisions: []int{1, 2}}.Encode())
	f.Fuzz(func(t *testing.T, s string) {
		tk, err := DecodeToken(s)
		if err == nil {
			if _, err := DecodeToken(tk.Encode()); err != nil {
				t.Fatal(err)
			}
		}
	})
}
