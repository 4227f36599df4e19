package extent

import (
	"fmt"

	"iomaplab/lab"
)

// Share adds one reference to each of the n allocated physical blocks at
// pblk: a reflink maps them into another file (xfs_refcount_increase_extent).
//
// Preconditions: n > 0; every block is allocated (sharing a free block
// panics: the caller's bookkeeping is broken).
func (s *Space) Share(t *lab.Thread, pblk, n uint64) {
	r := Range{pblk, pblk + n}
	s.mu.Lock(t)
	defer s.mu.Unlock(t)
	s.mustAllocated("Share", r)
	s.refs.adjust(r, +1)
}

// Release drops one reference to each of the n physical blocks at pblk (a
// file unmaps them: punch, truncate, COW remap, eviction of staging blocks)
// and frees the blocks whose last reference that was
// (xfs_refcount_decrease_extent, then xfs_free_extent_later for the blocks
// that reached 0). It returns the freed runs, in order, so that the caller
// can disown them; blocks still mapped elsewhere stay allocated.
//
// Preconditions: n > 0; every block is allocated.
func (s *Space) Release(t *lab.Thread, pblk, n uint64) []Range {
	r := Range{pblk, pblk + n}
	s.mu.Lock(t)
	defer s.mu.Unlock(t)
	s.mustAllocated("Release", r)
	freed := s.refs.adjust(r, -1)
	for _, f := range freed {
		s.freeLocked(f)
	}
	return freed
}

// FindShared returns the first run of shared blocks (refcount >= 2) among
// the physical blocks r, clipped to r, and false if none is shared
// (xfs_reflink_find_shared).
func (s *Space) FindShared(t *lab.Thread, r Range) (Range, bool) {
	s.mu.Lock(t)
	defer s.mu.Unlock(t)
	return s.refs.firstShared(r)
}

// Refs returns every reference-count record, in order (for fsck).
func (s *Space) Refs(t *lab.Thread) []RefRec {
	s.mu.Lock(t)
	defer s.mu.Unlock(t)
	return s.refs.All()
}

// SharedExtra is the number of references beyond the first to shared
// blocks: the sum over records of (Count-1) * length. Files map
// used + SharedExtra blocks in all.
func (s *Space) SharedExtra(t *lab.Thread) uint64 {
	var n uint64
	for _, x := range s.Refs(t) {
		n += (x.Count - 1) * x.Len()
	}
	return n
}

func (s *Space) mustAllocated(op string, r Range) {
	if r.Empty() || !r.WellFormed() || r.End > s.total {
		panic(fmt.Sprintf("extent: %s(%d, %d) outside the %d-block space", op, r.Start, r.Len(), s.total))
	}
	if f, ok := s.freeOverlapping(r); ok {
		panic(fmt.Sprintf("extent: %s(%d, %d): %v is free", op, r.Start, r.Len(), f.Intersect(r)))
	}
}
