package kernel

import (
	"encoding/json"
	"strings"
	"testing"

	"iomaplab/check"
	"iomaplab/vfs"
)

func TestPatternNamesWriterRunAndOffset(t *testing.T) {
	a := pattern('W', 1, 4096, 16)
	if string(a) == string(pattern('W', 2, 4096, 16)) || string(a) == string(pattern('P', 1, 4096, 16)) {
		t.Fatal("pattern does not depend on tag and run")
	}
	if string(pattern('W', 1, 4104, 8)) != string(a[8:]) {
		t.Fatal("pattern is not a function of the file offset")
	}
}

func TestModelAndRebuild(t *testing.T) {
	ops := []Op{
		{Kind: OpTruncate, Off: 64 * kib},
		{Kind: OpPwrite, Off: 0, Len: 8 * kib, Tag: 'P'},
		{Kind: OpFallocate, Mode: vfs.FallocPunch, Off: 4 * kib, Len: 4 * kib},
		{Kind: OpFallocate, Mode: vfs.FallocAllocate, Off: 60 * kib, Len: 8 * kib},
		{Kind: OpMapStore, Off: 12 * kib, Len: 4, Tag: 'M'},
		{Kind: OpSyncRangeWait},
	}
	ref := rebuild(ops, 3)
	if ref.Size() != 68*kib {
		t.Fatalf("size %d", ref.Size())
	}
	b := ref.Bytes()
	if string(b[:4*kib]) != string(pattern('P', 3, 0, 4*kib)) || !allZero(b[4*kib:8*kib]) ||
		string(b[12*kib:12*kib+4]) != string(pattern('M', 3, 12*kib, 4)) {
		t.Fatal("model content wrong")
	}
}

func TestCompareEither(t *testing.T) {
	a, b := &check.RefFile{}, &check.RefFile{}
	a.Write([]byte("aaaa"), 0)
	b.Write([]byte("abba"), 0)
	if m := compareEither(a, b, []byte("abaa")); m != nil {
		t.Fatalf("per-byte either rejected: %v", m)
	}
	if m := compareEither(a, b, []byte("acaa")); m == nil || m.Off != 1 {
		t.Fatalf("mismatch not found: %v", m)
	}
	if m := compareEither(a, nil, []byte("abaa")); m == nil {
		t.Fatal("without an alternative, the single model must hold")
	}
}

func TestExtentsStringAndUnbackedData(t *testing.T) {
	x := Extents{{Off: 0, Len: 64 * 1024, Flags: ExtentDelalloc}, {Off: 1 << 20, Len: 4096, Flags: ExtentLast}}
	if s := x.String(); s != "0+64k:delalloc 1m+4k:written" {
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

// The JSON document is a contract (docs/kernel-json.md): check its keys.
func TestReportJSONSchema(t *testing.T) {
	c := CellReport{Scenario: "s", FS: "xfs", Runs: 2, Parked: 2, Stale: true, DataVerified: 2}
	c.Evidence = &Evidence{Event: evInvalid, Hits: 1, Rate: 0.5, Expect: ">= 0.99"}
	c.judge(Config{Runs: 2, MinRate: 0.99})
	rep := Report{Kernel: "6.18", Runs: 2, MinRate: 0.99, Cells: []CellReport{c, {Scenario: "t", FS: "ext4", Runs: 2, Parked: 2, DataVerified: 2}}}
	rep.Cells[1].judge(Config{Runs: 2, MinRate: 0.99})
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
	if v := c0["violations"].([]any); len(v) != 1 || !strings.Contains(v[0].(string), "fired in 1 of 2 runs") {
		t.Errorf("violations %v", v)
	}
	c1 := cells[1].(map[string]any)
	if c1["evidence"] != nil || c1["ok"] != true {
		t.Errorf("ext4 cell: evidence must be null (n/a) and the cell ok: %v", c1)
	}
}
