package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tiny is a configuration small enough for a unit test: 1 MiB written, one
// run, one seed, a few schedules, no kernel target. Nothing is timed.
func tiny() Config {
	return Config{Runs: 1, WriteSize: 1 << 20, WriteIO: 64 << 10, Seeds: 1, Budget: 3,
		Schedules: 2, KernelRuns: 1, FsxOps: 30, ModelOnly: true, HangTimeout: time.Second}
}

func TestReportPlumbing(t *testing.T) {
	rep, err := Run(tiny())
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string]int{}
	for _, f := range rep.Figures {
		groups[f.Group]++
		if f.Value == nil && f.Missing == "" {
			t.Errorf("%s %q: no value and no reason", f.Group, f.Name)
		}
		if f.Value != nil && f.Base != nil && f.Base.Median != 0 {
			if f.Ratio == nil || *f.Ratio != f.Value.Median/f.Base.Median {
				t.Errorf("%s %q: ratio %v, want %v", f.Group, f.Name, f.Ratio, f.Value.Median/f.Base.Median)
			}
		}
		if f.Value != nil && (f.Value.Min > f.Value.Median || f.Value.Median > f.Value.Max || f.Value.N < 1) {
			t.Errorf("%s %q: bad spread %+v", f.Group, f.Name, *f.Value)
		}
	}
	for _, g := range Groups {
		if groups[g] == 0 {
			t.Errorf("no %s figures", g)
		}
	}
	for _, f := range rep.Figures {
		if f.Group == "kernel" && !strings.Contains(f.Missing, "model only") {
			t.Errorf("kernel figure %q not missing with the model-only reason: %q", f.Name, f.Missing)
		}
		if f.Group == "fsx" && (f.Value == nil || f.Base != nil || f.BaseMissing == "") {
			t.Errorf("fsx figure %q: want a model value and a missing kernel baseline, got %+v", f.Name, f)
		}
	}

	var table, md bytes.Buffer
	rep.WriteTable(&table)
	rep.WriteMarkdown(&md)
	for _, f := range rep.Figures {
		if !strings.Contains(table.String(), f.Name) || !strings.Contains(md.String(), f.Name) {
			t.Errorf("table or markdown lacks %q", f.Name)
		}
	}
	if rows := strings.Count(md.String(), "\n"); rows != len(rep.Figures)+2 {
		t.Errorf("markdown has %d lines, want %d", rows, len(rep.Figures)+2)
	}

	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Figures) != len(rep.Figures) || len(back.Finds) != len(rep.Finds) || back.Config.WriteSize != 1<<20 {
		t.Errorf("JSON round trip lost data: %d figures, %d finds", len(back.Figures), len(back.Finds))
	}

	dir := t.TempDir()
	files, err := rep.Plot(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bench.json", "bench.md", "write.png", "write.svg", "fsx.png", "fsx.svg", "lab-schedules.png"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || st.Size() == 0 {
			t.Errorf("chart %s missing or empty (wrote %v)", name, files)
		}
	}
}

func TestStatOf(t *testing.T) {
	if s := statOf([]float64{5, 1, 3}); s != (Stat{Median: 3, Min: 1, Max: 5, N: 3}) {
		t.Errorf("odd: %+v", s)
	}
	if s := statOf([]float64{4, 1, 3, 2}); s != (Stat{Median: 2.5, Min: 1, Max: 4, N: 4}) {
		t.Errorf("even: %+v", s)
	}
}

func TestRepeatDiscardsWarmUp(t *testing.T) {
	i := 0.0
	s, err := repeat(3, 1, func(string) {}, "x", func() ([]float64, error) {
		i++
		return []float64{i}, nil
	})
	if err != nil || s[0] != (Stat{Median: 3, Min: 2, Max: 4, N: 3}) {
		t.Errorf("repeat: %+v %v (the warm-up's 1 must be dropped)", s, err)
	}
}

func TestConfigChecks(t *testing.T) {
	if err := CheckGroups([]string{"write", "bogus"}); err == nil {
		t.Error("CheckGroups accepted bogus")
	}
	c := tiny()
	c.WriteIO = 100
	if _, err := Run(c); err == nil {
		t.Error("Run accepted a 100-byte pwrite size")
	}
}

// exploreOnce reads a binary's explore JSON, passes --jobs 1 only to a
// binary that has the flag, and refuses a run that is not clean after the
// budget.
func TestExploreOnce(t *testing.T) {
	dir := t.TempDir()
	fake := func(name, help, cell string) string {
		p := filepath.Join(dir, name)
		script := "#!/bin/sh\ncase \"$*\" in\n*--help*) echo '" + help + "';;\n" +
			"*) echo \"$*\" > " + p + ".args; echo '{\"cells\":[" + cell + "]}';;\nesac\n"
		if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	clean := `{"verdict":"clean","schedules":10,"seconds":0.5}`
	for _, tc := range []struct {
		help, cell string
		jobs, ok   bool
	}{
		{"      --jobs int   worlds", clean, true, true},
		{"      --json   print", clean, false, true},
		{"      --jobs int   worlds", `{"verdict":"violation","schedules":3,"seconds":0.5}`, true, false},
	} {
		bin := fake("bin", tc.help, tc.cell)
		r, err := exploreOnce(bin, "s", 10, 7)
		if (err == nil) != tc.ok {
			t.Fatalf("%s: err %v, want ok %v", tc.cell, err, tc.ok)
		}
		args, _ := os.ReadFile(bin + ".args")
		if strings.Contains(string(args), "--jobs 1") != tc.jobs || !strings.Contains(string(args), "--seed 7") {
			t.Errorf("help %q: ran with %q", tc.help, args)
		}
		if tc.ok && (r.schedules != 10 || r.seconds != 0.5) {
			t.Errorf("read %+v", r)
		}
	}
}
