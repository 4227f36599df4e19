package extent

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"
)

// modelBlocks is the size of the naive model's file: small, so random ranges
// collide often.
const modelBlocks = 48

// cell is one file block of the naive model.
type cell struct {
	st   State
	pblk uint64
}

// mapMachine checks Map against a per-block array. Physical blocks are always
// base+fblk for a base in physBases, so a physical block never backs two file
// blocks and neighbours are contiguous exactly when they share a base.
type mapMachine struct {
	m     *Map
	model [modelBlocks]cell
	log   []string
}

var physBases = []uint64{1000, 2000, 3000}

func (mm *mapMachine) genRange(t *rapid.T) Range {
	s := rapid.Uint64Range(0, modelBlocks-1).Draw(t, "start")
	e := rapid.Uint64Range(s+1, modelBlocks).Draw(t, "end")
	return Range{s, e}
}

// mutate runs op, checks its result against want (the pieces it must return,
// expanded per block) and checks the sequence bump against the model change.
func (mm *mapMachine) mutate(t *rapid.T, desc string, noBump bool, next [modelBlocks]cell, op func() []Extent, want map[uint64]cell) {
	mm.log = append(mm.log, desc)
	seq := mm.m.Seq()
	got := op()
	changed := next != mm.model
	mm.model = next
	wantBump := uint64(0)
	if changed && !noBump {
		wantBump = 1
	}
	if d := mm.m.Seq() - seq; d != wantBump {
		t.Fatalf("%s: seq bumped by %d, want %d (changed=%v)\n%v", desc, d, wantBump, changed, mm.m)
	}
	gotCells := map[uint64]cell{}
	prevEnd := uint64(0)
	for i, e := range got {
		if e.State == Hole || e.Empty() || (i > 0 && e.Start < prevEnd) {
			t.Fatalf("%s: returned pieces malformed or unordered: %v", desc, got)
		}
		prevEnd = e.End
		for f := e.Start; f < e.End; f++ {
			c := cell{st: e.State}
			if e.State.Physical() {
				c.pblk = e.PhysAt(f)
			}
			gotCells[f] = c
		}
	}
	if fmt.Sprint(gotCells) != fmt.Sprint(want) {
		t.Fatalf("%s: returned %v, want per-block %v", desc, got, want)
	}
}

func (mm *mapMachine) Set(t *rapid.T) {
	r := mm.genRange(t)
	st := State(rapid.IntRange(0, 3).Draw(t, "state"))
	e := Extent{Range: r, State: st}
	if st.Physical() {
		e.PBlk = rapid.SampledFrom(physBases).Draw(t, "base") + r.Start
	}
	next := mm.model
	old := map[uint64]cell{}
	for f := r.Start; f < r.End; f++ {
		if c := mm.model[f]; c.st != Hole {
			old[f] = c
		}
		next[f] = cell{st, 0}
		if st.Physical() {
			next[f].pblk = e.PBlk + f - r.Start
		}
	}
	if next == mm.model {
		old = map[uint64]cell{} // no change: nothing is returned
	}
	mm.mutate(t, fmt.Sprintf("Set(%v)", e), false, next, func() []Extent { return mm.m.Set(e) }, old)
}

func (mm *mapMachine) Remove(t *rapid.T) {
	r := mm.genRange(t)
	next := mm.model
	old := map[uint64]cell{}
	for f := r.Start; f < r.End; f++ {
		if c := mm.model[f]; c.st != Hole {
			old[f] = c
		}
		next[f] = cell{}
	}
	mm.mutate(t, fmt.Sprintf("Remove(%v)", r), false, next, func() []Extent { return mm.m.Remove(r) }, old)
}

var conversions = [][2]State{
	{Delalloc, Written}, {Delalloc, Unwritten}, {Unwritten, Written}, {Written, Unwritten},
}

func (mm *mapMachine) convert(t *rapid.T, noBump bool) {
	r := mm.genRange(t)
	cv := rapid.SampledFrom(conversions).Draw(t, "conversion")
	var pblk uint64
	if cv[0] == Delalloc {
		pblk = rapid.SampledFrom(physBases).Draw(t, "base") + r.Start
	}
	next := mm.model
	conv := map[uint64]cell{}
	for f := r.Start; f < r.End; f++ {
		c := mm.model[f]
		if c.st != cv[0] {
			continue
		}
		c.st = cv[1]
		if cv[0] == Delalloc {
			c.pblk = pblk + f - r.Start
		}
		next[f] = c
		conv[f] = c
	}
	var flags []Flag
	if noBump {
		flags = append(flags, NoSeqBump)
	}
	desc := fmt.Sprintf("Convert(%v, %v, %v, %d, noBump=%v)", r, cv[0], cv[1], pblk, noBump)
	mm.mutate(t, desc, noBump, next, func() []Extent { return mm.m.Convert(r, cv[0], cv[1], pblk, flags...) }, conv)
}

func (mm *mapMachine) Convert(t *rapid.T) { mm.convert(t, false) }

func (mm *mapMachine) ConvertNoSeqBump(t *rapid.T) { mm.convert(t, true) }

// canonical is the extent (or hole) of the model containing f, maximal.
func (mm *mapMachine) canonical(f uint64) Extent {
	joins := func(a, b uint64) bool { // blocks a and a+1 == b belong together
		ca, cb := mm.model[a], mm.model[b]
		if ca.st != cb.st {
			return false
		}
		return !ca.st.Physical() || ca.pblk+1 == cb.pblk
	}
	s, e := f, f+1
	for s > 0 && joins(s-1, s) {
		s--
	}
	for e < modelBlocks && joins(e-1, e) {
		e++
	}
	c := mm.model[f]
	if c.st == Hole && e == modelBlocks {
		e = MaxBlock
	}
	x := Extent{Range: Range{s, e}, State: c.st}
	if c.st.Physical() {
		x.PBlk = c.pblk - (f - s)
	}
	return x
}

func (mm *mapMachine) Lookup(t *rapid.T) {
	f := rapid.Uint64Range(0, modelBlocks).Draw(t, "fblk")
	got := mm.m.Lookup(f)
	var want Extent
	if f == modelBlocks {
		want = mm.canonical(f - 1)
		if want.State != Hole {
			want = Extent{Range: Range{modelBlocks, MaxBlock}}
		}
	} else {
		want = mm.canonical(f)
	}
	if got != want {
		t.Fatalf("Lookup(%d) = %v, want %v\n%v", f, got, want, mm.m)
	}
}

func (mm *mapMachine) Walk(t *rapid.T) {
	r := mm.genRange(t)
	pos := r.Start
	var prev Extent
	for e := range mm.m.Walk(r) {
		if e.Start != pos || e.Empty() || e.End > r.End {
			t.Fatalf("Walk(%v): piece %v does not continue at %d", r, e, pos)
		}
		if pos > r.Start && (prev.Mergeable(e) || (prev.State == Hole && e.State == Hole)) {
			t.Fatalf("Walk(%v): pieces %v and %v should be one", r, prev, e)
		}
		for f := e.Start; f < e.End; f++ {
			c := mm.model[f]
			if c.st != e.State || (c.st.Physical() && c.pblk != e.PhysAt(f)) {
				t.Fatalf("Walk(%v): block %d in %v, model has %v@%d", r, f, e, c.st, c.pblk)
			}
		}
		pos, prev = e.End, e
	}
	if pos != r.End {
		t.Fatalf("Walk(%v) stopped at %d", r, pos)
	}
}

func (mm *mapMachine) Check(t *rapid.T) {
	if err := mm.m.Verify(); err != nil {
		t.Fatalf("after %v: Verify: %v\n%v", mm.log, err, mm.m)
	}
	var want []Extent
	var delalloc uint64
	for f := uint64(0); f < modelBlocks; {
		e := mm.canonical(f)
		if e.State != Hole {
			want = append(want, e)
		}
		if e.State == Delalloc {
			delalloc += e.Len()
		}
		f = e.End
	}
	if got := mm.m.All(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after %v:\nextents %v\nwant    %v", mm.log, got, want)
	}
	if got := mm.m.DelallocBlocks(); got != delalloc {
		t.Fatalf("DelallocBlocks = %d, want %d", got, delalloc)
	}
}

// TestMapModel runs random operation sequences on a Map and a naive per-block
// model; rapid prints the failing sequence and a seed to replay it
// (go test -run TestMapModel -rapid.seed=N).
func TestMapModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		mm := &mapMachine{m: new(Map)} // the zero Map must work
		t.Repeat(rapid.StateMachineActions(mm))
	})
}
