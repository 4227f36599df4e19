package scenario

import (
	"strings"
	"testing"

	"iomaplab/lab"
)

func controlled(seed uint64) lab.Config {
	s := lab.NewRandom(seed)
	s.NewSchedule()
	return lab.Config{Controlled: true, Strategy: s}
}

func mustParse(t *testing.T, src string) *Scenario {
	t.Helper()
	sc, err := Parse("t.scn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func mustLookup(t *testing.T, name string) *Scenario {
	t.Helper()
	sc, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// Every catalogue scenario runs as written on the (correct) fake: its ops
// are legal, its stalls are released, nothing fires.
func TestRunCatalogueOnFake(t *testing.T) {
	list, err := List()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range list {
		for seed := uint64(1); seed <= 5; seed++ {
			v := Run(sc, &fakeTarget{}, controlled(seed))
			if v.Violated() || len(v.OpErrors) > 0 || len(v.Unchecked) > 0 || !v.Result.OK() {
				t.Errorf("seed %d: %v", seed, v)
			}
		}
	}
}

func TestRunDirectedEvidence(t *testing.T) {
	sc := mustLookup(t, "write-stale-unwritten")
	for seed := uint64(1); seed <= 20; seed++ {
		v := Run(sc, &fakeTarget{}, controlled(seed))
		if v.Violated() || !v.EvidenceMet() || len(v.Evidence) != 1 || v.Evidence[0].Got < 1 {
			t.Fatalf("seed %d: %v", seed, v)
		}
	}
}

// The stall makes the window certain: the planted stale-map bug is caught
// by the data oracle on every schedule.
func TestRunCatchesData(t *testing.T) {
	sc := mustLookup(t, "write-stale-unwritten")
	for seed := uint64(1); seed <= 20; seed++ {
		v := Run(sc, &fakeTarget{bug: "stale-zero"}, controlled(seed))
		cell, oracles := sc.Expected("no-validate")
		if cell != MustCatch || !v.Caught(oracles) || strings.Join(v.Fired(), ",") != "data" {
			t.Fatalf("seed %d: %v", seed, v)
		}
		if !strings.Contains(v.Violations[0].Message, "f in the page cache: byte at offset") {
			t.Errorf("message: %s", v.Violations[0].Message)
		}
	}
}

func TestRunDataAfterRemountOnly(t *testing.T) {
	sc := mustParse(t, head+"thread a: pwrite f 0 8k fill=0x41\n")
	v := Run(sc, &fakeTarget{bug: "lose-unsynced"}, controlled(1))
	if len(v.Violations) != 1 || v.Violations[0].Oracle != "data" || !strings.Contains(v.Violations[0].Message, "after remount: size 0, expected 8192") {
		t.Fatalf("%v", v)
	}
}

// A map-store lands in [0, 4k) while the pwrite that wrote it first is
// parked: either byte is allowed there, in the page cache and after a
// remount alike. A remount that brings back the pwrite's bytes passes each
// check alone and fails the byte-for-byte cross-check; without the bug the
// views agree on every schedule.
func TestRunDataViewsMustAgree(t *testing.T) {
	sc := mustParse(t, head+"setup truncate f 8k\nthread a: pwrite f 0 8k fill=0x41 stall-at=4k\n"+
		"thread b: await a.stalled ; map-store f 0 4k fill=0x42 ; release a\n")
	for seed := uint64(1); seed <= 10; seed++ {
		if v := Run(sc, &fakeTarget{}, controlled(seed)); v.Violated() {
			t.Fatalf("seed %d, correct: %v", seed, v)
		}
		v := Run(sc, &fakeTarget{bug: "first-write-sticks"}, controlled(seed))
		if len(v.Violations) != 1 || v.Violations[0].Oracle != "data" ||
			v.Violations[0].Message != "f after remount: byte at offset 0 (0x0) is 0x41 after remount, 0x42 in the page cache" {
			t.Fatalf("seed %d: %v", seed, v)
		}
	}
}

func TestRunEngineFailIsClassified(t *testing.T) {
	sc := mustLookup(t, "writeback-stale-punch")
	v := Run(sc, &fakeTarget{bug: "ownership"}, controlled(3))
	if v.Result.Outcome != lab.Failed || strings.Join(v.Fired(), ",") != "ownership" || !v.Caught([]string{"ownership"}) {
		t.Fatalf("%v", v)
	}
}

func TestRunTargetCheck(t *testing.T) {
	v := Run(mustLookup(t, "zero-range-dirty-unwritten"), &fakeTarget{bug: "fsck"}, controlled(1))
	if strings.Join(v.Fired(), ",") != "fsck" {
		t.Fatalf("%v", v)
	}
}

func TestRunSkipped(t *testing.T) {
	v := Run(mustLookup(t, "ext4-mkwrite-fallocate"), &fakeTarget{types: []string{"xfs"}}, controlled(1))
	if v.Skipped != "needs the ext4 model" || v.Result != nil || v.Violated() {
		t.Fatalf("%v", v)
	}
	if !strings.Contains(v.String(), "skipped: needs the ext4 model") {
		t.Errorf("%s", v)
	}
}

func TestRunUnsupportedOpSkips(t *testing.T) {
	sc := mustParse(t, "scenario t\nfs ext4\nthread a: pwrite f 0 1 ; drop-caches\n")
	v := Run(sc, &fakeTarget{}, controlled(1))
	if v.Skipped != "drop-caches is not supported by this target (line 3)" || v.Violated() || v.Result == nil {
		t.Fatalf("%v", v)
	}
}

func TestRunOpErrors(t *testing.T) {
	v := Run(mustParse(t, head+"thread a: map-store f 0 1\n"), &fakeTarget{}, controlled(1))
	if len(v.OpErrors) != 1 || v.Violated() || !strings.Contains(v.OpErrors[0].Error(), "line 3: map-store in a: ") {
		t.Fatalf("%v", v)
	}
	v = Run(mustParse(t, head+"thread a: map-store f 0 1 may-fail\n"), &fakeTarget{}, controlled(1))
	if len(v.OpErrors) != 0 || v.Violated() {
		t.Fatalf("%v", v)
	}
	// A failed setup stops the run before the threads.
	v = Run(mustParse(t, head+"setup map-store f 0 1\nthread a: pwrite f 0 1\n"), &fakeTarget{}, controlled(1))
	if len(v.OpErrors) != 1 || v.OpErrors[0].Thread != "main" {
		t.Fatalf("%v", v)
	}
}

func TestRunEvidenceUnmetIsNotAViolation(t *testing.T) {
	sc := mustParse(t, head+"thread a: pwrite f 0 8k\nexpect data ; stale >= 100 ; reachable == 0 ; trace da_release < 1\n")
	v := Run(sc, &fakeTarget{}, controlled(1))
	if v.Violated() || v.EvidenceMet() || len(v.Evidence) != 3 || len(v.Unreached()) != 1 || v.Unreached()[0].Evidence != "stale" {
		t.Fatalf("%v", v)
	}
	if e := v.Evidence; e[0].Met || !e[1].Met || !e[1].Known || !e[2].Met {
		t.Errorf("%+v", e)
	}
	if !strings.Contains(v.String(), "evidence stale >= 100: 0 (NOT met)") {
		t.Errorf("%s", v)
	}
}

// A run is a function of its decisions: replaying them gives the same trace.
func TestRunReplay(t *testing.T) {
	sc := mustLookup(t, "explore-write-punch-writeback")
	for seed := uint64(1); seed <= 10; seed++ {
		v := Run(sc, &fakeTarget{}, controlled(seed))
		r := lab.NewReplay(v.Result.Decisions)
		r.NewSchedule()
		w := Run(sc, &fakeTarget{}, lab.Config{Controlled: true, Strategy: r})
		if v.Result.Trace.Hash() != w.Result.Trace.Hash() || !w.Result.OK() {
			t.Fatalf("seed %d: replay diverged: %v / %v", seed, v, w)
		}
	}
}

// Free worlds run the same scenarios with real goroutines (go test -race).
func TestRunFree(t *testing.T) {
	for _, name := range []string{"write-stale-unwritten", "explore-write-punch-writeback", "ext4-mkwrite-fallocate"} {
		for range 5 {
			v := Run(mustLookup(t, name), &fakeTarget{}, lab.Config{})
			if v.Violated() || len(v.OpErrors) > 0 {
				t.Fatalf("%s: %v", name, v)
			}
		}
	}
}

// In a free world a thread an engine oracle stops must not leave the main
// thread waiting for it: the run returns, with the failure classified.
func TestRunFreeWorldThreadFailReturns(t *testing.T) {
	sc := mustLookup(t, "writeback-stale-punch")
	v := Run(sc, &fakeTarget{bug: "ownership"}, lab.Config{})
	if v.Result.Outcome != lab.Failed || !v.Caught([]string{"ownership"}) {
		t.Fatalf("%v", v)
	}
}
