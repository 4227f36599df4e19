package ext4

import (
	"errors"
	"fmt"
	"strings"

	"iomaplab/blockdev"
	"iomaplab/extent"
	"iomaplab/lab"
)

// Fsck is the fsck oracle, for a quiescent filesystem (no operation in
// flight, I/O completions drained). It checks:
//   - each on-disk extent tree is well formed (extent.Map.Verify: no
//     overlap, no physical block mapped twice within a file);
//   - no physical block belongs to two files, and the device's ownership
//     table names (inode, file block) for every mapped block;
//   - each in-core extent status tree: entries do not overlap, written and
//     unwritten entries agree with the on-disk tree, and no delayed entry
//     covers a block the on-disk tree has allocated (the seed's corruption:
//     "delayed over allocated");
//   - each inode's i_blocks equals the blocks its extent tree maps
//     (e2fsck: "i_blocks is X, should be Y");
//   - the allocator's accounting (extent.Space.Verify: free + used == total,
//     reserved <= free) and used == the blocks the files map.
func (fs *FS) Fsck(t *lab.Thread) error {
	var errs []error
	var phys []extent.Owned
	var mapped uint64
	for _, ino := range fs.diskInodes(t) {
		in := fs.incoreInode(t, ino)
		fs.mu.Lock(t)
		d := fs.disk[ino]
		fs.mu.Unlock(t)
		ext := d.ext
		if in != nil {
			in.iDataSem.RLock(t)
		}
		var inoMapped uint64
		if err := ext.Verify(); err != nil {
			errs = append(errs, fmt.Errorf("ino %d: extent tree: %w", ino, err))
		}
		for _, e := range ext.All() {
			if e.State.Physical() {
				phys = append(phys, extent.Owned{Ino: ino, Extent: e})
				mapped += e.Len()
				inoMapped += e.Len()
				if err := fs.dev.CheckOwner(t, e.PBlk, e.Len(), blockdev.Owner{Ino: ino, FBlk: e.Start}); err != nil {
					errs = append(errs, fmt.Errorf("ino %d: %w", ino, err))
				}
			}
		}
		if d.blocks != inoMapped {
			errs = append(errs, fmt.Errorf("ino %d: i_blocks is %d, should be %d", ino, d.blocks, inoMapped))
		}
		if in != nil {
			errs = append(errs, in.checkES(t)...)
			in.iDataSem.RUnlock(t)
		}
	}
	errs = append(errs, extent.CrossLinked(phys)...)
	if err := fs.space.VerifyMapped(t, mapped); err != nil {
		errs = append(errs, fmt.Errorf("space: %w", err))
	}
	return errors.Join(errs...)
}

// checkES checks the extent status tree against the on-disk tree.
//
// Preconditions: i_data_sem held.
func (in *inode) checkES(t *lab.Thread) []error {
	in.iEsLock.RLock(t)
	defer in.iEsLock.RUnlock(t)
	var errs []error
	var prev esEntry
	for i, e := range in.es.all() {
		if i > 0 && e.Start < prev.End {
			errs = append(errs, fmt.Errorf("ino %d: extent status %v overlaps %v", in.ino, e, prev))
		}
		prev = e
		for d := range in.ext.Walk(e.Range) {
			switch {
			case e.status == esDelayed && d.State.Physical():
				errs = append(errs, fmt.Errorf("ino %d: delayed extent status over allocated block(s): %v over on-disk %v", in.ino, e, d))
			case e.status.physical() && (esStatusOf(d.State) != e.status || e.clip(d.Range).pblk != d.PBlk):
				errs = append(errs, fmt.Errorf("ino %d: extent status %v disagrees with on-disk %v", in.ino, e, d))
			case e.status == esHole && d.State.Physical():
				errs = append(errs, fmt.Errorf("ino %d: hole in extent status %v over allocated %v", in.ino, e, d))
			}
		}
	}
	return errs
}

// incoreInode returns the in-core inode ino, or nil.
func (fs *FS) incoreInode(t *lab.Thread, ino uint64) *inode {
	fs.mu.Lock(t)
	defer fs.mu.Unlock(t)
	return fs.icache[ino]
}

// CheckReservations is the quiescent half of the reservations-cleared
// oracle: every in-core inode's i_reserved_data_blocks equals its delayed
// blocks in the extent status tree, and the dirty-clusters counter equals
// their sum.
func (fs *FS) CheckReservations(t *lab.Thread) error {
	var errs []error
	var sum uint64
	for _, in := range fs.incore(t) {
		in.iEsLock.RLock(t)
		delayed := in.es.delayedIn(extent.Range{Start: 0, End: extent.MaxBlock})
		in.iEsLock.RUnlock(t)
		reserved := in.reservedBlocks(t)
		sum += reserved
		if reserved != delayed {
			errs = append(errs, fmt.Errorf("ino %d: i_reserved_data_blocks %d != %d delayed blocks", in.ino, reserved, delayed))
		}
	}
	if r := fs.space.Stats(t).Reserved; r != sum {
		errs = append(errs, fmt.Errorf("s_dirtyclusters_counter %d != %d reserved by inodes", r, sum))
	}
	return errors.Join(errs...)
}

// NotCleared returns the kernel log's "i_reserved_data_blocks (K) not
// cleared!" lines so far: the evict half of the reservations-cleared oracle.
func (fs *FS) NotCleared(t *lab.Thread) []string {
	var out []string
	for _, l := range fs.Log(t) {
		if strings.HasSuffix(l, "not cleared!") {
			out = append(out, l)
		}
	}
	return out
}

// ReservationsCleared is the whole reservations-cleared oracle:
// CheckReservations now, then sync + evict (Remount), then no
// "not cleared!" line in the log.
func (fs *FS) ReservationsCleared(t *lab.Thread) error {
	errs := []error{fs.CheckReservations(t)}
	if err := fs.Remount(t); err != nil {
		errs = append(errs, fmt.Errorf("remount: %w", err))
	}
	for _, l := range fs.NotCleared(t) {
		errs = append(errs, errors.New(l))
	}
	return errors.Join(errs...)
}
