package report

import (
	"errors"
	"strings"
	"testing"
	"time"

	"iomaplab/explore"
	"iomaplab/fsx"
	"iomaplab/kernel"
)

type envErr struct{}

func (envErr) Error() string     { return "host ENOSPC on the backing file" }
func (envErr) Environment() bool { return true }

type badErr struct{}

func (badErr) Error() string  { return "x.scn:3:1: unknown op\nmore" }
func (badErr) BadInput() bool { return true }

// TestExploreStatuses: each verdict maps to its status and kind, with and
// without --matrix; a matrix cell passes exactly when it matched.
func TestExploreStatuses(t *testing.T) {
	cells := []*explore.Cell{
		{Scenario: "a", Variant: "correct", Verdict: "clean", Expected: "clean", Match: true, Deterministic: true},
		{Scenario: "b", Variant: "no-validate", Verdict: "violation", Oracles: []string{"data"}, Expected: "catch", Match: true, Deterministic: true, Message: "stale data at 4096\nsecond line", Token: "tok", Diagram: "writer | syncer\n"},
		{Scenario: "c", Variant: "no-validate", Verdict: "clean", Expected: "catch", ExpectedOracles: []string{"data"}, Deterministic: true},
		{Scenario: "d", Variant: "correct", Verdict: "unreached", Expected: "clean", Deterministic: true, Message: "line 9: stale >= 1 held in 0 of 300 schedules"},
		{Scenario: "e", Variant: "correct", Verdict: "skipped", Expected: "clean", Match: true, Deterministic: true, Message: "needs reflink"},
		{Scenario: "f", Variant: "correct", Verdict: "error", Err: envErr{}, Message: "host ENOSPC", Deterministic: true},
		{Scenario: "g", Variant: "correct", Verdict: "scenario error", Err: badErr{}, Message: "deadlock in awaits", Deterministic: true},
		{Scenario: "h", Variant: "no-validate", Verdict: "violation", Oracles: []string{"data"}, Expected: "catch", Match: true, Deterministic: false, Message: "m"},
	}
	type want struct {
		st   Status
		kind string
	}
	for _, tc := range []struct {
		matrix bool
		want   []want
	}{
		{true, []want{{Passed, ""}, {Passed, ""}, {Failed, KindMismatch}, {Failed, KindUnreached}, {Skipped, ""}, {Errored, KindEnvironment}, {Errored, KindBadInput}, {Failed, KindNondetermism}, {Failed, KindMismatch}}},
		{false, []want{{Passed, ""}, {Failed, KindViolation}, {Passed, ""}, {Failed, KindUnreached}, {Skipped, ""}, {Errored, KindEnvironment}, {Errored, KindBadInput}, {Failed, KindNondetermism}}},
	} {
		s := Explore(cells, tc.matrix, []string{"wb-no-validate"}, explore.Defaults, time.Now())
		if len(s.Cases) != len(tc.want) {
			t.Fatalf("matrix %v: %d cases, want %d", tc.matrix, len(s.Cases), len(tc.want))
		}
		for i, w := range tc.want {
			if c := s.Cases[i]; c.Status != w.st || c.Kind != w.kind {
				t.Errorf("matrix %v: %s: %s %q, want %s %q", tc.matrix, c.Name, c.Status, c.Kind, w.st, w.kind)
			}
		}
		if s.OK() {
			t.Errorf("matrix %v: a suite with failures is OK", tc.matrix)
		}
	}
	s := Explore(cells[1:2], false, nil, explore.Defaults, time.Now())
	c := s.Cases[0]
	if c.Name != "b [no-validate]" || c.Message != "data: stale data at 4096" ||
		!strings.Contains(c.Detail, "writer | syncer") || !strings.Contains(c.Detail, "iomaplab replay tok") {
		t.Errorf("violation case: %+v", c)
	}
	if s := Explore(cells[:1], true, nil, explore.Defaults, time.Now()); !s.OK() || len(s.Cases) != 2 {
		t.Errorf("a matched matrix with full coverage: %+v", s)
	}
}

// TestKernelStatuses: a clean cell passes; stale evidence below the
// minimum rate fails as unreached; any other violation as a violation.
func TestKernelStatuses(t *testing.T) {
	ev := func(hits int) *kernel.Evidence {
		return &kernel.Evidence{Event: "xfs_iomap_invalid", Hits: hits, Rate: float64(hits) / 100, Expect: ">= 0.99"}
	}
	r := &kernel.Report{Kernel: "6.18.0", Runs: 100, MinRate: 0.99, Cells: []kernel.CellReport{
		{Scenario: "write-stale-unwritten", FS: "xfs", Runs: 100, Parked: 100, Evidence: ev(100), DataVerified: 100, OK: true},
		{Scenario: "write-stale-unwritten-large-folio", FS: "xfs", Runs: 100, Parked: 100, Evidence: ev(97), DataVerified: 100,
			Violations: []string{"x.scn:9:1: stale >= 1 held in 97 of 100 runs, expected a rate >= 0.99"}, WindowMisses: []string{"run 3: writeback did not complete"}},
		{Scenario: "write-hole-mkwrite", FS: "ext4", Runs: 100, Parked: 100, DataVerified: 99, Violations: []string{"data verified in 99 of 100 runs"}},
	}}
	s := Kernel(r, time.Now(), 12)
	want := []struct {
		name string
		st   Status
		kind string
	}{{"xfs/write-stale-unwritten", Passed, ""}, {"xfs/write-stale-unwritten-large-folio", Failed, KindUnreached}, {"ext4/write-hole-mkwrite", Failed, KindViolation}}
	for i, w := range want {
		if c := s.Cases[i]; c.Name != w.name || c.Status != w.st || c.Kind != w.kind {
			t.Errorf("case %d: %s %s %q, want %s %s %q", i, c.Name, c.Status, c.Kind, w.name, w.st, w.kind)
		}
	}
	if d := s.Cases[1].Detail; !strings.Contains(d, "window miss: run 3") {
		t.Errorf("unreached detail: %q", d)
	}
	if !strings.Contains(s.Cases[0].Output, "xfs_iomap_invalid in 100 of 100 runs") {
		t.Errorf("output: %q", s.Cases[0].Output)
	}
}

// TestFsxStatuses: a clean run passes with its counts; a failure fails
// with fsx's summary and report.
func TestFsxStatuses(t *testing.T) {
	opt := fsx.Defaults()
	res := &fsx.Result{Ops: 3, BytesVerified: 10}
	res.Counts[fsx.Write] = 2
	res.Counts[fsx.Read] = 1
	s := Fsx("model/xfs/correct seed=1", opt, res, time.Now(), 1)
	if c := s.Cases[0]; c.Status != Passed || !strings.Contains(c.Output, "write 2") {
		t.Errorf("clean run: %+v", c)
	}
	res.Failure = &fsx.Failure{Stage: "final check", File: 0, Off: 4096, DumpOff: 4096, Bad: 3, RangeLen: 8192, Expected: []byte{1, 2}, Actual: []byte{0, 0}}
	c := Fsx("x", opt, res, time.Now(), 1).Cases[0]
	if c.Status != Failed || c.Kind != KindViolation || !strings.Contains(c.Message, "bad data at offset 4096") || !strings.Contains(c.Detail, "FAIL:") {
		t.Errorf("failed run: %+v", c)
	}
}

// TestFromError: the kind follows the CLI's exit code: environment (also
// for an error that says nothing), bad input.
func TestFromError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		kind string
	}{
		{envErr{}, KindEnvironment},
		{badErr{}, KindBadInput},
		{errors.New("signal: interrupt"), KindEnvironment},
		{errors.Join(badErr{}, envErr{}), KindEnvironment},
	} {
		s := FromError("kernel", tc.err, 0)
		if c := s.Cases[0]; c.Status != Errored || c.Kind != tc.kind || strings.Contains(c.Message, "\n") {
			t.Errorf("%v: %+v, want kind %s", tc.err, c, tc.kind)
		}
	}
}
