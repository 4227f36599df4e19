package fsx

import (
	"bytes"
	"fmt"

	"iomaplab/lab"
)

// verifyChunk is how much verifyAll reads at a time.
const verifyChunk = 256 << 10

// verifyAll checks every file's size and every byte against the oracle
// (after a remount, and at the end of the run). The caller holds the
// harness lock exclusively or runs alone. It reports whether all matched.
func (h *harness) verifyAll(t *lab.Thread, op *Op, stage string) bool {
	buf := make([]byte, verifyChunk)
	for i, f := range h.files {
		if !h.checkSize(t, op, i, stage) {
			return false
		}
		size := h.refs[i].Size()
		for off := int64(0); off < size; off += verifyChunk {
			p := buf[:min(verifyChunk, size-off)]
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
	return true
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
