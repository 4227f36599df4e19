package extent

import (
	"fmt"

	"github.com/google/btree"
)

// Set maps r = e.Range to e.State (and e.PBlk), replacing whatever r mapped,
// and returns the replaced stored pieces clipped to r, in order (holes
// omitted), so the caller can free their blocks or release their
// reservations. A Hole e removes r, as Remove does. Neighbours are split and
// merged so the map stays canonical:
//
//	before:  [0          8 written@100)   [10 12 delalloc)
//	Set([2, 11) unwritten@50):
//	   split  [0 2 written@100) | [2 8 ...) replaced | hole [8,10) | [10 11 ...) replaced | [11 12 delalloc)
//	after:   [0 2 written@100)[2        11 unwritten@50)[11 12 delalloc)
//	returns  [2 8 written@102), [10 11 delalloc)
//
//	Set([2, 4) written@102) on [0 2 written@100)[4 6 written@104):
//	after:   [0                6 written@100)   (both neighbours merge)
//
// The sequence counter is bumped once if the contents changed; setting r to
// what it already maps changes nothing and returns nothing.
//
// Preconditions: e.Range is well formed and not empty; a Delalloc e has
// PBlk 0; the caller holds the fork lock exclusively.
func (m *Map) Set(e Extent, flags ...Flag) []Extent {
	if e.State == Hole {
		return m.Remove(e.Range, flags...)
	}
	if !e.wellFormed() {
		panic(fmt.Sprintf("extent: Set(%v): not a well-formed extent", e))
	}
	if cur := m.overlapping(e.Range); len(cur) == 1 && cur[0].Clip(e.Range) == e {
		return nil
	}
	old := m.punch(e.Range)
	m.insertMerged(e)
	m.bump(flags)
	m.checkInvariants("Set")
	return old
}

// Remove unmaps r (punch: xfs_bmap_del_extent_*) and returns the removed
// pieces clipped to r, in order. A piece cut from the middle of an extent
// leaves both ends in place:
//
//	before:  [0               10 written@100)
//	Remove([3, 5)):
//	after:   [0 3 written@100)     [5 10 written@105)
//	returns  [3 5 written@103)
//
// The sequence counter is bumped once if anything was removed.
//
// Preconditions: r.WellFormed(); the caller holds the fork lock exclusively.
func (m *Map) Remove(r Range, flags ...Flag) []Extent {
	mustWellFormed(r)
	old := m.punch(r)
	if len(old) > 0 {
		m.bump(flags)
	}
	m.checkInvariants("Remove")
	return old
}

// Convert changes every piece of r that is in state from to state to, and
// leaves the rest of r (holes, other states) alone; it returns the converted
// pieces in their new state, in order. The conversions are:
//
//   - Delalloc to Written or Unwritten (xfs_bmapi_convert_delalloc): file
//     block r.Start+i gets physical block pblk+i, so pblk names the physical
//     start of the whole of r; the caller allocated r.Len() blocks there.
//   - Unwritten to Written (I/O completion: xfs_iomap_write_unwritten) and
//     Written to Unwritten: the physical blocks stay; pblk must be 0.
//
// Converted pieces merge with their neighbours:
//
//	before:  [0 4 written@100)[4 8 unwritten@104)[8 12 unwritten@300)
//	Convert([4, 10), Unwritten, Written, 0):
//	after:   [0          8 written@100)[8 10 written@300)[10 12 unwritten@302)
//	returns  [4 8 written@104), [8 10 written@300)
//
// The sequence counter is bumped once if any piece was converted, unless
// flags hold NoSeqBump (the no-seq-bump-on-convert mutation).
//
// Preconditions: r.WellFormed(); the conversion is one of those above; the
// caller holds the fork lock exclusively.
func (m *Map) Convert(r Range, from, to State, pblk uint64, flags ...Flag) []Extent {
	mustWellFormed(r)
	switch {
	case from == Delalloc && to.Physical():
		if pblk+r.Len() < pblk {
			panic(fmt.Sprintf("extent: Convert(%v, delalloc, %v, %d): physical range wraps", r, to, pblk))
		}
	case from.Physical() && to.Physical() && from != to:
		if pblk != 0 {
			panic(fmt.Sprintf("extent: Convert(%v, %v, %v, %d): pblk must be 0", r, from, to, pblk))
		}
	default:
		panic(fmt.Sprintf("extent: Convert(%v, %v, %v): not a conversion", r, from, to))
	}
	var pieces []Extent
	for _, e := range m.overlapping(r) {
		if e.State == from {
			pieces = append(pieces, e.Clip(r))
		}
	}
	for i, p := range pieces {
		m.punch(p.Range)
		p.State = to
		if from == Delalloc {
			p.PBlk = pblk + (p.Start - r.Start)
		}
		m.insertMerged(p)
		pieces[i] = p
	}
	if len(pieces) > 0 {
		m.bump(flags)
	}
	m.checkInvariants("Convert")
	return pieces
}

// checkInvariants panics after a mutation that broke the map, when built
// with -tags invariants.
func (m *Map) checkInvariants(op string) {
	if !invariants {
		return
	}
	if err := m.Verify(); err != nil {
		panic(fmt.Sprintf("extent: %s broke the map: %v\n%v", op, err, m))
	}
}

// punch deletes r from the tree, reinserting the parts of extents that stick
// out of r, and returns the deleted pieces clipped to r. It does not bump.
func (m *Map) punch(r Range) []Extent {
	cur := m.overlapping(r)
	old := make([]Extent, 0, len(cur))
	for _, e := range cur {
		m.tree.Delete(e)
		m.account(e, -1)
		c := e.Clip(r)
		old = append(old, c)
		if e.Start < r.Start {
			m.insert(e.Clip(Range{e.Start, r.Start}))
		}
		if e.End > r.End {
			m.insert(e.Clip(Range{r.End, e.End}))
		}
	}
	return old
}

// insertMerged inserts e into a gap of the tree, merging it with the extent
// ending at e.Start and the one starting at e.End where Mergeable.
func (m *Map) insertMerged(e Extent) {
	if m.tree != nil {
		var l Extent
		found := false
		m.tree.DescendLessOrEqual(key(e.Start), func(x Extent) bool {
			l, found = x, true
			return false
		})
		if found && l.Mergeable(e) {
			m.tree.Delete(l)
			m.account(l, -1)
			e = Extent{Range: Range{l.Start, e.End}, State: e.State, PBlk: l.PBlk}
		}
		if r, ok := m.tree.Get(key(e.End)); ok && e.Mergeable(r) {
			m.tree.Delete(r)
			m.account(r, -1)
			e.End = r.End
		}
	}
	m.insert(e)
}

func (m *Map) insert(e Extent) {
	if m.tree == nil {
		m.tree = btree.NewG(16, lessExtent)
	}
	if _, dup := m.tree.ReplaceOrInsert(e); dup {
		panic(fmt.Sprintf("extent: internal: insert %v over an extent with the same start", e))
	}
	m.account(e, 1)
}

func (m *Map) account(e Extent, sign int) {
	if e.State != Delalloc {
		return
	}
	if sign > 0 {
		m.delalloc += e.Len()
	} else {
		m.delalloc -= e.Len()
	}
}
