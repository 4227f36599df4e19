package memfs

import (
	"bytes"
	"syscall"

	"iomaplab/lab"
	"iomaplab/vfs"
)

// blockSize is the alignment clone and dedupe require.
const blockSize = 4096

var (
	_ vfs.Cloner  = (*File)(nil)
	_ vfs.Deduper = (*File)(nil)
	_ vfs.Copier  = (*File)(nil)
)

// lockPair takes f's and src's locks exclusively, in the order the files
// were created (once if they are the same file), and returns the unlock.
func (f *File) lockPair(t *lab.Thread, src *File) func() {
	a, b := f, src
	if b.idx < a.idx {
		a, b = b, a
	}
	a.mu.Lock(t)
	if b != a {
		b.mu.Lock(t)
	}
	return func() {
		if b != a {
			b.mu.Unlock(t)
		}
		a.mu.Unlock(t)
	}
}

// checkRemap validates a clone, dedupe or copy's arguments as the kernel's
// generic_remap_checks and generic_copy_file_checks do for what fsx sends:
// src is a memfs file, the source range is inside the source, and ranges of
// one file do not overlap.
func (f *File) checkRemap(src vfs.File, srcOff, dstOff, length int64, aligned bool) (*File, error) {
	s, ok := src.(*File)
	switch {
	case !ok || s.fs != f.fs:
		return nil, syscall.EXDEV
	case srcOff < 0 || dstOff < 0 || length <= 0:
		return nil, syscall.EINVAL
	case aligned && (srcOff%blockSize != 0 || dstOff%blockSize != 0 || length%blockSize != 0):
		return nil, syscall.EINVAL
	case s == f && srcOff < dstOff+length && dstOff < srcOff+length:
		return nil, syscall.EINVAL
	}
	return s, nil
}

// CloneRange implements vfs.Cloner by copying: the destination's bytes
// become the source's, a gap past its EOF zeroes. Bugs.CloneDoesNothing
// makes it return success without doing anything.
func (f *File) CloneRange(t *lab.Thread, src vfs.File, srcOff, dstOff, length int64) error {
	s, err := f.checkRemap(src, srcOff, dstOff, length, true)
	if err != nil {
		return err
	}
	unlock := f.lockPair(t, s)
	defer unlock()
	if srcOff+length > int64(len(s.data)) {
		return syscall.EINVAL
	}
	if f.fs.Bugs.CloneDoesNothing {
		return nil
	}
	f.copyRange(s, srcOff, dstOff, length)
	return nil
}

func (f *File) copyRange(s *File, srcOff, dstOff, length int64) {
	p := bytes.Clone(s.data[srcOff : srcOff+length])
	f.grow(dstOff + length)
	copy(f.data[dstOff:], p)
}

// DedupeRange implements vfs.Deduper: memfs shares nothing, so it only
// compares. Bugs.DedupeCopies makes it copy the source over differing
// bytes (a dedupe that does not compare).
func (f *File) DedupeRange(t *lab.Thread, src vfs.File, srcOff, dstOff, length int64) (bool, error) {
	s, err := f.checkRemap(src, srcOff, dstOff, length, true)
	if err != nil {
		return false, err
	}
	unlock := f.lockPair(t, s)
	defer unlock()
	if srcOff+length > int64(len(s.data)) || dstOff+length > int64(len(f.data)) {
		return false, syscall.EINVAL
	}
	if err := t.Point("memfs.dedupe"); err != nil {
		return false, err
	}
	same := bytes.Equal(s.data[srcOff:srcOff+length], f.data[dstOff:dstOff+length])
	if !same && f.fs.Bugs.DedupeCopies {
		f.copyRange(s, srcOff, dstOff, length)
		return true, nil
	}
	return same, nil
}

// CopyRange implements vfs.Copier: at most half of the asked bytes per call
// (at least one), so callers must loop as for copy_file_range; 0 at the
// source's EOF.
func (f *File) CopyRange(t *lab.Thread, src vfs.File, srcOff, dstOff, length int64) (int64, error) {
	s, err := f.checkRemap(src, srcOff, dstOff, length, false)
	if err != nil {
		return 0, err
	}
	unlock := f.lockPair(t, s)
	defer unlock()
	n := min(max(length/2, 1), int64(len(s.data))-srcOff)
	if n <= 0 {
		return 0, nil
	}
	f.copyRange(s, srcOff, dstOff, n)
	return n, nil
}
