package iomap

import (
	"syscall"

	"iomaplab/lab"
	"iomaplab/pagecache"
)

// PageMkwrite prepares the locked, uptodate folio f for stores through a
// shared mapping (iomap_page_mkwrite): it maps the folio's blocks below EOF
// for writing (the filesystem reserves delalloc over holes) and marks the
// whole folio dirty. Because the folio is locked before the mapping is
// made, no cached mapping can go stale here and no validity check is
// needed. It returns EFAULT (SIGBUS) if the folio now lies past EOF.
//
// Preconditions: invalidate_lock held shared; f locked and uptodate.
// Postconditions: f still locked; the caller makes it writable.
func PageMkwrite(t *lab.Thread, in *Inode, ops Ops, f *pagecache.Folio) error {
	size := in.Size()
	//mutant:iomap-mkwrite-eof false
	if f.Pos >= size {
		return syscall.EFAULT
	}
	in.Stats.Mkwrite.Add(1)
	if f.WriteProtected() {
		in.Stats.MkwriteAfterWB.Add(1)
	}
	length := min(f.End(), size) - f.Pos // folio_mkwrite_check_truncate
	length = (length + pagecache.BlockSize - 1) &^ (pagecache.BlockSize - 1)
	it := NewIter(in, ops, f.Pos, length, OpWrite|OpFault)
	for it.Next(t) {
		it.Advance(it.Length()) // iomap_folio_mkwrite_iter
	}
	if err := it.Err(); err != nil {
		return err
	}
	f.MarkDirty(0, f.Size)
	return nil
}
