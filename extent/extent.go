package extent

import "fmt"

// State is what a file block range is backed by (XFS: the bmbt record's
// startblock/state; ext4: the extent status).
type State uint8

const (
	// Hole: no backing. Holes are never stored; lookups synthesise them.
	Hole State = iota
	// Delalloc: space reserved (Space.Reserve) but no physical block chosen
	// yet; writeback allocates it (xfs_bmapi_convert_delalloc).
	Delalloc
	// Unwritten: physical blocks allocated (PBlk valid) that read as zeroes
	// until written and converted (fallocate, XFS's ioend conversion).
	Unwritten
	// Written: physical blocks holding the file's data (PBlk valid).
	Written
)

func (s State) String() string {
	switch s {
	case Hole:
		return "hole"
	case Delalloc:
		return "delalloc"
	case Unwritten:
		return "unwritten"
	case Written:
		return "written"
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// Physical reports whether extents of state s map physical blocks.
func (s State) Physical() bool { return s == Unwritten || s == Written }

// Extent maps the file blocks Range to State; for Unwritten and Written
// extents file block Start is physical block PBlk, Start+1 is PBlk+1, and so
// on. PBlk is 0 for Hole and Delalloc extents.
type Extent struct {
	Range
	State State
	PBlk  uint64
}

// PhysAt returns the physical block that backs file block fblk.
//
// Preconditions: e.State.Physical(), e.Contains(fblk).
func (e Extent) PhysAt(fblk uint64) uint64 {
	if !e.State.Physical() || !e.Contains(fblk) {
		panic(fmt.Sprintf("extent: PhysAt(%d) of %v", fblk, e))
	}
	return e.PBlk + (fblk - e.Start)
}

// PhysRange returns the physical blocks of e.
//
// Preconditions: e.State.Physical().
func (e Extent) PhysRange() Range {
	if !e.State.Physical() {
		panic(fmt.Sprintf("extent: PhysRange of %v", e))
	}
	return Range{e.PBlk, e.PBlk + e.Len()}
}

// Clip returns the part of e inside r, PBlk adjusted. The result is empty
// when they do not overlap.
func (e Extent) Clip(r Range) Extent {
	c := Extent{Range: e.Intersect(r), State: e.State}
	if e.State.Physical() {
		c.PBlk = e.PBlk + (c.Start - e.Start)
	}
	return c
}

// Mergeable reports whether next, which starts where e ends, can join e into
// one extent: same state and, for physical states, physically contiguous.
func (e Extent) Mergeable(next Extent) bool {
	if e.End != next.Start || e.State != next.State || e.State == Hole {
		return false
	}
	return !e.State.Physical() || e.PBlk+e.Len() == next.PBlk
}

// wellFormed reports whether e could be stored in a Map.
func (e Extent) wellFormed() bool {
	if !e.Range.WellFormed() || e.Empty() {
		return false
	}
	switch e.State {
	case Delalloc:
		return e.PBlk == 0
	case Unwritten, Written:
		return e.PBlk+e.Len() >= e.PBlk // no wraparound
	}
	return false
}

func (e Extent) String() string {
	if e.State.Physical() {
		return fmt.Sprintf("%v %v@%d", e.Range, e.State, e.PBlk)
	}
	return fmt.Sprintf("%v %v", e.Range, e.State)
}
