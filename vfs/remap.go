package vfs

import "iomaplab/lab"

// Optional interfaces: a File implements them if its target can run the
// operation; callers type-assert and treat a File without one as
// EOPNOTSUPP. In each, the receiver is the destination and src the source
// (src may be the receiver itself).

// Cloner is FICLONERANGE (ioctl_ficlonerange, vfs_clone_file_range): the
// length bytes of src at srcOff come to be shared at dstOff without copying
// (length 0: to src's EOF; all three 0: FICLONE). Offsets and length are
// block aligned (the length may instead end at src's EOF); the destination
// may lie past its EOF and grows.
type Cloner interface {
	CloneRange(t *lab.Thread, src File, srcOff, dstOff, length int64) error
}

// Deduper is FIDEDUPERANGE with one destination (vfs_dedupe_file_range_one):
// if the length bytes of src at srcOff equal those at dstOff, the
// destination's blocks come to be shared with the source's and same is true;
// otherwise nothing changes and same is false (FILE_DEDUPE_RANGE_DIFFERS).
// Both ranges lie below their file's EOF; offsets are block aligned.
type Deduper interface {
	DedupeRange(t *lab.Thread, src File, srcOff, dstOff, length int64) (same bool, err error)
}

// Copier is copy_file_range(2) from src at srcOff to the receiver at dstOff.
// It returns the bytes copied, which may be fewer than length (0 at src's
// EOF); the destination grows if the copy ends past its EOF.
type Copier interface {
	CopyRange(t *lab.Thread, src File, srcOff, dstOff, length int64) (int64, error)
}
