package ext4

import (
	"math"

	"iomaplab/extent"
	"iomaplab/lab"
)

// Remount implements vfs.FS: sync every in-core inode, evict them all, and
// start again from what is on disk, as umount + mount does. Eviction is
// where a leaked delalloc reservation shows: ext4_destroy_inode logs
// "Inode N: i_reserved_data_blocks (K) not cleared!" and emits tracepoint
// reserved_not_cleared (ino, reserved). The new mount's dirty-clusters
// counter starts at zero.
//
// Preconditions: no other operation of this filesystem is in flight (as
// umount requires).
func (fs *FS) Remount(t *lab.Thread) error {
	var first error
	incore := fs.incore(t)
	for _, in := range incore {
		if err := in.fsync(t); err != nil && first == nil {
			first = err
		}
	}
	for _, in := range incore {
		fs.evict(t, in)
	}
	fs.mu.Lock(t)
	clear(fs.icache)
	fs.mu.Unlock(t)
	if left := fs.space.Stats(t).Reserved; left > 0 {
		fs.msg(t, "put_super: s_dirtyclusters_counter is %d, not 0", left)
		fs.space.Unreserve(t, left)
	}
	return first
}

// evict is ext4_evict_inode for a linked inode: truncate_inode_pages_final,
// ext4_clear_inode (ext4_es_remove_extent of the whole file, which releases
// the reservations of delayed blocks still in the tree) and
// ext4_destroy_inode's check that no reservation is left.
func (fs *FS) evict(t *lab.Thread, in *inode) {
	in.cache.TruncateRange(t, 0, math.MaxInt64)
	in.esRemoveExtent(t, extent.Range{Start: 0, End: extent.MaxBlock})
	if left := in.reservedBlocks(t); left != 0 {
		t.Tracepoint("reserved_not_cleared", lab.F("ino", int64(in.ino)), lab.F("reserved", int64(left)))
		fs.msg(t, "Inode %d: i_reserved_data_blocks (%d) not cleared!", in.ino, left)
	}
	fs.mu.Lock(t)
	in.disk.size = in.io.Size()
	fs.mu.Unlock(t)
}

// DropCaches implements vfs.FS: evict every clean, idle folio of every
// in-core inode (echo 1 > drop_caches).
func (fs *FS) DropCaches(t *lab.Thread) error {
	for _, in := range fs.incore(t) {
		in.cache.Reclaim(t, 0, math.MaxInt64)
	}
	return nil
}
