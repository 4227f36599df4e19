package check

import "iomaplab/vfs"

// Fallocate records a successful fallocate(2) of [off, off+n) in mode:
// allocation changes no byte but mode 0 extends i_size; punch and zero range
// make the range read as zeroes (zero range without KEEP_SIZE extends).
func (r *RefFile) Fallocate(mode vfs.FallocMode, off, n int64) {
	switch mode {
	case vfs.FallocAllocate:
		r.Extend(off + n)
	case vfs.FallocKeepSize:
	case vfs.FallocPunch, vfs.FallocZeroKeepSize:
		r.Zero(off, n, false)
	case vfs.FallocZero:
		r.Zero(off, n, true)
	}
}
