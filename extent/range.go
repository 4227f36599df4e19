package extent

import "fmt"

// BlockSize is the size in bytes of a file block and of a physical block.
const BlockSize = 4096

// MaxBlock bounds the block number space: every Range lies within
// [0, MaxBlock). It is the block count of a maximal Linux file (2^63 bytes).
const MaxBlock uint64 = 1 << 51

// Range is the half-open block range [Start, End): Start is the first block
// in the range, End the first block past it. An empty range (Start == End) is
// well formed; a range with Start > End is not. (gVisor pkg/segment Range.)
type Range struct {
	Start, End uint64
}

// BlockRange returns the smallest Range of blocks covering the bytes
// [off, off+n). n == 0 gives an empty range at off's block.
//
// Preconditions: off >= 0, n >= 0.
func BlockRange(off, n int64) Range {
	if off < 0 || n < 0 {
		panic(fmt.Sprintf("extent: BlockRange(%d, %d): negative", off, n))
	}
	start := uint64(off) / BlockSize
	if n == 0 {
		return Range{start, start}
	}
	return Range{start, (uint64(off+n) + BlockSize - 1) / BlockSize}
}

// Bytes returns the byte offset and length of r.
func (r Range) Bytes() (off, n int64) {
	return int64(r.Start * BlockSize), int64(r.Len() * BlockSize)
}

// Len is the number of blocks in r.
func (r Range) Len() uint64 { return r.End - r.Start }

// WellFormed reports whether r has Start <= End and lies below MaxBlock.
func (r Range) WellFormed() bool { return r.Start <= r.End && r.End <= MaxBlock }

// Empty reports whether r holds no block.
func (r Range) Empty() bool { return r.Start == r.End }

// Contains reports whether block x lies in r.
func (r Range) Contains(x uint64) bool { return r.Start <= x && x < r.End }

// Overlaps reports whether r and o share at least one block.
func (r Range) Overlaps(o Range) bool { return r.Start < o.End && o.Start < r.End }

// IsSupersetOf reports whether every block of o lies in r (true for empty o
// inside or at the bounds of r).
func (r Range) IsSupersetOf(o Range) bool { return r.Start <= o.Start && o.End <= r.End }

// Intersect returns the blocks in both r and o; the result is empty (at
// max(r.Start, o.Start) or clamped) when they do not overlap.
func (r Range) Intersect(o Range) Range {
	s := max(r.Start, o.Start)
	e := min(r.End, o.End)
	if e < s {
		e = s
	}
	return Range{s, e}
}

// CanSplitAt reports whether x splits r into two non-empty ranges.
func (r Range) CanSplitAt(x uint64) bool { return r.Start < x && x < r.End }

func (r Range) String() string { return fmt.Sprintf("[%d, %d)", r.Start, r.End) }
