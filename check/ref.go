// Package check holds the oracles: the byte-exact reference file model shared
// by scenarios, fsx and the property tests, and the consistency checks that
// decide whether a run violated a safety property.
package check

import (
	"bytes"
	"fmt"
	"iter"
	"slices"
)

// PageSize is the granule of the reference model: the bytes of a file are
// kept in pages of this size, and only the pages some operation touched
// exist. Memory follows the bytes written, not the file's size.
const PageSize = 4096

// page is one page of expected bytes.
type page = [PageSize]byte

// RefFile is the reference model of one file: what every byte must read as,
// whatever the filesystem did with extents, caches and writeback. It is the
// fsx good_buf, kept sparse: a page no write stored into reads as zeroes. The
// zero value is an empty file.
//
// Besides the pages holding data, the model remembers which pages an
// operation touched (wrote, zeroed, or cut at EOF): Spans lists them, so a
// verifier can read back the parts of a huge, mostly empty file where a
// filesystem could have gone wrong, in time proportional to what was done
// to it. Offsets are non-negative and an offset plus a length must not
// overflow int64; the callers bound both.
type RefFile struct {
	size int64
	// pages maps a page index to its bytes; a nil value is a page that was
	// touched but reads as zeroes (no memory held for its bytes).
	pages map[int64]*page
}

// Size is the file size (i_size).
func (r *RefFile) Size() int64 { return r.size }

// Write records a write of p at off, extending the file past EOF. A write
// of nothing changes nothing, not even the size: pwrite(2) of zero bytes
// past EOF, or one whose source faults at its first byte, does not extend
// the file (generic_perform_write returns before any i_size update).
func (r *RefFile) Write(p []byte, off int64) {
	if len(p) == 0 {
		return
	}
	end := off + int64(len(p))
	for len(p) > 0 {
		pg := r.page(off / PageSize)
		n := copy(pg[off%PageSize:], p)
		p, off = p[n:], off+int64(n)
	}
	r.size = max(r.size, end)
}

// page returns page i's bytes, allocating them (as zeroes) if it has none.
func (r *RefFile) page(i int64) *page {
	if r.pages == nil {
		r.pages = map[int64]*page{}
	}
	pg := r.pages[i]
	if pg == nil {
		pg = new(page)
		r.pages[i] = pg
	}
	return pg
}

// touch marks the page holding byte off as touched, without giving it
// bytes.
func (r *RefFile) touch(off int64) {
	if r.pages == nil {
		r.pages = map[int64]*page{}
	}
	if _, ok := r.pages[off/PageSize]; !ok {
		r.pages[off/PageSize] = nil
	}
}

// Truncate sets the size; growth reads as zeroes.
func (r *RefFile) Truncate(size int64) {
	if size >= r.size {
		r.Extend(size)
		return
	}
	r.clear(size, r.size)
	r.touch(size) // the new EOF's page, and what a later extension exposes
	if size > 0 {
		r.touch(size - 1)
	}
	r.size = size
}

// Zero makes [off, off+n) read as zeroes, clipped to EOF unless extend is set
// (ZERO_RANGE without KEEP_SIZE extends; punch and zero-keep-size do not).
func (r *RefFile) Zero(off, n int64, extend bool) {
	if n <= 0 {
		return
	}
	end := off + n
	if extend {
		r.Extend(end)
	}
	end = min(end, r.size)
	if off < end {
		r.clear(off, end)
		r.touch(off)
		r.touch(end - 1)
	}
}

// Extend grows the file to at least size (fallocate without KEEP_SIZE).
func (r *RefFile) Extend(size int64) {
	if size > r.size {
		r.touch(r.size)
		r.touch(size - 1)
		r.size = size
	}
}

// clear zeroes [off, end) of the pages that hold bytes; a page cleared
// whole gives its memory back (it stays touched).
func (r *RefFile) clear(off, end int64) {
	r.eachPage(off, end, func(i int64, pg *page) {
		lo, hi := max(off, i*PageSize), min(end, (i+1)*PageSize)
		if hi-lo == PageSize {
			r.pages[i] = nil
			return
		}
		clear(pg[lo-i*PageSize : hi-i*PageSize])
	})
}

// eachPage calls fn for every page holding bytes that overlaps [off, end),
// in no particular order, visiting whichever is fewer: the range's page
// indices or the file's pages. fn may replace the page's map entry.
func (r *RefFile) eachPage(off, end int64, fn func(i int64, pg *page)) {
	if off >= end {
		return
	}
	first, last := off/PageSize, (end-1)/PageSize
	if uint64(last-first) < uint64(len(r.pages)) {
		for i := first; i <= last; i++ {
			if pg := r.pages[i]; pg != nil {
				fn(i, pg)
			}
		}
		return
	}
	for i, pg := range r.pages {
		if pg != nil && i >= first && i <= last {
			fn(i, pg)
		}
	}
}

// ReadAt copies the expected bytes of [off, off+len(p)) into p, cut at
// EOF, and returns how many it copied.
func (r *RefFile) ReadAt(p []byte, off int64) int {
	if off >= r.size {
		return 0
	}
	p = p[:min(int64(len(p)), r.size-off)]
	for done := 0; done < len(p); {
		at := off + int64(done)
		q := p[done:min(len(p), done+PageSize-int(at%PageSize))]
		if pg := r.pages[at/PageSize]; pg != nil {
			copy(q, pg[at%PageSize:])
		} else {
			clear(q)
		}
		done += len(q)
	}
	return len(p)
}

// Spans yields, in order, the byte ranges [off, end) below EOF that some
// operation touched, a page at a time, adjacent pages merged. They hold
// every byte that may read as non-zero, and the edges of every range that
// was zeroed, truncated or extended; the rest of the file is a hole no
// operation came near.
func (r *RefFile) Spans() iter.Seq2[int64, int64] {
	return func(yield func(off, end int64) bool) {
		idx := make([]int64, 0, len(r.pages))
		for i := range r.pages {
			if i*PageSize < r.size {
				idx = append(idx, i)
			}
		}
		slices.Sort(idx)
		for len(idx) > 0 {
			n := 1
			for n < len(idx) && idx[n] == idx[0]+int64(n) {
				n++
			}
			if !yield(idx[0]*PageSize, min((idx[0]+int64(n))*PageSize, r.size)) {
				return
			}
			idx = idx[n:]
		}
	}
}

// Mismatch describes the first byte where a file differs from its model.
type Mismatch struct {
	Off              int64
	Expected, Actual byte
	// ExpectedSize and ActualSize differ when the sizes disagree.
	ExpectedSize, ActualSize int64
}

func (m *Mismatch) Error() string {
	if m.ExpectedSize != m.ActualSize {
		return fmt.Sprintf("size %d, expected %d", m.ActualSize, m.ExpectedSize)
	}
	return fmt.Sprintf("byte at offset %d (0x%x) is 0x%02x, expected 0x%02x", m.Off, m.Off, m.Actual, m.Expected)
}

// Compare checks actual (the whole file as read) against the model and
// returns the first mismatch, or nil.
func (r *RefFile) Compare(actual []byte) *Mismatch {
	return r.CompareRange(actual, 0, int64(len(actual)))
}

// CompareRange checks p, read at off, against the model. Bytes past the
// model's EOF are expected to be missing (a short read).
func (r *RefFile) CompareRange(p []byte, off, fileSize int64) *Mismatch {
	if fileSize != r.size {
		return &Mismatch{Off: min(fileSize, r.size), ExpectedSize: r.size, ActualSize: fileSize}
	}
	if off >= r.size {
		return nil
	}
	got := p[:min(int64(len(p)), r.size-off)]
	var want page
	for done := 0; done < len(got); {
		at := off + int64(done)
		n := min(len(got)-done, PageSize-int(at%PageSize))
		r.ReadAt(want[:n], at)
		if g := got[done : done+n]; !bytes.Equal(g, want[:n]) {
			for i := range g {
				if g[i] != want[i] {
					return &Mismatch{Off: at + int64(i), Expected: want[i], Actual: g[i], ExpectedSize: r.size, ActualSize: fileSize}
				}
			}
		}
		done += n
	}
	return nil
}
