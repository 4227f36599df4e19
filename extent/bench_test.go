package extent

import (
	"math/rand/v2"
	"testing"
)

// benchMap returns a map of n single-block-gap extents of alternating state:
// the worst case for lookups (nothing merges).
func benchMap(n uint64) *Map {
	m := new(Map)
	for i := range n {
		st := []State{Delalloc, Unwritten, Written}[i%3]
		e := Extent{Range: Range{i * 4, i*4 + 3}, State: st}
		if st.Physical() {
			e.PBlk = i * 8
		}
		m.Set(e)
	}
	return m
}

func benchLookup(b *testing.B, n uint64) {
	m := benchMap(n)
	r := rand.New(rand.NewPCG(1, 2))
	keys := make([]uint64, 1024)
	for i := range keys {
		keys[i] = r.Uint64N(n * 4)
	}
	b.ResetTimer()
	for i := range b.N {
		_ = m.Lookup(keys[i%len(keys)])
	}
}

func BenchmarkLookup1K(b *testing.B)   { benchLookup(b, 1<<10) }
func BenchmarkLookup100K(b *testing.B) { benchLookup(b, 100_000) }

// BenchmarkSeq is the lockless validity-cookie read of every folio.
func BenchmarkSeq(b *testing.B) {
	m := benchMap(16)
	for range b.N {
		_ = m.Seq()
	}
}

// BenchmarkSetAppend is delalloc creation by a sequential writer: each Set
// extends (merges into) the last extent.
func BenchmarkSetAppend(b *testing.B) {
	m := new(Map)
	for i := range b.N {
		f := uint64(i) % (MaxBlock - 1)
		m.Set(Extent{Range: Range{f, f + 1}, State: Delalloc})
	}
}

// BenchmarkConvertSplit converts one block in the middle of a large unwritten
// extent and back: a split into three and a merge into one.
func BenchmarkConvertSplit(b *testing.B) {
	m := new(Map)
	m.Set(Extent{Range: Range{0, 1 << 20}, State: Unwritten, PBlk: 1000})
	r := Range{1 << 19, 1<<19 + 1}
	for range b.N {
		m.Convert(r, Unwritten, Written, 0)
		m.Convert(r, Written, Unwritten, 0)
	}
}
