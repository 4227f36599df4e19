package scenario

import (
	"bytes"
	"slices"
	"testing"

	"iomaplab/check"
)

func TestHistoryAllowed(t *testing.T) {
	h := history{
		{start: 1, finish: 4, off: 0, end: 10, val: 'a'},  // a and b overlap in time
		{start: 2, finish: 6, off: 5, end: 15, val: 'b'},  //
		{start: 7, finish: 8, off: 12, end: 20, val: 'c'}, // c follows b entirely
		{start: 9, finish: 12, off: 18, end: 19, val: 0},  // a punch inside c's range, after it
	}
	for _, c := range []struct {
		b    int64
		want []byte
	}{
		{0, []byte("a")}, {5, []byte("ab")}, {9, []byte("ab")}, {10, []byte("b")},
		{12, []byte("c")}, {18, []byte{0}}, {19, []byte("c")}, {25, []byte{0}},
	} {
		got := h.allowed(c.b)
		slices.Sort(got)
		if !bytes.Equal(got, c.want) {
			t.Errorf("byte %d: %q, want %q", c.b, got, c.want)
		}
	}
}

// Overlapping concurrent writes are fine: the data oracle accepts whichever
// may have come last, and the schedules really do end differently.
func TestRunOverlappingWrites(t *testing.T) {
	sc := mustParse(t, head+"setup truncate f 16k\nthread a: pwrite f 0 8k fill=0x41\nthread b: pwrite f 4k 8k fill=0x42 ; map-store f 0 4k fill=0x43\n")
	outcomes := map[string]bool{}
	for seed := uint64(1); seed <= 30; seed++ {
		ft := &fakeTarget{}
		v := Run(sc, ft, controlled(seed))
		if v.Violated() || len(v.OpErrors) > 0 {
			t.Fatalf("seed %d: %v", seed, v)
		}
		outcomes[string(ft.last.files[0].data)] = true
	}
	if len(outcomes) < 2 {
		t.Errorf("every schedule ended alike (%d outcomes): the test proves nothing", len(outcomes))
	}
	// A wrong value is still caught.
	v := Run(mustParse(t, head+"setup fallocate f 0 16k\nthread a: pwrite f 0 8k fill=0x41 stall-at=4k\nthread b: await a.stalled ; sync-range f 8k 4k ; release a\nthread c: pwrite f 6k 4k fill=0x42\n"),
		&fakeTarget{bug: "stale-zero"}, controlled(1))
	if !v.Caught([]string{"data"}) {
		t.Fatalf("%v", v)
	}
}

// A store into a parked write's range past its stall-at happens before the
// write copies those bytes: only the write's value may remain there.
func TestRunWindowStoreIsOverwritten(t *testing.T) {
	sc := mustParse(t, head+"setup truncate f 64k\nthread w: pwrite f 0 64k fill=0x57 stall-at=32k\nthread m: await w.stalled ; map-store f 40k 4k fill=0x4d ; release w\n")
	for seed := uint64(1); seed <= 5; seed++ {
		if v := Run(sc, &fakeTarget{}, controlled(seed)); v.Violated() {
			t.Fatalf("seed %d: %v", seed, v)
		}
		v := Run(sc, &fakeTarget{bug: "lost-after-park"}, controlled(seed))
		if len(v.Violations) == 0 || v.Violations[0].Message != "f in the page cache: byte at offset 32768 (0x8000) is 0x00, expected 0x57" {
			t.Fatalf("seed %d: %v", seed, v)
		}
	}
	// The history the runner keeps for it: the write's bytes past 32k start
	// at the release, after the store finished.
	r := newRun(sc, &fakeTarget{})
	r.ref["f"] = new(check.RefFile)
	w := sc.Threads[0].Ops[0]
	r.apply("f", write{start: 2, finish: 3, off: 40 << 10, end: 44 << 10, val: 0x4d}, func() {})
	r.released["w"] = 4
	r.applyWrite("w", w, 1, 5, bytes.Repeat([]byte{0x57}, 64<<10))
	if got := r.hist["f"].allowed(41 << 10); !bytes.Equal(got, []byte{0x57}) {
		t.Errorf("allowed at 41k: %x", got)
	}
	if got := r.hist["f"].allowed(1 << 10); !bytes.Equal(got, []byte{0x57}) {
		t.Errorf("allowed at 1k: %x", got)
	}
	r.released["w"] = 0 // no release seen: the whole write overlaps the store
	r.hist["f"] = r.hist["f"][:1]
	r.applyWrite("w", w, 1, 5, bytes.Repeat([]byte{0x57}, 64<<10))
	if got := r.hist["f"].allowed(41 << 10); len(got) != 2 {
		t.Errorf("allowed at 41k without the split: %x", got)
	}
}
