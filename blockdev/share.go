package blockdev

import (
	"fmt"
	"slices"

	"iomaplab/lab"
)

// Shared blocks (reflink): a physical block may belong to several file
// blocks at once, as long as the fs model's refcounts say so. The first
// owner stays in the ownership table; the others are kept in d.extra. A data
// write to a block with more than one owner is a WriteShared violation
// whoever claims it: a write to shared data must go to a new block (copy on
// write), never in place.

// Share adds file blocks [fblk, fblk+n) of inode ino as further owners of
// the owned physical blocks [pblk, pblk+n) (a reflink maps them into another
// file). Adding an owner a block already has is a DoubleOwn violation.
//
// Preconditions: ino != 0; every block is owned (sharing a block nobody owns
// panics: the fs model's bookkeeping is broken).
func (d *Device) Share(t *lab.Thread, pblk, n, ino, fblk uint64) {
	d.claimEach(t, "Share", pblk, n, ino, fblk, func(b uint64, claim Owner) {
		cur := d.ownerLocked(b)
		if cur.Ino == 0 {
			panic(fmt.Sprintf("blockdev: Share(%d, %d): block %d is not owned", pblk, n, b))
		}
		if cur == claim || slices.Contains(d.extra[b], claim) {
			d.violate(t, Violation{Kind: DoubleOwn, PBlk: b, Claim: claim, Actual: cur})
			return
		}
		d.extra[b] = append(d.extra[b], claim)
	})
}

// Unshare removes file blocks [o.FBlk, o.FBlk+n) of inode o.Ino from the
// owners of physical blocks [pblk, pblk+n); a block whose last owner that
// was is owned by nobody afterwards. The fs model calls it when a file
// unmaps a block whose reference it drops (punch, truncate, COW remap).
//
// Preconditions: o is an owner of every block (else it panics).
func (d *Device) Unshare(t *lab.Thread, pblk, n uint64, o Owner) {
	d.mustRange("Unshare", pblk, n)
	d.ownMu.Lock(t)
	defer d.ownMu.Unlock(t)
	for i := range n {
		b, want := pblk+i, Owner{o.Ino, o.FBlk + i}
		rest := d.extra[b]
		switch j := slices.Index(rest, want); {
		case d.ownerLocked(b) == want && len(rest) > 0:
			d.setOwnerLocked(b, rest[0]) // promote the next owner
			d.setExtra(b, rest[1:])
		case d.ownerLocked(b) == want:
			d.setOwnerLocked(b, Owner{})
		case j >= 0:
			d.setExtra(b, slices.Delete(slices.Clone(rest), j, j+1))
		default:
			panic(fmt.Sprintf("blockdev: Unshare(%d, %d, %v): block %d is owned by %v, %v", pblk, n, o, b, d.ownerLocked(b), rest))
		}
	}
}

// OwnersOf returns every owner of pblk, the first one first (none if the
// block is free).
func (d *Device) OwnersOf(t *lab.Thread, pblk uint64) []Owner {
	d.mustRange("OwnersOf", pblk, 1)
	d.ownMu.RLock(t)
	defer d.ownMu.RUnlock(t)
	cur := d.ownerLocked(pblk)
	if cur.Ino == 0 {
		return nil
	}
	return append([]Owner{cur}, d.extra[pblk]...)
}

func (d *Device) setExtra(pblk uint64, owners []Owner) {
	if len(owners) == 0 {
		delete(d.extra, pblk)
		return
	}
	d.extra[pblk] = owners
}

// ownedByLocked reports whether o is one of pblk's owners. The caller holds
// d.ownMu.
func (d *Device) ownedByLocked(pblk uint64, o Owner) bool {
	return d.ownerLocked(pblk) == o || slices.Contains(d.extra[pblk], o)
}
