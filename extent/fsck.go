package extent

import (
	"cmp"
	"fmt"
	"slices"
)

// Owned is one physical extent of file Ino, as an fsck across files sees it.
type Owned struct {
	Ino uint64
	Extent
}

// CrossLinked is the cross-file half of fsck's "no physical block backs two
// file blocks" (Map.Verify checks one fork): it sorts runs by physical block
// and reports each neighbouring pair that shares a block, which is at least
// one pair whenever any two runs do. It reorders runs.
func CrossLinked(runs []Owned) []error {
	var errs []error
	physOverlaps(runs, func(o Owned) Range { return o.PhysRange() }, func(a, b Owned) {
		errs = append(errs, fmt.Errorf("block(s) %v owned twice: ino %d %v and ino %d %v",
			a.PhysRange().Intersect(b.PhysRange()), a.Ino, a.Extent, b.Ino, b.Extent))
	})
	return errs
}

// physOverlaps sorts xs by the start of phys(x) and calls overlap for each
// neighbouring pair whose physical ranges overlap.
func physOverlaps[T any](xs []T, phys func(T) Range, overlap func(a, b T)) {
	slices.SortFunc(xs, func(a, b T) int { return cmp.Compare(phys(a).Start, phys(b).Start) })
	for i := 1; i < len(xs); i++ {
		if phys(xs[i-1]).Overlaps(phys(xs[i])) {
			overlap(xs[i-1], xs[i])
		}
	}
}
