package explore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"iomaplab/lab"
	"iomaplab/scenario"
	"iomaplab/scenario/model"
)

// badInput reports whether err is marked as bad input (exit 2).
func badInput(err error) bool {
	var b interface{ BadInput() bool }
	return errors.As(err, &b) && b.BadInput()
}

// A scenario file's token carries the file's text: it replays after the
// file is gone, and opens no host path.
func TestFileTokenIsSelfContained(t *testing.T) {
	src, err := scenario.CatalogueSource("write-stale-unwritten")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "mine.scn")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	c := Explore(sc, "no-validate", model.ForVariant, opts("pct", 3))
	if c.Verdict != "violation" || c.Token == "" {
		t.Fatalf("%s, token %q (%s): %s", c.Verdict, c.Token, c.NoToken, c.Message)
	}
	tk, err := lab.DecodeToken(c.Token)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Scenario != path || string(tk.Source) != string(src) || tk.SourceHash != "" {
		t.Fatalf("token names %q with %d bytes of text, hash %q", tk.Scenario, len(tk.Source), tk.SourceHash)
	}
	// Replaying does not read the file: edit it, then remove it.
	os.WriteFile(path, []byte("scenario other\n"), 0o644)
	r := replayToken(t, c.Token)
	if !r.Deterministic || r.Verdict.Fired()[0] != c.Oracles[0] {
		t.Fatalf("replay after the edit: %v, deterministic %v", r.Verdict.Fired(), r.Deterministic)
	}
	os.Remove(path)
	if r := replayToken(t, c.Token); !r.Verdict.Violated() {
		t.Fatalf("replay after removal: %v", r.Verdict)
	}
}

// A file edited while it was explored gets no token: the schedule belongs
// to a text that no longer exists.
func TestFileEditedDuringExplorationGetsNoToken(t *testing.T) {
	src, err := scenario.CatalogueSource("write-stale-unwritten")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "mine.scn")
	os.WriteFile(path, src, 0o644)
	sc, err := scenario.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, append(src, []byte("\nthread extra: pread f 0 1\n")...), 0o644)
	c := Explore(sc, "no-validate", model.ForVariant, opts("pct", 3))
	if c.Verdict != "violation" || c.Token != "" || !strings.Contains(c.NoToken, "changed") {
		t.Fatalf("%s, token %q, no-token %q", c.Verdict, c.Token, c.NoToken)
	}
}

// Tokens that name a host path, a catalogue scenario that changed, or an
// old format are bad input, and nothing is opened or run.
func TestTokenScenarioIsNeverAHostPath(t *testing.T) {
	cat, err := scenario.CatalogueSource("write-stale-unwritten")
	if err != nil {
		t.Fatal(err)
	}
	good := lab.Token{Scenario: "write-stale-unwritten", SourceHash: digest(cat), Variant: "correct", Strategy: "pct"}
	cases := map[string]struct {
		tk   lab.Token
		want string
	}{
		"device":        {lab.Token{Scenario: "/dev/zero", Variant: "correct"}, "no scenario"},
		"passwd":        {lab.Token{Scenario: "/etc/passwd", Variant: "correct"}, "no scenario"},
		"stale catalog": {lab.Token{Scenario: "write-stale-unwritten", SourceHash: "0123", Variant: "correct"}, "has changed since the token was made"},
		"bad text":      {lab.Token{Scenario: "/etc/passwd", Source: []byte("root:x:0:0\n"), Variant: "correct"}, "does not parse"},
		"bad variant":   {lab.Token{Scenario: good.Scenario, SourceHash: good.SourceHash, Variant: "nope"}, "nope"},
	}
	for name, c := range cases {
		tk, err := lab.DecodeToken(c.tk.Encode())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		_, err = Replay(tk, model.ForVariant)
		if err == nil || !badInput(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v (bad input %v), want %q", name, err, badInput(err), c.want)
		}
	}
}

// The README's token of format 1 says which format it is.
func TestOldTokenFormatIsNamed(t *testing.T) {
	const v1 = "iml1-YuRJTDRKMUxMSTMzNjEXLS_KLEnVLS5JzEnVLc0D8UpS87jz8nXLEnMyUxJLUpkLkksYGawYCAFGJgRgZoSKgQAgAAD__w"
	_, err := lab.DecodeToken(v1)
	if err == nil || !badInput(err) || !strings.Contains(err.Error(), "token format 1 is not supported by this build") {
		t.Fatalf("got %v", err)
	}
}

// Every one-decision corruption of a real token either replays as another
// valid schedule or is bad input naming the decision; never a panic, and
// "deterministic" only when two replays agree.
func TestCorruptTokenDecisionsAreBadInput(t *testing.T) {
	sc, err := scenario.Lookup("write-stale-unwritten")
	if err != nil {
		t.Fatal(err)
	}
	c := Explore(sc, "no-validate", model.ForVariant, opts("pct", 3))
	tk, err := lab.DecodeToken(c.Token)
	if err != nil {
		t.Fatal(err)
	}
	diverged := 0
	for i := range tk.Decisions {
		for _, flip := range []int{1, 2, 4} {
			bad := tk
			bad.Decisions = append([]int(nil), tk.Decisions...)
			bad.Decisions[i] ^= flip
			r, err := Replay(bad, model.ForVariant)
			if err != nil {
				if !badInput(err) || !strings.Contains(err.Error(), "decision") {
					t.Fatalf("decision %d ^ %d: %v", i, flip, err)
				}
				diverged++
				continue
			}
			if !r.Deterministic {
				t.Fatalf("decision %d ^ %d: a valid schedule replayed nondeterministically", i, flip)
			}
		}
	}
	// Extra decisions past the end of the run diverge too.
	long := tk
	long.Decisions = append(append([]int(nil), tk.Decisions...), 1, 1)
	if _, err := Replay(long, model.ForVariant); err == nil || !badInput(err) || !strings.Contains(err.Error(), "ended after") {
		t.Fatalf("token with 2 extra decisions: %v", err)
	}
	t.Logf("%d of %d corruptions diverged", diverged, 3*len(tk.Decisions))
	if diverged == 0 {
		t.Fatal("no corruption diverged")
	}
}
