package ext4

import (
	"iomaplab/lab"
)

// This file models delayed-allocation reservation accounting (fs/ext4/inode.c):
// i_reserved_data_blocks per inode, under i_block_reservation_lock, and the
// filesystem-wide s_dirtyclusters_counter, which is extent.Space's reserved
// counter. One cluster is one block (no bigalloc).

// daReserveSpace is ext4_da_reserve_space for n blocks from lblk: claim n
// free clusters (ext4_claim_free_clusters) and count them in
// i_reserved_data_blocks. It returns ENOSPC, reserving nothing, when fewer
// than n unreserved blocks are left.
func (in *inode) daReserveSpace(t *lab.Thread, lblk, n uint64) error {
	in.resvLock.Lock(t)
	defer in.resvLock.Unlock(t)
	if err := in.fs.space.Reserve(t, n); err != nil {
		return err
	}
	in.reserved += n
	t.Tracepoint("da_reserve", lab.F("ino", int64(in.ino)), lab.F("lblk", int64(lblk)),
		lab.F("len", int64(n)), lab.F("reserved", int64(in.reserved)))
	return nil
}

// daReleaseSpace is ext4_da_release_space: give back toFree reservations of
// delayed blocks that were removed without being allocated (punch,
// truncate, inode eviction). Releasing more than is reserved warns and
// releases what there is, as the kernel does.
func (in *inode) daReleaseSpace(t *lab.Thread, lblk, toFree uint64) {
	if toFree == 0 {
		return
	}
	in.resvLock.Lock(t)
	defer in.resvLock.Unlock(t)
	if toFree > in.reserved {
		in.fs.msg(t, "ext4_da_release_space: ino %d, to_free %d with only %d reserved data blocks",
			in.ino, toFree, in.reserved)
		toFree = in.reserved
	}
	in.reserved -= toFree
	in.fs.space.Unreserve(t, toFree)
	t.Tracepoint("da_release", lab.F("ino", int64(in.ino)), lab.F("lblk", int64(lblk)),
		lab.F("len", int64(toFree)), lab.F("reserved", int64(in.reserved)))
}

// daUpdateReserveSpace is ext4_da_update_reserve_space: used reserved
// blocks were allocated. With claimed set the allocation itself consumed
// the dirty-clusters reservation (extent.Space.AllocReserved: writeback of
// delayed blocks); otherwise (fallocate over delayed blocks, or writeback
// that found too little reserved) it is given back here. Using more than
// is reserved warns and uses what there is, as the kernel does. It returns
// the blocks used (what dquot_claim_block charges when the caller claims
// quota).
func (in *inode) daUpdateReserveSpace(t *lab.Thread, lblk, used uint64, claimed bool) uint64 {
	in.resvLock.Lock(t)
	defer in.resvLock.Unlock(t)
	if used > in.reserved {
		in.fs.msg(t, "ext4_da_update_reserve_space: ino %d, used %d with only %d reserved data blocks",
			in.ino, used, in.reserved)
		used = in.reserved
	}
	in.reserved -= used
	if !claimed {
		in.fs.space.Unreserve(t, used)
	}
	claim := int64(0)
	if claimed {
		claim = 1
	}
	t.Tracepoint("da_update_reserve", lab.F("ino", int64(in.ino)), lab.F("lblk", int64(lblk)),
		lab.F("len", int64(used)), lab.F("reserved", int64(in.reserved)), lab.F("claimed", claim))
	return used
}

// reservedBlocks returns i_reserved_data_blocks.
func (in *inode) reservedBlocks(t *lab.Thread) uint64 {
	in.resvLock.Lock(t)
	defer in.resvLock.Unlock(t)
	return in.reserved
}
