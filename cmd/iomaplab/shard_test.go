package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cellsOf returns the cells of an explore or merge JSON document, without
// the timing fields, and its exit field.
func cellsOf(t *testing.T, doc string) (cells []map[string]any, exit float64) {
	t.Helper()
	var d struct {
		Cells []map[string]any `json:"cells"`
		Exit  float64          `json:"exit"`
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		t.Fatalf("%v in %.300s", err, doc)
	}
	for _, c := range d.Cells {
		delete(c, "seconds")
		delete(c, "seconds_to_find")
	}
	return d.Cells, d.Exit
}

func sameCells(t *testing.T, what string, want, got []map[string]any) {
	t.Helper()
	w, _ := json.Marshal(want)
	g, _ := json.Marshal(got)
	if string(w) != string(g) {
		t.Fatalf("%s: cells differ:\nserial %.2000s\ngot    %.2000s", what, w, g)
	}
}

// The shards of a run (--shard I/N --json, each exit 0: the verdict is
// merge's), merged in any order, give the serial run's cells and exit
// code, for a violation (exit 1) and a clean cell (exit 0); a merge
// without every shard is bad input.
func TestShardsMergeToTheSerialRun(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		variant string
		code    int
	}{{"no-validate", exitFail}, {"correct", exitOK}} {
		args := []string{"explore", "write-stale-unwritten", "--variant", tc.variant, "--strategy", "pct", "--budget", "20", "--json", "--quiet"}
		code, serial, stderr := runCLI(args...)
		if code != tc.code {
			t.Fatalf("%v: exit %d, want %d: %s", args, code, tc.code, stderr)
		}
		var files []string
		for i := 3; i > 0; i-- {
			code, out, stderr := runCLI(append(args, "--shard", fmt.Sprintf("%d/3", i-1))...)
			if code != exitOK {
				t.Fatalf("shard %d/3: exit %d: %s", i-1, code, stderr)
			}
			f := filepath.Join(dir, fmt.Sprintf("%s-%d.json", tc.variant, i-1))
			if err := os.WriteFile(f, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		code, merged, stderr := runCLI(append([]string{"merge", "--json"}, files...)...)
		if code != tc.code {
			t.Fatalf("merge: exit %d, want %d: %s", code, tc.code, stderr)
		}
		want, wantExit := cellsOf(t, serial)
		got, gotExit := cellsOf(t, merged)
		if wantExit != gotExit {
			t.Fatalf("merge says exit %v, serial %v", gotExit, wantExit)
		}
		sameCells(t, tc.variant+": merged", want, got)
		if code, _, stderr := runCLI("merge", files[0], files[1]); code != exitUsage || !strings.Contains(stderr, "2 of 3 shards") {
			t.Fatalf("merge of 2 of 3 shards: exit %d: %s", code, stderr)
		}
	}
}

// The mutation matrix gives the same cells and exit code with --jobs 1
// and --jobs 4.
func TestMatrixSameWithJobs(t *testing.T) {
	base := []string{"explore", "--matrix", "--budget", "2", "--json", "--quiet"}
	code1, out1, stderr1 := runCLI(append(base, "--jobs", "1")...)
	code4, out4, stderr4 := runCLI(append(base, "--jobs", "4")...)
	if code1 != code4 {
		t.Fatalf("exit %d with --jobs 1 (%s), %d with --jobs 4 (%s)", code1, stderr1, code4, stderr4)
	}
	c1, _ := cellsOf(t, out1)
	c4, _ := cellsOf(t, out4)
	if len(c1) < 10 {
		t.Fatalf("%d matrix cells", len(c1))
	}
	sameCells(t, "--jobs 4", c1, c4)
}
