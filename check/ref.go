// Package check holds the oracles: the byte-exact reference file model shared
// by scenarios, fsx and the property tests, and the consistency checks that
// decide whether a run violated a safety property.
package check

import (
	"bytes"
	"fmt"
)

// RefFile is the reference model of one file: what every byte must read as,
// whatever the filesystem did with extents, caches and writeback. It is the
// fsx good_buf. The zero value is an empty file.
type RefFile struct {
	data []byte
}

// Size is the file size (i_size).
func (r *RefFile) Size() int64 { return int64(len(r.data)) }

// Bytes returns the whole expected content; the caller must not modify it.
func (r *RefFile) Bytes() []byte { return r.data }

// Write records a write of p at off, extending the file past EOF.
func (r *RefFile) Write(p []byte, off int64) {
	r.grow(off + int64(len(p)))
	copy(r.data[off:], p)
}

// Truncate sets the size; growth reads as zeroes.
func (r *RefFile) Truncate(size int64) {
	if size <= r.Size() {
		r.data = r.data[:size]
		return
	}
	r.grow(size)
}

// Zero makes [off, off+n) read as zeroes, clipped to EOF unless extend is set
// (ZERO_RANGE without KEEP_SIZE extends; punch and zero-keep-size do not).
func (r *RefFile) Zero(off, n int64, extend bool) {
	end := off + n
	if extend {
		r.grow(end)
	}
	if end > r.Size() {
		end = r.Size()
	}
	if off < end {
		clear(r.data[off:end])
	}
}

// Extend grows the file to at least size (fallocate without KEEP_SIZE).
func (r *RefFile) Extend(size int64) { r.grow(size) }

func (r *RefFile) grow(size int64) {
	if size <= r.Size() {
		return
	}
	if int64(cap(r.data)) >= size {
		old := len(r.data)
		r.data = r.data[:size]
		clear(r.data[old:])
		return
	}
	n := make([]byte, size, size+size/4)
	copy(n, r.data)
	r.data = n
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
	if fileSize != r.Size() {
		return &Mismatch{Off: min(fileSize, r.Size()), ExpectedSize: r.Size(), ActualSize: fileSize}
	}
	end := min(off+int64(len(p)), r.Size())
	if off >= end {
		return nil
	}
	want := r.data[off:end]
	got := p[:end-off]
	if bytes.Equal(want, got) {
		return nil
	}
	for i := range want {
		if want[i] != got[i] {
			return &Mismatch{Off: off + int64(i), Expected: want[i], Actual: got[i], ExpectedSize: r.Size(), ActualSize: fileSize}
		}
	}
	return nil
}
