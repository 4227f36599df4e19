package fsx

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"

	"iomaplab/check"
	"iomaplab/lab"
)

// verifyChunk is how much verifyAll reads at a time.
const verifyChunk = 256 << 10

// fullVerify is the largest file verifyAll reads whole. Past it, it reads
// what the reference model says operations touched (check.RefFile.Spans:
// every byte that may read as non-zero, the edges of every zeroed,
// truncated or extended range) and holeSamples pages drawn from the rest,
// so a check costs time in proportion to the bytes written, not to -l.
const (
	fullVerify  = 64 << 20
	holeSamples = 64
)

// verifyAll checks every file's size and its bytes against the oracle
// (after a remount, and at the end of the run): the whole file, or past
// fullVerify the ranges verifyRanges picks. The caller holds the harness
// lock exclusively or runs alone. It reports whether all matched.
func (h *harness) verifyAll(t *lab.Thread, op *Op, stage string) bool {
	buf := make([]byte, verifyChunk)
	for i, f := range h.files {
		if !h.checkSize(t, op, i, stage) {
			return false
		}
		for _, r := range h.verifyRanges(i) {
			for off := r[0]; off < r[1]; off += verifyChunk {
				p := buf[:min(verifyChunk, r[1]-off)]
				n, err := f.Pread(t, p, off)
				if err == nil && n != len(p) {
					err = fmt.Errorf("short read of %s: %d of %d bytes at %d", f.Name(), n, len(p), off)
				}
				if err != nil {
					h.failErr(t, op, stage, err)
					return false
				}
				if !h.compare(t, op, stage, i, p, off) {
					return false
				}
			}
		}
	}
	return true
}

// verifyRanges returns the sorted, disjoint byte ranges of file that
// verifyAll reads: [0, size) up to fullVerify bytes, else the reference
// model's touched spans and holeSamples pages drawn at random (seeded by
// the run's seed and the epoch, so a replay reads the same pages).
func (h *harness) verifyRanges(file int) [][2]int64 {
	ref := h.refs[file]
	size := ref.Size()
	if size <= fullVerify {
		return [][2]int64{{0, size}}
	}
	rs := ref.spans()
	rng := rand.New(rand.NewPCG(h.cfg.Seed^uint64(h.epoch), uint64(file)))
	pages := (size + check.PageSize - 1) / check.PageSize
	for range holeSamples {
		off := rng.Int64N(pages) * check.PageSize
		rs = append(rs, [2]int64{off, min(off+check.PageSize, size)})
	}
	slices.SortFunc(rs, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	merged := rs[:1]
	for _, r := range rs[1:] {
		if last := &merged[len(merged)-1]; r[0] <= last[1] {
			last[1] = max(last[1], r[1])
		} else {
			merged = append(merged, r)
		}
	}
	return merged
}

// spans lists the ranges below EOF that operations touched
// (check.RefFile.Spans).
func (r *refFile) spans() [][2]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var rs [][2]int64
	for off, end := range r.ref.Spans() {
		rs = append(rs, [2]int64{off, end})
	}
	return rs
}

// checkSize compares the file's i_size with the oracle's.
func (h *harness) checkSize(t *lab.Thread, op *Op, file int, stage string) bool {
	got, err := h.files[file].Size(t)
	if err != nil {
		h.failErr(t, op, stage, err)
		return false
	}
	if want := h.refs[file].Size(); got != want {
		h.setFailure(t, &Failure{Op: op, Stage: stage, File: file, SizeMismatch: true, Off: min(got, want), ExpectedSize: want, ActualSize: got})
		return false
	}
	return true
}

// compare checks p, read from file at off, against the oracle; on a
// mismatch it records the first bad byte with a dump window around it,
// cut to the compared range (the only bytes the caller has stable).
func (h *harness) compare(t *lab.Thread, op *Op, stage string, file int, p []byte, off int64) bool {
	h.verified.Add(int64(len(p)))
	want := make([]byte, len(p))
	h.refs[file].ReadAt(want, off)
	if bytes.Equal(p, want) {
		return true
	}
	first, bad := -1, 0
	for i := range p {
		if p[i] != want[i] {
			if first < 0 {
				first = i
			}
			bad++
		}
	}
	lo := max(0, (first-dumpBefore)&^15)
	hi := min(len(p), first+dumpAfter)
	h.setFailure(t, &Failure{
		Op: op, Stage: stage, File: file, Off: off + int64(first), Bad: bad,
		RangeOff: off, RangeLen: int64(len(p)),
		DumpOff: off + int64(lo), Expected: append([]byte(nil), want[lo:hi]...), Actual: append([]byte(nil), p[lo:hi]...),
		ExpectedSize: h.refs[file].Size(), ActualSize: h.refs[file].Size(),
	})
	return false
}
