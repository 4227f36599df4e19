package xfs

import (
	"iomaplab/extent"
	"iomaplab/lab"
)

// ondisk is the persisted metadata: each inode's on-disk size, reflink and prealloc flags
// and its written and unwritten extents (the bmbt). The model writes it whenever a
// transaction would commit (allocation, conversion, punch, truncate) and
// reads it only at remount.
type ondisk struct {
	mu     lab.Mutex
	inodes []diskInode // by ino - 1
}

type diskInode struct {
	size     int64
	extents  []extent.Extent
	reflink  bool // XFS_DIFLAG2_REFLINK
	prealloc bool // XFS_DIFLAG_PREALLOC
}

func (d *ondisk) store(t *lab.Thread, ino int64, di diskInode) {
	d.mu.Lock(t)
	defer d.mu.Unlock(t)
	for int64(len(d.inodes)) < ino {
		d.inodes = append(d.inodes, diskInode{})
	}
	d.inodes[ino-1] = di
}

func (d *ondisk) load(t *lab.Thread, ino int64) diskInode {
	d.mu.Lock(t)
	defer d.mu.Unlock(t)
	if ino > int64(len(d.inodes)) {
		return diskInode{}
	}
	return d.inodes[ino-1]
}
