package extent

import (
	"errors"
	"fmt"
	"strings"
)

// Verify checks the map's invariants (an fsck of one fork) and returns an
// error naming the first violated one, or nil:
//   - every extent is well formed: non-empty, below MaxBlock, a stored state
//     (never Hole), PBlk 0 for Delalloc, no physical wraparound;
//   - extents are sorted and do not overlap;
//   - no two neighbours are Mergeable (the map is canonical);
//   - DelallocBlocks equals the sum of the Delalloc extents' lengths;
//   - no physical block backs two file blocks of this fork.
//
// The caller holds the fork lock (shared suffices).
func (m *Map) Verify() error { return m.verify(true) }

// VerifyShared is Verify without the last check, for a fork whose
// physical blocks may back several of its file blocks (XFS reflink within
// one file); CheckShared checks those against the refcounts instead.
func (m *Map) VerifyShared() error { return m.verify(false) }

func (m *Map) verify(unshared bool) error {
	var errs []error
	var prev Extent
	var delalloc uint64
	var phys []Range
	for i, e := range m.All() {
		if msg := m.check(i, prev, e); msg != "" {
			errs = append(errs, fmt.Errorf("extent %d %v: %s", i, e, msg))
		}
		if e.State == Delalloc {
			delalloc += e.Len()
		}
		if unshared && e.State.Physical() && e.wellFormed() {
			phys = append(phys, e.PhysRange())
		}
		prev = e
	}
	if delalloc != m.delalloc {
		errs = append(errs, fmt.Errorf("delalloc counter %d != %d blocks in delalloc extents", m.delalloc, delalloc))
	}
	physOverlaps(phys, func(r Range) Range { return r }, func(a, b Range) {
		errs = append(errs, fmt.Errorf("physical blocks %v and %v overlap", a, b))
	})
	return errors.Join(errs...)
}

// check returns what is wrong with extent i, e, given its predecessor prev.
func (m *Map) check(i int, prev, e Extent) string {
	switch {
	case !e.wellFormed():
		return "not well formed"
	case i > 0 && e.Start < prev.End:
		return fmt.Sprintf("overlaps or precedes previous %v", prev)
	case i > 0 && prev.Mergeable(e):
		return fmt.Sprintf("not merged with previous %v", prev)
	}
	return ""
}

// String dumps the map, one extent per line with holes between them, and
// marks every inconsistency with "!!".
func (m *Map) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "extent.Map seq=%d extents=%d delalloc=%d\n", m.Seq(), m.Count(), m.delalloc)
	var prev Extent
	for i, e := range m.All() {
		if i > 0 && prev.End < e.Start {
			fmt.Fprintf(&b, "  %v hole\n", Range{prev.End, e.Start})
		}
		fmt.Fprintf(&b, "  %v", e)
		if msg := m.check(i, prev, e); msg != "" {
			fmt.Fprintf(&b, "  !! %s", msg)
		}
		b.WriteByte('\n')
		prev = e
	}
	if err := m.Verify(); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			if !strings.HasPrefix(line, "extent ") {
				fmt.Fprintf(&b, "  !! %s\n", line)
			}
		}
	}
	return b.String()
}
