package mutants

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestScanFileMarkersAndEdits(t *testing.T) {
	src, err := os.ReadFile("testdata/marked.go.txt")
	if err != nil {
		t.Fatal(err)
	}
	edits, names, err := scanFile("marked.go", src)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ // site -> a line of the mutated file that must appear
		"demo-lock":           "\t //mutant:demo-lock delete\n\t //mutant:demo-lock delete\n",
		"demo-bump":           "//mutant:demo-bump delete\n\t\n",
		"demo-valid":          "if (m.seq != m.cookie) && false {",
		"demo-assign":         "ok := (m.dirty) || true",
		"demo-return":         "return (ok && m.valid()) || true",
		"demo-noseq":          "m.df.Set(e, extent.NoSeqBump)",
		"demo-noseq-variadic": "m.df.Convert(r, a, b, 0, append(flags, extent.NoSeqBump)...)",
	}
	sites := map[string][]Edit{}
	for i, e := range edits {
		sites[names[i]] = append(sites[names[i]], e)
	}
	if len(sites) != len(want) || len(sites["demo-lock"]) != 2 {
		t.Fatalf("sites %v, want %d with demo-lock marked twice", names, len(want))
	}
	for name, line := range want {
		got := string(applyEdits(src, sites[name]))
		if !strings.Contains(got, line) {
			t.Errorf("%s: mutated file lacks %q:\n%s", name, line, got)
		}
		if strings.Count(got, "\n") != strings.Count(string(src), "\n") {
			t.Errorf("%s: the mutant changed the line count", name)
		}
	}
	if e := sites["demo-bump"][0]; e.Line != 7 || e.Kind != Delete {
		t.Errorf("demo-bump: line %d kind %s, want 7 delete (the statement below the marker)", e.Line, e.Kind)
	}
}

func TestScanFileRejectsBadMarkers(t *testing.T) {
	for _, src := range []string{
		"package p\n\nfunc f() {\n\tg() //mutant:Bad delete\n}\n",
		"package p\n\nfunc f() {\n\tg() //mutant:ok negate\n}\n",
		"package p\n\nfunc f() {\n\tg() //mutant:ok true\n}\n",
		"package p\n\n//mutant:ok delete\n\nfunc f() {}\n",
	} {
		_, _, err := scanFile("p.go", []byte(src))
		var me *MarkerError
		if !errors.As(err, &me) || !me.BadInput() {
			t.Errorf("%q: got %v, want a marker error", src, err)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		cells []cell
		want  Outcome
	}{
		{[]cell{{Scenario: "a", Verdict: "clean"}, {Scenario: "b", Verdict: "clean"}}, Survived},
		{[]cell{{Scenario: "a", Verdict: "violation", Oracles: []string{"panic"}}}, Crashed},
		{[]cell{{Scenario: "a", Verdict: "error"}}, Crashed},
		{[]cell{{Scenario: "a", Verdict: "violation", Oracles: []string{"deadlock"}}, {Scenario: "b", Verdict: "violation", Oracles: []string{"data", "panic"}, Safety: []string{"data"}}}, Killed},
	} {
		var r SiteResult
		classify(&r, tc.cells)
		if r.Outcome != tc.want {
			t.Errorf("%+v: %s, want %s", tc.cells, r.Outcome, tc.want)
		}
		if tc.want == Killed && (r.KilledBy != "b" || len(r.Oracles) != 1 || r.Oracles[0] != "data") {
			t.Errorf("killed by %s %v, want b [data]", r.KilledBy, r.Oracles)
		}
	}
}

func TestReportKillRateLeavesOutEquivalents(t *testing.T) {
	var rep Report
	rep.add(SiteResult{Outcome: Killed})
	rep.add(SiteResult{Outcome: Survived, Equivalent: "no effect"})
	rep.add(SiteResult{Outcome: Survived})
	rep.add(SiteResult{Outcome: Killed, Equivalent: "wrongly listed"})
	if rep.Killed != 2 || rep.Survived != 1 || rep.Equivalent != 1 || rep.KillRate < 66 || rep.KillRate > 67 {
		t.Errorf("report %+v: want 2 killed, 1 survived, 1 equivalent, 66.7%%", rep)
	}
}

// TestEngineMarkers scans the engine's own markers: every one well formed
// and placed, and enough sites for a kill rate to mean something.
func TestEngineMarkers(t *testing.T) {
	sites, err := Scan("..")
	if err != nil {
		t.Fatal(err)
	}
	if len(sites) < 30 {
		t.Fatalf("%d sites marked, want at least 30", len(sites))
	}
	for _, s := range sites {
		if _, err := s.Apply(".."); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
	}
	for name := range Equivalents() {
		if !slices.ContainsFunc(sites, func(s Site) bool { return s.Name == name }) {
			t.Errorf("equivalent.txt names %s, which no marker does", name)
		}
	}
}

func TestSiteModel(t *testing.T) {
	for _, tc := range []struct {
		files []string
		want  string
	}{
		{[]string{"fsmodel/xfs/a.go", "fsmodel/xfs/b.go"}, "xfs"},
		{[]string{"fsmodel/ext4/a.go"}, "ext4"},
		{[]string{"iomap/a.go"}, ""},
		{[]string{"fsmodel/xfs/a.go", "fsmodel/ext4/a.go"}, ""},
		{[]string{"fsmodel/xfs/a.go", "iomap/a.go"}, ""},
	} {
		var s Site
		for _, f := range tc.files {
			s.Edits = append(s.Edits, Edit{File: f})
		}
		if got := s.Model(); got != tc.want {
			t.Errorf("%v: model %q, want %q", tc.files, got, tc.want)
		}
	}
}

func TestDropUnusedImports(t *testing.T) {
	src := "package p\n\nimport (\n\t\"math\"\n\t\"strings\"\n)\n\nfunc f() string {\n\t\n\treturn strings.ToUpper(\"x\")\n}\n"
	got := string(dropUnusedImports([]byte(src)))
	if strings.Contains(got, `"math"`) || !strings.Contains(got, `"strings"`) {
		t.Errorf("unused math kept or used strings dropped:\n%s", got)
	}
	if kept := string(dropUnusedImports([]byte("package p\n\nimport \"math\"\n\nvar x = math.Pi\n"))); !strings.Contains(kept, `"math"`) {
		t.Errorf("used import dropped:\n%s", kept)
	}
}
