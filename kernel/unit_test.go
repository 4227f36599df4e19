package kernel

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestExtentsStringAndUnbackedData(t *testing.T) {
	x := Extents{{Off: 0, Len: 64 * 1024, Flags: ExtentDelalloc}, {Off: 1 << 20, Len: 4096, Flags: ExtentLast}}
	if s := x.String(); s != "0+64k:delalloc 1M+4k:written" {
		t.Fatalf("String = %q", s)
	}
	want := make([]byte, 2<<20)
	want[1<<20] = 1
	if off := unbackedData(x, want, 4096); off != -1 {
		t.Fatalf("written block reported unbacked at %d", off)
	}
	want[100] = 1
	if off := unbackedData(x, want, 4096); off != 0 {
		t.Fatalf("data under delalloc not reported: %d", off)
	}
	want[100], want[8192] = 0, 0
	want[300<<10] = 7
	if off := unbackedData(x, want, 4096); off != 300<<10 {
		t.Fatalf("data in a hole not reported: %d", off)
	}
}

func TestSignature(t *testing.T) {
	h := make([]byte, 1<<20)
	if signature(h) != "" || !allZero(h) {
		t.Fatal("zero head has a signature")
	}
	copy(h[65536+64:], "_BHRfS_M")
	if s := signature(h); !strings.Contains(s, "btrfs") {
		t.Fatalf("btrfs not recognised: %q", s)
	}
	h2 := make([]byte, 2048)
	h2[1080], h2[1081] = 0x53, 0xef
	if s := signature(h2); !strings.Contains(s, "ext") {
		t.Fatalf("ext4 not recognised: %q", s)
	}
}

// The JSON document is a contract (docs/kernel-json.md): check its keys,
// and that a directed cell below the evidence rate fails while a cell
// without a tracepoint (n/a) does not.
func TestReportJSONSchema(t *testing.T) {
	sc := parseScn(t, "scenario s\nfs xfs\nsetup truncate f 1M\n"+
		"thread writer: pwrite f 0 64k stall-at=32k\nthread syncer: await writer.stalled ; fsync f ; release writer\n"+
		"expect data ; stale >= 1\n")
	cfg := ScenarioConfig{Runs: 2, MinRate: 0.99}
	xfs := &ScenarioTarget{fsType: "xfs", env: &ScenarioEnv{have: map[string]bool{evInvalid: true}}}
	ext4 := &ScenarioTarget{fsType: "ext4", env: xfs.env}
	c := CellReport{Scenario: "s", FS: "xfs", Runs: 2, Parked: 2, Stale: true, DataVerified: 2}
	c.Evidence = &Evidence{Event: evInvalid, Hits: 1, Rate: 0.5, Expect: ">= 0.99"}
	c.judgeScenario(xfs, sc, cfg, []int{2, 1})
	rep := Report{Kernel: "6.18", Runs: 2, MinRate: 0.99, Cells: []CellReport{c, {Scenario: "s", FS: "ext4", Runs: 2, Parked: 2, DataVerified: 2}}}
	rep.Cells[1].judgeScenario(ext4, sc, cfg, []int{2, 0})
	rep.finish()
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	json.Unmarshal(b, &doc)
	for _, k := range []string{"kernel", "runs_per_cell", "undirected", "min_evidence_rate", "cells", "ok"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("top-level key %q missing", k)
		}
	}
	cells := doc["cells"].([]any)
	c0 := cells[0].(map[string]any)
	for _, k := range []string{"scenario", "fs", "runs", "parked", "stale", "evidence", "data_verified", "remount_verified",
		"kernel_log_clean", "median_ms", "iomap_iter_events", "wb_invalid_events", "extents_before", "extents_after", "violations", "ok"} {
		if _, ok := c0[k]; !ok {
			t.Errorf("cell key %q missing", k)
		}
	}
	if doc["ok"] != false || c0["ok"] != false {
		t.Error("an evidence rate of 0.5 against >= 0.99 must fail")
	}
	if v := c0["violations"].([]any); len(v) != 1 || !strings.Contains(v[0].(string), "t.scn:6:15: stale >= 1 held in 1 of 2 runs") {
		t.Errorf("violations %v", v)
	}
	c1 := cells[1].(map[string]any)
	if c1["evidence"] != nil || c1["ok"] != true {
		t.Errorf("ext4 cell: evidence must be null (n/a) and the cell ok: %v", c1)
	}
}
