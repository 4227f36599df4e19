package xfs

import "testing"

// TestAlignCow checks xfs_bmap_extsize_align's delalloc cases: round out to
// the hint, pull the start forward past the previous COW extent, pull the
// range back (then cut it) before the next one.
func TestAlignCow(t *testing.T) {
	for _, c := range []struct {
		off, end, extsz, prevo, nexto uint64
		eof                           bool
		want                          [2]uint64
	}{
		{2, 4, 32, 0, 0, true, [2]uint64{0, 32}},     // xfs/558: the hint around blocks 2-3
		{33, 34, 32, 0, 0, true, [2]uint64{32, 64}},  // one block, rounded out both ways
		{10, 12, 8, 9, 0, true, [2]uint64{9, 17}},    // previous extent ends at 9: start moves up
		{10, 12, 8, 0, 14, false, [2]uint64{6, 14}},  // next extent at 14: slide back
		{10, 12, 8, 9, 14, false, [2]uint64{9, 14}},  // no room for a whole hint: fill the hole
		{16, 24, 8, 0, 24, false, [2]uint64{16, 24}}, // aligned already
		{5, 6, 4, 0, 6, false, [2]uint64{2, 6}},      // a whole hint ending at the next extent
	} {
		s, e := alignCow(c.off, c.end, c.extsz, c.prevo, c.nexto, c.eof)
		if [2]uint64{s, e} != c.want {
			t.Errorf("alignCow(%d, %d, hint %d, prev end %d, next %d, eof %v) = [%d, %d), want %v", c.off, c.end, c.extsz, c.prevo, c.nexto, c.eof, s, e, c.want)
		}
	}
}
