package extent

import (
	"fmt"

	"github.com/google/btree"
)

// RefRec is one record of the reference-count tree: every physical block of
// Range is mapped by Count file blocks (XFS struct xfs_refcount_irec).
type RefRec struct {
	Range
	Count uint64
}

func (r RefRec) String() string { return fmt.Sprintf("%v x%d", r.Range, r.Count) }

// Refcounts is the reference-count tree of shared physical blocks (XFS's
// refcount btree): records only for blocks mapped more than once, so an
// allocated block without a record has refcount 1. Records are disjoint,
// sorted and canonical (no two neighbours that touch have the same count).
// It has no lock: Space guards it.
type Refcounts struct {
	tree *btree.BTreeG[RefRec] // by Start; nil until the first record
}

func refKey(b uint64) RefRec { return RefRec{Range: Range{b, b}} }

// overlapping returns the records sharing a block with r, unclipped, in order.
func (rc *Refcounts) overlapping(r Range) []RefRec { return Overlapping(rc.tree, r, refKey) }

// Get returns the records overlapping r, clipped to r, in order.
func (rc *Refcounts) Get(r Range) []RefRec {
	var out []RefRec
	for _, x := range rc.overlapping(r) {
		out = append(out, RefRec{Range: x.Intersect(r), Count: x.Count})
	}
	return out
}

// All returns every record in order.
func (rc *Refcounts) All() []RefRec {
	var out []RefRec
	if rc.tree != nil {
		rc.tree.Ascend(func(x RefRec) bool {
			out = append(out, x)
			return true
		})
	}
	return out
}

// adjust adds delta (+1 or -1) to the refcount of every block of r, whose
// blocks are all allocated, and returns the pieces of r whose count went
// from 1 to 0 (xfs_refcount_adjust; a decrease that frees blocks is
// xfs_refcount_decrease_extent's job of queueing the free).
func (rc *Refcounts) adjust(r Range, delta int) (freed []Range) {
	old := rc.overlapping(r)
	for _, x := range old {
		rc.tree.Delete(x)
		if x.Start < r.Start {
			rc.put(RefRec{Range: Range{x.Start, r.Start}, Count: x.Count})
		}
		if x.End > r.End {
			rc.put(RefRec{Range: Range{r.End, x.End}, Count: x.Count})
		}
	}
	pos := r.Start
	seg := func(s Range, count uint64) {
		if s.Empty() {
			return
		}
		n := count + 1
		if delta < 0 {
			n = count - 1
		}
		switch {
		case n == 0:
			freed = append(freed, s)
		case n >= 2:
			rc.insertMerged(RefRec{Range: s, Count: n})
		}
	}
	for _, x := range old {
		c := x.Intersect(r)
		seg(Range{pos, c.Start}, 1)
		seg(c, x.Count)
		pos = c.End
	}
	seg(Range{pos, r.End}, 1)
	return freed
}

// put inserts x without merging (a piece of a record being split).
func (rc *Refcounts) put(x RefRec) {
	if rc.tree == nil {
		rc.tree = btree.NewG(16, func(a, b RefRec) bool { return a.Start < b.Start })
	}
	rc.tree.ReplaceOrInsert(x)
}

// insertMerged inserts x into a gap, joining neighbours that touch it with
// the same count.
func (rc *Refcounts) insertMerged(x RefRec) {
	if rc.tree != nil {
		rc.tree.DescendLessOrEqual(refKey(x.Start), func(l RefRec) bool {
			if l.End == x.Start && l.Count == x.Count {
				rc.tree.Delete(l)
				x.Start = l.Start
			}
			return false
		})
		if n, ok := rc.tree.Get(refKey(x.End)); ok && n.Count == x.Count {
			rc.tree.Delete(n)
			x.End = n.End
		}
	}
	rc.put(x)
}

// firstShared returns the first run of shared blocks inside r, clipped to r,
// extended over every following record that touches it (xfs_reflink_find_shared
// with find_end_of_shared).
func (rc *Refcounts) firstShared(r Range) (Range, bool) {
	recs := rc.Get(r)
	if len(recs) == 0 {
		return Range{}, false
	}
	s := recs[0].Range
	for _, x := range recs[1:] {
		if x.Start != s.End {
			break
		}
		s.End = x.End
	}
	return s, true
}
