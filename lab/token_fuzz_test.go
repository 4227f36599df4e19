package lab

import (
	"testing"
)

// FuzzDecodeToken feeds DecodeToken mangled tokens (the seed corpus in
// testdata/fuzz/FuzzDecodeToken holds real ones of both formats, a deflate
// bomb and truncations). Decoding must end in a token or an error, within
// its size limits; a decoded token must re-encode to one that decodes to
// the same fields; and replaying its decisions on a small world must end
// as a completed or diverged run, never a crash or a hang.
func FuzzDecodeToken(f *testing.F) {
	for _, tk := range []Token{
		{Scenario: "s", Decisions: []int{1, 2}},
		{Build: "dae689cd76ad go1.26.8", Scenario: "write-stale-unwritten", SourceHash: "0123456789abcdef01234567", Variant: "no-validate", Strategy: "pct", Seed: 3, Schedule: 5, Decisions: []int{1, 2, 0, 3, 1, 1, 1, 2, 3, 3, 2}},
		{Scenario: "my.scn", Source: []byte("scenario my\nfs xfs\nsetup pwrite f 0 4k\nthread a: pwrite f 0 1\n"), Variant: "correct", Strategy: "delay", Seed: 9},
	} {
		f.Add(tk.Encode())
	}
	f.Fuzz(func(t *testing.T, s string) {
		tk, err := DecodeToken(s)
		if err != nil {
			if _, ok := err.(*TokenError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if len(tk.Source) > MaxTokenSource || len(tk.Decisions) > MaxTokenDecisions {
			t.Fatalf("decoded past the limits: %d bytes of source, %d decisions", len(tk.Source), len(tk.Decisions))
		}
		again, err := DecodeToken(tk.Encode())
		if err != nil {
			t.Fatalf("re-encoded token does not decode: %v", err)
		}
		if again.Scenario != tk.Scenario || string(again.Source) != string(tk.Source) || len(again.Decisions) != len(tk.Decisions) || again.Seed != tk.Seed {
			t.Fatalf("re-encoding changed the token: %+v != %+v", again, tk)
		}
		r := NewWorld(Config{Controlled: true, Strategy: replayOnce(tk.Decisions)}).Run(threeThreads)
		if r.Outcome != Completed && r.Outcome != Diverged {
			t.Fatalf("replay of the token's decisions: %v", r)
		}
	})
}

func replayOnce(decisions []int) *Replay {
	s := NewReplay(decisions)
	s.NewSchedule()
	return s
}
