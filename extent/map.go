package extent

import (
	"fmt"
	"iter"
	"sync/atomic"

	"github.com/google/btree"
)

// Map is one inode fork's in-core extent map (XFS: struct xfs_ifork's
// incore extent tree; ext4: the extent status tree). It stores Delalloc,
// Unwritten and Written extents keyed by file block; a hole is the absence of
// an extent. The map is kept canonical: stored extents are well formed,
// sorted, non-overlapping, and no two neighbours are Mergeable.
//
// Locking: Map has no lock of its own. The caller holds the fork's lock (the
// fs model's lab.RWMutex: XFS ILOCK, ext4 i_data_sem), shared for lookups and
// iteration, exclusive for mutators, for every method except Seq, which is
// the lockless READ_ONCE(ifp->if_seq) of an iomap validity check.
//
// Every mutator bumps the sequence counter exactly once if it changed the
// map's contents (the extents it maps, not how they are stored) and not at
// all otherwise (xfs_iext_inc_seq in xfs_iext_insert/remove/update_extent).
// A mutator invalidates every slice and iterator obtained before it.
//
// The zero Map is empty and ready to use.
type Map struct {
	tree     *btree.BTreeG[Extent] // by Start; nil until the first insert
	seq      atomic.Uint64         // if_seq: written under the fork lock, read locklessly
	delalloc uint64                // sum of Delalloc extent lengths
}

// Flag modifies one mutator call.
type Flag uint8

const (
	// NoSeqBump suppresses the sequence bump of the call that passes it. It
	// exists only for mutations: the lab's no-seq-bump-on-convert variant,
	// which drops xfs_iext_inc_seq from extent conversion, and the mutants
	// harness's noseq sites (package mutants); nothing else may pass it.
	NoSeqBump Flag = 1 << iota
)

func lessExtent(a, b Extent) bool { return a.Start < b.Start }

func key(fblk uint64) Extent { return Extent{Range: Range{fblk, fblk}} }

// NewMap returns an empty map (the same as a zero Map).
func NewMap() *Map { return &Map{} }

// Seq returns the fork's sequence counter: READ_ONCE(ifp->if_seq). Any
// goroutine may call it without the fork lock.
func (m *Map) Seq() uint64 { return m.seq.Load() }

// DelallocBlocks returns the number of file blocks mapped Delalloc, which
// must equal the fork's share of Space.Reserved when the fs is quiescent.
func (m *Map) DelallocBlocks() uint64 { return m.delalloc }

// Count returns the number of stored extents (holes not counted).
func (m *Map) Count() int {
	if m.tree == nil {
		return 0
	}
	return m.tree.Len()
}

// Clone returns an independent copy of m with the same contents and Seq
// (copy-on-write: cheap until either map changes).
func (m *Map) Clone() *Map {
	c := &Map{delalloc: m.delalloc}
	c.seq.Store(m.seq.Load())
	if m.tree != nil {
		c.tree = m.tree.Clone()
	}
	return c
}

// Lookup returns the extent containing file block fblk, or the hole that
// contains it: a Hole extent from the end of the previous extent (or 0) to
// the start of the next one (or MaxBlock). The caller trims the result to
// the range it cares about with Extent.Clip. (xfs_iext_lookup_extent, which
// returns the next extent and leaves the hole to the caller.)
//
// Preconditions: fblk < MaxBlock.
func (m *Map) Lookup(fblk uint64) Extent {
	if fblk >= MaxBlock {
		panic(fmt.Sprintf("extent: Lookup(%d) beyond MaxBlock", fblk))
	}
	hole := Extent{Range: Range{0, MaxBlock}}
	if m.tree == nil {
		return hole
	}
	var found Extent
	ok := false
	m.tree.DescendLessOrEqual(key(fblk), func(e Extent) bool {
		if e.Contains(fblk) {
			found, ok = e, true
		} else {
			hole.Start = e.End
		}
		return false
	})
	if ok {
		return found
	}
	m.tree.AscendGreaterOrEqual(key(fblk), func(e Extent) bool {
		hole.End = e.Start
		return false
	})
	return hole
}

// Walk returns an iterator over r in block order: every stored extent that
// overlaps r, and every hole between them, each clipped to r, together
// covering r exactly. The map must not change during the iteration.
//
// Preconditions: r.WellFormed().
func (m *Map) Walk(r Range) iter.Seq[Extent] {
	mustWellFormed(r)
	return func(yield func(Extent) bool) {
		pos := r.Start
		for _, e := range m.overlapping(r) {
			c := e.Clip(r)
			if pos < c.Start && !yield(Extent{Range: Range{pos, c.Start}}) {
				return
			}
			if !yield(c) {
				return
			}
			pos = c.End
		}
		if pos < r.End {
			yield(Extent{Range: Range{pos, r.End}})
		}
	}
}

// Extents returns the stored extents overlapping r, clipped to r, in order
// (no holes).
//
// Preconditions: r.WellFormed().
func (m *Map) Extents(r Range) []Extent {
	mustWellFormed(r)
	var out []Extent
	for _, e := range m.overlapping(r) {
		out = append(out, e.Clip(r))
	}
	return out
}

// All returns every stored extent in order.
func (m *Map) All() []Extent {
	var out []Extent
	if m.tree != nil {
		m.tree.Ascend(func(e Extent) bool {
			out = append(out, e)
			return true
		})
	}
	return out
}

// overlapping returns the stored extents that share a block with r, unclipped,
// in order.
func (m *Map) overlapping(r Range) []Extent { return Overlapping(m.tree, r, key) }

func (m *Map) bump(flags []Flag) {
	for _, f := range flags {
		if f&NoSeqBump != 0 {
			return
		}
	}
	//mutant:extent-seq-bump delete
	m.seq.Add(1)
}

func mustWellFormed(r Range) {
	if !r.WellFormed() {
		panic(fmt.Sprintf("extent: range %v not well formed", r))
	}
}
