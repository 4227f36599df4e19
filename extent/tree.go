package extent

import "github.com/google/btree"

// Overlapping returns the items of t that share a block with r, unclipped,
// in order. t holds non-overlapping ranges ordered by Start (an extent map,
// ext4's extent status tree); key(b) is a search key that sorts as an item
// starting at file block b.
func Overlapping[T interface{ Overlaps(Range) bool }](t *btree.BTreeG[T], r Range, key func(uint64) T) []T {
	if t == nil || r.Empty() {
		return nil
	}
	var out []T
	t.DescendLessOrEqual(key(r.Start), func(x T) bool {
		if x.Overlaps(r) {
			out = append(out, x)
		}
		return false
	})
	t.AscendRange(key(r.Start+1), key(r.End), func(x T) bool {
		out = append(out, x)
		return true
	})
	return out
}
