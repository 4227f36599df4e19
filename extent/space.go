package extent

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/btree"
	"golang.org/x/sys/unix"

	"iomaplab/lab"
)

// Space is one filesystem's physical block space: the free-space extents
// (XFS: the bnobt; ext4: the block bitmaps) and the delayed-allocation
// reservation counter (XFS: fdblocks; ext4: s_dirtyclusters_counter). It is
// shared by every inode and every thread, and guards itself with a lab.Mutex
// (a leaf lock: Space calls nothing while holding it).
//
// Accounting, checked by Verify:
//
//	free + used == total      free: blocks in free extents; used: allocated
//	reserved <= free          reserved: promised to delalloc extents
//
// Allocation that is not backed by a reservation may only use free -
// reserved blocks, so a reservation is never broken.
type Space struct {
	mu       lab.Mutex
	total    uint64
	freeExts *btree.BTreeG[Range] // by Start; merged: no two touch
	free     uint64
	used     uint64
	reserved uint64
	refs     Refcounts // shared blocks (reflink)
}

// Stats is a snapshot of a Space's counters.
type Stats struct {
	Total, Free, Used, Reserved uint64
	FreeExtents                 int
}

// Available is how many blocks an unreserved Alloc or a Reserve can get.
func (s Stats) Available() uint64 { return s.Free - s.Reserved }

// NewSpace returns a Space of total blocks, all free.
func NewSpace(total uint64) *Space {
	s := &Space{total: total, freeExts: btree.NewG(16, lessRange), free: total}
	s.mu.Name = "space"
	if total > 0 {
		s.freeExts.ReplaceOrInsert(Range{0, total})
	}
	return s
}

func lessRange(a, b Range) bool { return a.Start < b.Start }

// Stats returns the counters.
func (s *Space) Stats(t *lab.Thread) Stats {
	s.mu.Lock(t)
	defer s.mu.Unlock(t)
	return Stats{Total: s.total, Free: s.free, Used: s.used, Reserved: s.reserved, FreeExtents: s.freeExts.Len()}
}

// Reserve promises n blocks to delayed allocation (xfs_dec_fdblocks in
// xfs_bmapi_reserve_delalloc; ext4_da_reserve_space). It returns ENOSPC, and
// reserves nothing, when fewer than n blocks are available.
func (s *Space) Reserve(t *lab.Thread, n uint64) error {
	s.mu.Lock(t)
	defer s.mu.Unlock(t)
	if s.free-s.reserved < n {
		return unix.ENOSPC
	}
	s.reserved += n
	return nil
}

// Unreserve returns n reserved blocks (a punched or truncated delalloc
// extent: xfs_add_fdblocks; ext4_da_release_space).
//
// Preconditions: n <= reserved (else it panics: a leaked or doubly released
// reservation is a caller bug).
func (s *Space) Unreserve(t *lab.Thread, n uint64) {
	s.mu.Lock(t)
	defer s.mu.Unlock(t)
	if n > s.reserved {
		panic(fmt.Sprintf("extent: Unreserve(%d) with only %d reserved", n, s.reserved))
	}
	s.reserved -= n
}

// Alloc allocates want blocks that no reservation backs (fallocate,
// unwritten extents) and returns them as one or more runs, in allocation
// order, summing to want. It prefers one run starting at hint, then one run
// at or after hint, then one anywhere; when no free extent is long enough it
// takes runs in block order starting at hint (wrapping around). It returns
// ENOSPC, allocating nothing, when fewer than want blocks are available.
//
// Preconditions: want > 0.
func (s *Space) Alloc(t *lab.Thread, want, hint uint64) ([]Range, error) {
	if want == 0 {
		panic("extent: Alloc of 0 blocks")
	}
	s.mu.Lock(t)
	defer s.mu.Unlock(t)
	if s.free-s.reserved < want {
		return nil, unix.ENOSPC
	}
	return s.take(want, hint), nil
}

// AllocReserved turns want reserved blocks into an allocation (writeback of
// a delalloc extent: xfs_bmapi_convert_delalloc; ext4_da_update_reserve_space)
// and returns the runs, placed as Alloc places them. It cannot fail: the
// reservation guaranteed the space.
//
// Preconditions: 0 < want <= reserved (else it panics).
func (s *Space) AllocReserved(t *lab.Thread, want, hint uint64) []Range {
	s.mu.Lock(t)
	defer s.mu.Unlock(t)
	if want == 0 || want > s.reserved {
		panic(fmt.Sprintf("extent: AllocReserved(%d) with %d reserved", want, s.reserved))
	}
	s.reserved -= want
	return s.take(want, hint)
}

// Free returns the n physical blocks at pblk to the free space.
//
// Preconditions: n > 0; the blocks lie below total, are all allocated and
// none is shared (shared blocks go through Release). Freeing a free block (a double free) or a block beyond the device panics
// with the offending values: it is a caller bug.
func (s *Space) Free(t *lab.Thread, pblk, n uint64) {
	r := Range{pblk, pblk + n}
	s.mu.Lock(t)
	defer s.mu.Unlock(t)
	if n == 0 || r.End < r.Start || r.End > s.total {
		panic(fmt.Sprintf("extent: Free(%d, %d) outside the %d-block space", pblk, n, s.total))
	}
	if f, ok := s.freeOverlapping(r); ok {
		panic(fmt.Sprintf("extent: Free(%d, %d): double free, %v already free", pblk, n, f.Intersect(r)))
	}
	if shared := s.refs.Get(r); len(shared) > 0 {
		panic(fmt.Sprintf("extent: Free(%d, %d): %v is shared (use Release)", pblk, n, shared[0]))
	}
	s.freeLocked(r)
}

// freeLocked returns the allocated, unshared blocks r to the free space.
// The caller holds mu and has checked r.
func (s *Space) freeLocked(r Range) {
	n := r.Len()
	var l Range
	if s.freeBefore(r.Start, &l) && l.End == r.Start {
		s.freeExts.Delete(l)
		r.Start = l.Start
	}
	if next, ok := s.freeExts.Get(Range{Start: r.End}); ok {
		s.freeExts.Delete(next)
		r.End = next.End
	}
	s.freeExts.ReplaceOrInsert(r)
	s.free += n
	s.used -= n
}

// Allocated reports whether every block of r lies on the device and is
// allocated (in no free extent): an fsck cross-check that each physical
// extent of every fork is really in use.
func (s *Space) Allocated(t *lab.Thread, r Range) bool {
	s.mu.Lock(t)
	defer s.mu.Unlock(t)
	if !r.WellFormed() || r.End > s.total {
		return false
	}
	_, free := s.freeOverlapping(r)
	return !free
}

// Verify checks the accounting invariants, the free-extent tree (sorted,
// merged, within the space, summing to free) and that every refcount record
// counts at least 2 references to allocated blocks.
func (s *Space) Verify(t *lab.Thread) error {
	s.mu.Lock(t)
	defer s.mu.Unlock(t)
	var errs []error
	var sum uint64
	var prev Range
	i := 0
	s.freeExts.Ascend(func(f Range) bool {
		switch {
		case f.Empty() || !f.WellFormed() || f.End > s.total:
			errs = append(errs, fmt.Errorf("free extent %v malformed or outside %d blocks", f, s.total))
		case i > 0 && f.Start <= prev.End:
			errs = append(errs, fmt.Errorf("free extent %v overlaps or touches %v", f, prev))
		}
		sum += f.Len()
		prev = f
		i++
		return true
	})
	if sum != s.free {
		errs = append(errs, fmt.Errorf("free counter %d != %d blocks in free extents", s.free, sum))
	}
	if s.free+s.used != s.total {
		errs = append(errs, fmt.Errorf("free %d + used %d != total %d", s.free, s.used, s.total))
	}
	if s.reserved > s.free {
		errs = append(errs, fmt.Errorf("reserved %d > free %d", s.reserved, s.free))
	}
	for _, x := range s.refs.All() {
		if f, free := s.freeOverlapping(x.Range); x.Count < 2 || free || x.End > s.total {
			errs = append(errs, fmt.Errorf("refcount record %v: count below 2, outside the space or over free %v", x, f))
		}
	}
	return errors.Join(errs...)
}

// VerifyMapped is fsck's space check: Verify, and the used count equals
// mapped, the blocks the files' extents map.
func (s *Space) VerifyMapped(t *lab.Thread, mapped uint64) error {
	err := s.Verify(t)
	if used := s.Stats(t).Used; used != mapped {
		err = errors.Join(err, fmt.Errorf("%d blocks used, files map %d", used, mapped))
	}
	return err
}

// String dumps the counters and the free extents.
func (s *Space) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "extent.Space total=%d free=%d used=%d reserved=%d free extents:", s.total, s.free, s.used, s.reserved)
	s.freeExts.Ascend(func(f Range) bool {
		fmt.Fprintf(&b, " %v", f)
		return true
	})
	return b.String()
}

// take carves want blocks out of the free extents (see Alloc for the
// placement policy). The caller holds mu and has checked free >= want.
func (s *Space) take(want, hint uint64) []Range {
	if hint >= s.total {
		hint = 0
	}
	var at Range
	if s.freeBefore(hint, &at) && at.End > hint && at.End-hint >= want {
		return []Range{s.carve(Range{hint, hint + want})}
	}
	var fit Range
	found := false
	seek := func(f Range) bool {
		if f.Len() >= want {
			fit, found = f, true
			return false
		}
		return true
	}
	s.freeExts.AscendGreaterOrEqual(Range{Start: hint}, seek)
	if !found {
		s.freeExts.AscendLessThan(Range{Start: hint}, seek)
	}
	if found {
		return []Range{s.carve(Range{fit.Start, fit.Start + want})}
	}
	// Fragmented: runs in block order from hint, wrapping around; the free
	// extent containing hint contributes its tail first and its head last.
	var pieces []Range
	collect := func(f Range) bool {
		pieces = append(pieces, f)
		return true
	}
	var head Range
	if at.Contains(hint) && at.Start < hint {
		pieces = append(pieces, Range{hint, at.End})
		head = Range{at.Start, hint}
	}
	s.freeExts.AscendGreaterOrEqual(Range{Start: hint}, collect)
	s.freeExts.AscendLessThan(Range{Start: hint}, collect)
	if !head.Empty() {
		pieces[len(pieces)-1] = head // at itself came last: its head is what is left
	}
	var runs []Range
	for _, p := range pieces {
		if want == 0 {
			break
		}
		n := min(want, p.Len())
		runs = append(runs, s.carve(Range{p.Start, p.Start + n}))
		want -= n
	}
	return runs
}

// carve removes r, which lies inside one free extent, from the free space.
func (s *Space) carve(r Range) Range {
	var f Range
	if !s.freeBefore(r.Start, &f) || !f.IsSupersetOf(r) {
		panic(fmt.Sprintf("extent: internal: carve %v not inside a free extent", r))
	}
	s.freeExts.Delete(f)
	if f.Start < r.Start {
		s.freeExts.ReplaceOrInsert(Range{f.Start, r.Start})
	}
	if r.End < f.End {
		s.freeExts.ReplaceOrInsert(Range{r.End, f.End})
	}
	s.free -= r.Len()
	s.used += r.Len()
	return r
}

// freeBefore sets *out to the free extent with the greatest Start <= x.
func (s *Space) freeBefore(x uint64, out *Range) bool {
	found := false
	s.freeExts.DescendLessOrEqual(Range{Start: x}, func(f Range) bool {
		*out, found = f, true
		return false
	})
	return found
}

// freeOverlapping returns a free extent sharing a block with r, if any.
func (s *Space) freeOverlapping(r Range) (Range, bool) {
	var f Range
	if s.freeBefore(r.Start, &f) && f.End > r.Start {
		return f, true
	}
	found := false
	s.freeExts.AscendRange(Range{Start: r.Start + 1}, Range{Start: r.End}, func(x Range) bool {
		f, found = x, true
		return false
	})
	return f, found
}
