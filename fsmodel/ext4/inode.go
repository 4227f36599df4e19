package ext4

import (
	"sync/atomic"

	"golang.org/x/sys/unix"

	"iomaplab/blockdev"
	"iomaplab/extent"
	"iomaplab/iomap"
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

	// io is the VFS inode as iomap sees it: i_size (io.Size, changed under
	// i_rwsem and, for write extension, the folio lock; read locklessly),
	// the page cache (io.Cache, i_mapping) and the block reader.
	io    iomap.Inode
	cache *pagecache.Cache // == io.Cache

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
	in.io = iomap.Inode{Ino: int64(ino), Cache: in.cache, Dev: devReader{fs.dev}, Variant: fs.opts.Variant}
	in.iRwsem.Name = "i_rwsem"
	in.invalidateLock.Name = "invalidate_lock"
	in.iDataSem.Name = "i_data_sem"
	in.iEsLock.Name = "i_es_lock"
	in.resvLock.Name = "i_block_reservation_lock"
	in.io.SetSize(d.size)
	return in
}

// lblkOf returns the file block holding byte pos.
func lblkOf(pos int64) uint64 { return uint64(pos) / extent.BlockSize }

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

// devReader is the block device as iomap's BlockReader (the bio layer).
type devReader struct{ dev blockdev.Dev }

// ReadAt implements iomap.BlockReader.
func (d devReader) ReadAt(t *lab.Thread, p []byte, addr int64) error {
	if err := d.dev.Read(t, uint64(addr)/extent.BlockSize, p); err != nil {
		return unix.EIO
	}
	return nil
}
