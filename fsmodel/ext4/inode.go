package ext4

import (
	"sync/atomic"

	"iomaplab/extent"
	"iomaplab/lab"
	"iomaplab/pagecache"
)

// inode is one in-core inode (struct inode with struct ext4_inode_info).
// Remount drops it; the next iget builds a new one from its diskInode.
//
// Lock order: i_rwsem -> invalidate_lock -> folio lock -> i_data_sem ->
// i_es_lock -> i_block_reservation_lock -> extent.Space.
type inode struct {
	fs  *FS
	ino uint64

	iRwsem         lab.RWMutex // i_rwsem (inode_lock)
	invalidateLock lab.RWMutex // mapping->invalidate_lock
	iDataSem       lab.RWMutex // EXT4_I(inode)->i_data_sem: guards ext
	iEsLock        lab.RWMutex // EXT4_I(inode)->i_es_lock (an rwlock_t): guards es
	resvLock       lab.Mutex   // i_block_reservation_lock: guards reserved

	// size is i_size: changed under i_rwsem (and the folio lock for write
	// extension), read locklessly (i_size_read).
	size atomic.Int64

	cache *pagecache.Cache // i_mapping

	es    esTree        // the extent status tree, under iEsLock
	esSeq atomic.Uint64 // i_es_seq: bumped under iEsLock (exclusive) on every ES change

	disk *diskInode
	ext  *extent.Map // the on-disk extent tree (== disk.ext), under iDataSem

	reserved uint64 // i_reserved_data_blocks, under resvLock

	// wbErr is the writeback error for the next fsync (mapping->wb_err).
	wbErr atomic.Pointer[error]
}

func newInode(fs *FS, ino uint64, d *diskInode) *inode {
	in := &inode{
		fs:    fs,
		ino:   ino,
		cache: pagecache.New(pagecache.PageSize),
		es:    newESTree(),
		disk:  d,
		ext:   d.ext,
	}
	in.iRwsem.Name = "i_rwsem"
	in.invalidateLock.Name = "invalidate_lock"
	in.iDataSem.Name = "i_data_sem"
	in.iEsLock.Name = "i_es_lock"
	in.resvLock.Name = "i_block_reservation_lock"
	in.size.Store(d.size)
	return in
}

// lblkOf returns the file block holding byte pos.
func lblkOf(pos int64) uint64 { return uint64(pos) / extent.BlockSize }

// isizeBlocks returns the number of blocks below i_size.
func (in *inode) isizeBlocks() uint64 {
	return extent.BlockRange(0, in.size.Load()).End
}

// setWBErr records a writeback error for the next fsync (mapping_set_error).
func (in *inode) setWBErr(err error) {
	if err != nil {
		in.wbErr.Store(&err)
	}
}

// takeWBErr returns and clears the pending writeback error (file_check_and_advance_wb_err).
func (in *inode) takeWBErr() error {
	if p := in.wbErr.Swap(nil); p != nil {
		return *p
	}
	return nil
}
