package ext4

import (
	"iomaplab/extent"
	"iomaplab/lab"
)

// Extents returns the file's on-disk extent tree: its written and
// unwritten extents, what FIEMAP reports on a quiescent, remounted 6.18
// ext4 (no delayed extents left). The kernel differential check compares
// it block by block with the kernel's (kernel.Differential).
func (f *File) Extents(t *lab.Thread) []extent.Extent {
	in := f.inode(t)
	in.iDataSem.RLock(t)
	defer in.iDataSem.RUnlock(t)
	return in.ext.All()
}
