package xfs

import (
	"errors"
	"fmt"

	"iomaplab/blockdev"
	"iomaplab/extent"
	"iomaplab/iomap"
	"iomaplab/lab"
)

// Check runs the model's fsck and reservation oracles; call it at a
// quiescent point (no operation in flight). It returns every violation
// found, joined, or nil:
//   - fsck: each data and COW fork is canonical with no overlapping extents
//     (so no delalloc over an allocated block); each physical block backs
//     exactly as many file blocks (data and COW forks of all files) as its
//     refcount says, 1 unless a reflink shared it; the device's ownership
//     table names each file block a mapped block backs; the ownership
//     oracle recorded no violation (a write in place to a shared block is
//     one); free + used == device size, used == distinct mapped blocks ==
//     the blocks the ownership table names.
//   - livelock: no operation of a free run exceeded iomap.MaxStaleRemaps.
//   - protocol: no spurious stale verdict was recorded (free runs; a
//     controlled run fails at the verdict).
//   - reservations: reserved == the sum of delalloc lengths in both
//     forks, and no eviction found delalloc left over
//     (reserved_not_cleared).
func (fs *FS) Check(t *lab.Thread) error {
	var errs []error
	var all []extent.Owned
	var delalloc uint64
	// Every ILOCK (in inode order) for the whole check: an I/O completion
	// still in flight (fadvise and sync-range do not wait for all of it)
	// changes a fork, the refcounts and the ownership table in one ILOCK
	// hold (xfs_reflink_end_cow), so the check sees all of it or none.
	inodes := fs.Inodes(t)
	for _, ip := range inodes {
		ip.ilock.RLock(t)
	}
	defer func() {
		for _, ip := range inodes {
			ip.ilock.RUnlock(t)
		}
	}()
	for _, ip := range inodes {
		if err := ip.df.VerifyShared(); err != nil {
			errs = append(errs, fmt.Errorf("fsck: ino %d: %w", ip.ino, err))
		}
		if err := ip.cf.VerifyShared(); err != nil {
			errs = append(errs, fmt.Errorf("fsck: ino %d: COW fork: %w", ip.ino, err))
		}
		for _, e := range append(ip.df.All(), ip.cf.All()...) {
			if e.State.Physical() {
				all = append(all, extent.Owned{Ino: uint64(ip.ino), Extent: e})
			}
		}
		delalloc += ip.df.DelallocBlocks() + ip.cf.DelallocBlocks()
		if n := ip.io.Stats.Livelocks.Load(); n > 0 {
			errs = append(errs, fmt.Errorf("livelock: ino %d: %d operations exceeded %d stale remaps without progress", ip.ino, n, iomap.MaxStaleRemaps))
		}
		if ip.leaked > 0 {
			errs = append(errs, fmt.Errorf("reservations: ino %d: %d delalloc blocks left at eviction (reserved_not_cleared)", ip.ino, ip.leaked))
		}
	}
	used, shared := extent.CheckShared(all, fs.space.Refs(t))
	for _, err := range shared {
		errs = append(errs, fmt.Errorf("fsck: %w", err))
	}
	for _, o := range all {
		if err := fs.dev.CheckOwner(t, o.PBlk, o.Len(), blockdev.Owner{Ino: o.Ino, FBlk: o.Start}); err != nil {
			errs = append(errs, fmt.Errorf("fsck: ino %d: %w", o.Ino, err))
		}
	}
	fs.vmu.Lock(t)
	for _, v := range fs.violations {
		errs = append(errs, errors.New(v))
	}
	fs.vmu.Unlock(t)
	for _, v := range fs.dev.Violations(t) {
		errs = append(errs, fmt.Errorf("block ownership: %v", v))
	}
	if owned := fs.dev.OwnedBlocks(t); owned != used {
		errs = append(errs, fmt.Errorf("fsck: the device's ownership table names %d blocks, files map %d", owned, used))
	}
	if err := fs.space.VerifyMapped(t, used); err != nil {
		errs = append(errs, fmt.Errorf("fsck: space: %w", err))
	}
	if st := fs.space.Stats(t); st.Reserved != delalloc {
		errs = append(errs, fmt.Errorf("reservations: %d blocks reserved, %d delalloc", st.Reserved, delalloc))
	}
	return errors.Join(errs...)
}

// CheckCleared is the reservations-cleared oracle after sync + evict (a
// Remount): no delalloc and no reservation may remain, and Check must pass.
func (fs *FS) CheckCleared(t *lab.Thread) error {
	err := fs.Check(t)
	if r := fs.space.Stats(t).Reserved; r != 0 {
		err = errors.Join(err, fmt.Errorf("reservations: %d blocks still reserved after sync and evict", r))
	}
	return err
}

// protocolViolation reports a spurious stale verdict. A controlled run stops
// at once (t.Fail unwinds every thread); a free run cannot unwind threads
// blocked on the folio lock this thread holds, so there the violation is
// recorded for Check to report.
func (fs *FS) protocolViolation(t *lab.Thread, msg string) {
	if t.World().Controlled() {
		t.Fail(msg)
	}
	fs.vmu.Lock(t)
	fs.violations = append(fs.violations, msg)
	fs.vmu.Unlock(t)
}
