package check

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"testing"
)

// contents is the whole expected file.
func contents(r *RefFile) []byte {
	p := make([]byte, r.Size())
	r.ReadAt(p, 0)
	return p
}

// dense is the obvious reference model, a byte slice, that RefFile must
// agree with.
type dense []byte

func (d *dense) grow(size int64) {
	if size > int64(len(*d)) {
		*d = append(*d, make([]byte, size-int64(len(*d)))...)
	}
}

func (d *dense) write(p []byte, off int64) {
	if len(p) > 0 {
		d.grow(off + int64(len(p)))
		copy((*d)[off:], p)
	}
}

func (d *dense) truncate(size int64) {
	if size < int64(len(*d)) {
		*d = (*d)[:size]
	}
	d.grow(size)
}

func (d *dense) zero(off, n int64, extend bool) {
	if extend {
		d.grow(off + n)
	}
	if end := min(off+n, int64(len(*d))); off < end {
		clear((*d)[off:end])
	}
}

// TestRefFileMatchesDense drives RefFile and a dense byte slice with the
// same seeded random writes, truncates and zeroings around page edges,
// and checks after each step that they agree on size and every byte, that
// every non-zero byte lies in a span, and that CompareRange accepts the
// dense contents and rejects them with one byte flipped.
func TestRefFileMatchesDense(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 0))
		var r RefFile
		var d dense
		const span = 6 * PageSize
		for step := range 200 {
			off, n := rng.Int64N(span), rng.Int64N(2*PageSize+2)
			switch rng.IntN(4) {
			case 0, 1:
				p := make([]byte, n)
				for i := range p {
					p[i] = byte(1 + rng.IntN(255))
				}
				r.Write(p, off)
				d.write(p, off)
			case 2:
				r.Truncate(off)
				d.truncate(off)
			case 3:
				extend := rng.IntN(2) == 0
				r.Zero(off, n, extend)
				d.zero(off, n, extend)
			}
			got := contents(&r)
			if r.Size() != int64(len(d)) || !bytes.Equal(got, d) {
				t.Fatalf("seed %d step %d: size %d, want %d; bytes differ: %v", seed, step, r.Size(), len(d), !bytes.Equal(got, d))
			}
			inSpan := make([]bool, len(d))
			for off, end := range r.Spans() {
				for i := off; i < end; i++ {
					inSpan[i] = true
				}
			}
			for i, b := range d {
				if b != 0 && !inSpan[i] {
					t.Fatalf("seed %d step %d: byte %d is 0x%02x but in no span", seed, step, i, b)
				}
			}
			if m := r.Compare(d); m != nil {
				t.Fatalf("seed %d step %d: Compare of the same bytes: %v", seed, step, m)
			}
			if len(d) > 0 {
				bad := bytes.Clone(d)
				at := rng.IntN(len(bad))
				bad[at] ^= 0x80
				if m := r.Compare(bad); m == nil || m.Off != int64(at) {
					t.Fatalf("seed %d step %d: Compare missed the flipped byte %d: %v", seed, step, at, m)
				}
			}
		}
	}
}

// TestEmptyWriteDoesNotExtend: a pwrite past EOF that copies nothing (its
// source faults at byte 0) leaves i_size alone, as XFS does; the model used
// to grow the file to the write's offset and flag the filesystems.
func TestEmptyWriteDoesNotExtend(t *testing.T) {
	var r RefFile
	r.Write([]byte{7}, 0)
	r.Write(nil, 1<<20)
	r.Write([]byte{}, 100)
	if r.Size() != 1 {
		t.Fatalf("size %d after empty writes past EOF, want 1", r.Size())
	}
}

// TestHugeOffsetIsSparse writes one byte just below 1 TiB: the size is
// 1 TiB, the byte reads back, the hole reads as zeroes, and the model holds
// a page or two, not a terabyte.
func TestHugeOffsetIsSparse(t *testing.T) {
	const tib = int64(1) << 40
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var r RefFile
	r.Write([]byte{0x5a}, tib-1)
	r.Zero(0, tib/2, false)
	r.Truncate(tib)
	runtime.ReadMemStats(&after)
	if r.Size() != tib {
		t.Fatalf("size %d, want %d", r.Size(), tib)
	}
	p := make([]byte, 2)
	if n := r.ReadAt(p, tib-2); n != 2 || p[0] != 0 || p[1] != 0x5a {
		t.Fatalf("read %d bytes %v at 1TiB-2, want [0 0x5a]", n, p)
	}
	if grew := after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc); grew > 1<<20 {
		t.Fatalf("the heap grew %d bytes for one byte at 1 TiB", grew)
	}
	var spans [][2]int64
	for off, end := range r.Spans() {
		spans = append(spans, [2]int64{off, end})
	}
	if len(spans) != 3 || spans[2] != [2]int64{tib - PageSize, tib} {
		t.Fatalf("spans %v, want the zeroed range's two edges and the written page", spans)
	}
	if m := r.CompareRange([]byte{0, 0x5a}, tib-2, tib); m != nil {
		t.Fatal(m)
	}
	if m := r.CompareRange([]byte{0, 0x5b}, tib-2, tib); m == nil || m.Off != tib-1 {
		t.Fatalf("CompareRange missed a wrong byte at 1 TiB - 1: %v", m)
	}
}

// BenchmarkWrite256MiB writes 256 MiB in 64 KiB writes at seeded offsets
// below 1 TiB and reports the model's heap per written GiB (the figure in
// docs/fsx.md) and its write throughput.
func BenchmarkWrite256MiB(b *testing.B) {
	const total, chunk = 256 << 20, 64 << 10
	p := bytes.Repeat([]byte{0x5a}, chunk)
	b.SetBytes(total)
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		rng := rand.New(rand.NewPCG(1, 2))
		var r RefFile
		for range total / chunk {
			r.Write(p, rng.Int64N(1<<40-chunk))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)*(1<<30)/total/(1<<20), "MiB/GiB-written")
		runtime.KeepAlive(&r)
	}
}
