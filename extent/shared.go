package extent

import (
	"cmp"
	"fmt"
	"slices"
)

// CheckShared is fsck's cross-file block check when blocks may be shared
// (reflink): each physical block must be mapped by exactly as many file
// blocks as its refcount says (1 without a record), which keeps "no block
// owned twice" as strict as CrossLinked for every block the refcount tree
// does not name; and every record must cover blocks mapped that often. It
// returns the number of distinct physical blocks the runs map (fsck
// compares it with Space's used count) and one error per disagreeing run
// of blocks.
//
// (xfs_repair's refcount check: it rebuilds the counts from the forks and
// compares them with the refcount btree.)
func CheckShared(runs []Owned, refs []RefRec) (mapped uint64, errs []error) {
	type edge struct {
		at         uint64
		cover, ref int64
	}
	var edges []edge
	for _, o := range runs {
		p := o.PhysRange()
		edges = append(edges, edge{p.Start, 1, 0}, edge{p.End, -1, 0})
	}
	for _, x := range refs {
		edges = append(edges, edge{x.Start, 0, int64(x.Count)}, edge{x.End, 0, -int64(x.Count)})
	}
	slices.SortFunc(edges, func(a, b edge) int { return cmp.Compare(a.at, b.at) })
	type bad struct {
		Range
		cover, ref int64
	}
	var bads []bad
	var cover, ref int64
	for i := 0; i < len(edges); {
		at := edges[i].at
		for i < len(edges) && edges[i].at == at {
			cover += edges[i].cover
			ref += edges[i].ref
			i++
		}
		if i == len(edges) {
			break
		}
		seg := Range{at, edges[i].at}
		if cover >= 1 {
			mapped += seg.Len()
		}
		if (cover >= 2 || ref > 0) && cover != ref {
			if n := len(bads); n > 0 && bads[n-1].End == seg.Start && bads[n-1].cover == cover && bads[n-1].ref == ref {
				bads[n-1].End = seg.End
			} else {
				bads = append(bads, bad{seg, cover, ref})
			}
		}
	}
	for _, b := range bads {
		var owners []string
		for _, o := range runs {
			if o.PhysRange().Overlaps(b.Range) {
				owners = append(owners, fmt.Sprintf("ino %d %v", o.Ino, o.Extent))
			}
		}
		if b.ref == 0 {
			errs = append(errs, fmt.Errorf("block(s) %v owned %s, not shared by the refcount tree: %v", b.Range, times(b.cover), owners))
		} else {
			errs = append(errs, fmt.Errorf("block(s) %v owned %s, refcount %d: %v", b.Range, times(b.cover), b.ref, owners))
		}
	}
	return mapped, errs
}

func times(n int64) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return fmt.Sprintf("%d times", n)
}
