package blockdev

import (
	"fmt"

	"iomaplab/lab"
)

// Owner names the file block a physical block belongs to: inode Ino (never
// 0), file block FBlk. The zero Owner is nobody.
type Owner struct {
	Ino, FBlk uint64
}

func (o Owner) String() string {
	if o.Ino == 0 {
		return "nobody"
	}
	return fmt.Sprintf("ino %d fblk %d", o.Ino, o.FBlk)
}

// ViolationKind says how the block-ownership oracle was violated.
type ViolationKind uint8

const (
	// WriteUnowned: a data write to a block nobody owns (a freed block).
	WriteUnowned ViolationKind = iota + 1
	// WriteForeign: a data write to a block another file block owns.
	WriteForeign
	// DoubleOwn: Own of a block that another file block already owns.
	DoubleOwn
	// WriteShared: a data write in place to a block several file blocks
	// own (reflinked data must be copied on write).
	WriteShared
)

func (k ViolationKind) String() string {
	switch k {
	case WriteUnowned:
		return "write-unowned"
	case WriteForeign:
		return "write-foreign"
	case DoubleOwn:
		return "double-own"
	case WriteShared:
		return "write-shared"
	}
	return fmt.Sprintf("violation(%d)", uint8(k))
}

// Violation is one failure of the block-ownership oracle.
type Violation struct {
	Kind   ViolationKind
	PBlk   uint64
	Claim  Owner  // who wrote (or tried to own) the block
	Actual Owner  // who owned it at that moment
	Thread string // the lab thread that did it
}

func (v Violation) String() string {
	return fmt.Sprintf("%v: pblk %d claimed by %v, owned by %v (thread %s)", v.Kind, v.PBlk, v.Claim, v.Actual, v.Thread)
}

// ownPage is one page of the ownership table.
type ownPage [512]Owner

// ownerLocked returns the owner of pblk. The caller holds d.ownMu.
func (d *Device) ownerLocked(pblk uint64) Owner {
	if p := d.owners[pblk/512]; p != nil {
		return p[pblk%512]
	}
	return Owner{}
}

func (d *Device) setOwnerLocked(pblk uint64, o Owner) {
	p := d.owners[pblk/512]
	if p == nil {
		if o.Ino == 0 {
			return
		}
		p = new(ownPage)
		d.owners[pblk/512] = p
	}
	switch {
	case p[pblk%512].Ino == 0 && o.Ino != 0:
		d.nOwned++
	case p[pblk%512].Ino != 0 && o.Ino == 0:
		d.nOwned--
	}
	p[pblk%512] = o
}

// Own records that physical blocks [pblk, pblk+n) now hold file blocks
// [fblk, fblk+n) of inode ino; the fs model calls it when it allocates
// blocks to a file. A block that another file block already owns keeps its
// owner, and the attempt is a DoubleOwn violation; re-owning a block for the
// same file block is allowed.
//
// Preconditions: ino != 0; the blocks lie on the device.
func (d *Device) Own(t *lab.Thread, pblk, n, ino, fblk uint64) {
	d.claimEach(t, "Own", pblk, n, ino, fblk, func(b uint64, claim Owner) {
		switch cur := d.ownerLocked(b); cur {
		case Owner{}:
			d.setOwnerLocked(b, claim)
		case claim:
		default:
			d.violate(t, Violation{Kind: DoubleOwn, PBlk: b, Claim: claim, Actual: cur})
		}
	})
}

// claimEach checks an Own or Share call's arguments and, under the owner
// lock, calls claim for each physical block with the file block it is
// claimed for.
func (d *Device) claimEach(t *lab.Thread, op string, pblk, n, ino, fblk uint64, claim func(b uint64, c Owner)) {
	d.mustRange(op, pblk, n)
	if ino == 0 {
		panic(fmt.Sprintf("blockdev: %s(%d, %d) by inode 0", op, pblk, n))
	}
	d.ownMu.Lock(t)
	defer d.ownMu.Unlock(t)
	for i := range n {
		claim(pblk+i, Owner{ino, fblk + i})
	}
}

// Disown records that physical blocks [pblk, pblk+n) no longer belong to any
// file (not even sharing owners); the fs model calls it when it frees them
// (punch, truncate, COW).
//
// Preconditions: every block is owned (disowning a free block panics: the
// fs model's own bookkeeping is broken).
func (d *Device) Disown(t *lab.Thread, pblk, n uint64) {
	d.mustRange("Disown", pblk, n)
	d.ownMu.Lock(t)
	defer d.ownMu.Unlock(t)
	for i := range n {
		if d.ownerLocked(pblk+i) == (Owner{}) {
			panic(fmt.Sprintf("blockdev: Disown(%d, %d): block %d is not owned", pblk, n, pblk+i))
		}
	}
	for i := range n {
		d.setOwnerLocked(pblk+i, Owner{})
		d.setExtra(pblk+i, nil)
	}
}

// OwnerOf returns the owner of pblk (the zero Owner if none).
func (d *Device) OwnerOf(t *lab.Thread, pblk uint64) Owner {
	d.mustRange("OwnerOf", pblk, 1)
	d.ownMu.RLock(t)
	defer d.ownMu.RUnlock(t)
	return d.ownerLocked(pblk)
}

// CheckOwner returns nil if block pblk+i is owned by (o.Ino, o.FBlk+i),
// alone or among the owners of a shared block, for every i < n, else an error naming the first block that is not: the fsck
// cross-check of a fork's physical extents against the ownership table.
func (d *Device) CheckOwner(t *lab.Thread, pblk, n uint64, o Owner) error {
	d.mustRange("CheckOwner", pblk, n)
	d.ownMu.RLock(t)
	defer d.ownMu.RUnlock(t)
	for i := range n {
		want := Owner{o.Ino, o.FBlk + i}
		if !d.ownedByLocked(pblk+i, want) {
			var cur any = d.ownerLocked(pblk + i)
			if rest := d.extra[pblk+i]; len(rest) > 0 {
				cur = append([]Owner{d.ownerLocked(pblk + i)}, rest...)
			}
			return fmt.Errorf("blockdev: pblk %d owned by %v, not %v", pblk+i, cur, want)
		}
	}
	return nil
}

// OwnedBlocks returns the number of owned blocks, which an fsck compares
// with the allocator's used count.
func (d *Device) OwnedBlocks(t *lab.Thread) uint64 {
	d.ownMu.RLock(t)
	defer d.ownMu.RUnlock(t)
	return d.nOwned
}

// Violations returns the block-ownership violations so far, in the order
// they happened.
func (d *Device) Violations(t *lab.Thread) []Violation {
	d.vMu.Lock(t)
	defer d.vMu.Unlock(t)
	return append([]Violation(nil), d.violations...)
}

// SetFailOnViolation makes every later violation also stop the run with
// t.Fail (the lab's explore mode: stop at the first caught bug). Call it
// before the run starts.
func (d *Device) SetFailOnViolation(on bool) { d.failOnViolation.Store(on) }

// violate records v, emits the block_ownership_violation tracepoint and, if
// asked, fails the run.
func (d *Device) violate(t *lab.Thread, v Violation) {
	v.Thread = t.Name()
	d.vMu.Lock(t)
	d.violations = append(d.violations, v)
	d.vMu.Unlock(t)
	t.Tracepoint("block_ownership_violation",
		lab.F("kind", int64(v.Kind)), lab.F("pblk", int64(v.PBlk)),
		lab.F("ino", int64(v.Claim.Ino)), lab.F("fblk", int64(v.Claim.FBlk)),
		lab.F("owner_ino", int64(v.Actual.Ino)), lab.F("owner_fblk", int64(v.Actual.FBlk)))
	if d.failOnViolation.Load() {
		t.Fail("block ownership oracle: " + v.String())
	}
}
