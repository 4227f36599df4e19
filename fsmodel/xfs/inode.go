package xfs

import (
	"fmt"
	"sync/atomic"

	"iomaplab/blockdev"
	"iomaplab/extent"
	"iomaplab/iomap"
	"iomaplab/lab"
	"iomaplab/pagecache"
)

const bs = extent.BlockSize

// maxFileSize bounds file offsets (the largest byte range walks use).
const maxFileSize = int64(1) << 50

// Inode is one XFS file: struct xfs_inode with its VFS inode.
type Inode struct {
	fs   *FS
	ino  int64
	name string
	io   iomap.Inode

	iolock   lab.RWMutex // i_rwsem (XFS_IOLOCK)
	mmaplock lab.RWMutex // invalidate_lock (XFS_MMAPLOCK)
	ilock    lab.RWMutex // ILOCK: guards df, lastAlloc, changes

	df        extent.Map // the data fork (i_df); df.Seq() is if_seq
	lastAlloc uint64     // allocation hint: the block after the last allocation

	// The COW fork (i_cowfp, cow.go) and the reflink flag
	// (XFS_DIFLAG2_REFLINK), both under ILOCK. cowData mirrors "the COW
	// fork has extents" for lockless readers (xfs_inode_has_cow_data).
	cf      extent.Map
	reflink bool
	// diflagPrealloc is XFS_DIFLAG_PREALLOC, set (and persisted) by
	// fallocate's allocation (xfs_alloc_file_space): xfs_free_eofblocks
	// then keeps the file's real blocks past EOF. Under ILOCK.
	diflagPrealloc bool
	cowData        atomic.Bool
	cowChanges     atomic.Pointer[changeLog] // as changes, for the COW fork
	cowNoted       uint64

	// changes records who made the data fork's most recent changes, for
	// the protocol oracle. Written under ILOCK exclusive, read locklessly.
	changes atomic.Pointer[changeLog]
	noted   uint64 // the seq changes last recorded; under ILOCK
	leaked  uint64 // delalloc blocks found at eviction; under ILOCK

	wbErr atomic.Pointer[error] // a writeback error for fsync (mapping_set_error)

	write iomap.Ops // readWriteOps, or noValidOps
	read  readOps
	wb    wbOps
}

func newInode(fs *FS, ino int64, name string) *Inode {
	ip := &Inode{
		fs: fs, ino: ino, name: name,
		iolock:   lab.RWMutex{Name: "i_rwsem"},
		mmaplock: lab.RWMutex{Name: "invalidate_lock"},
		ilock:    lab.RWMutex{Name: "ILOCK"},
	}
	ip.io = iomap.Inode{Ino: ino, Cache: pagecache.New(fs.opts.FolioSize), Dev: devReader{fs.dev}, Variant: fs.opts.Variant}
	ip.write, ip.read, ip.wb = readWriteOps{ip}, readOps{ip}, wbOps{ip}
	if fs.opts.NoIomapValid {
		ip.write = noValidOps{readWriteOps{ip}}
	}
	ip.changes.Store(&changeLog{})
	ip.cowChanges.Store(&changeLog{})
	return ip
}

// Ino is the inode number.
func (ip *Inode) Ino() int64 { return ip.ino }

// Name is the file's name.
func (ip *Inode) Name() string { return ip.name }

// IomapInode exposes the iomap view (page cache, stats) for tests and oracles.
func (ip *Inode) IomapInode() *iomap.Inode { return &ip.io }

// changeLog summarises the data fork's change history for the protocol
// oracle: the last change's seq and thread, and the latest seq changed by a
// thread other than that one.
type changeLog struct {
	lastSeq    uint64
	lastThread int
	otherSeq   uint64
}

// noteChange records that t changed the data fork if its seq moved.
// Preconditions: ILOCK held exclusively.
func (ip *Inode) noteChange(t *lab.Thread) {
	recordChange(t, &ip.changes, &ip.noted, ip.df.Seq())
}

// recordChange logs in log that t moved a fork's seq to seq, unless noted
// already holds it.
func recordChange(t *lab.Thread, log *atomic.Pointer[changeLog], noted *uint64, seq uint64) {
	if seq == *noted {
		return
	}
	*noted = seq
	old := log.Load()
	c := &changeLog{lastSeq: seq, lastThread: t.ID(), otherSeq: old.otherSeq}
	if old.lastThread != t.ID() {
		c.otherSeq = old.lastSeq
	}
	log.Store(c)
}

// changedByOthersSince reports whether a thread other than t changed the
// fork(s) m's cookie samples after m was made.
func (ip *Inode) changedByOthersSince(t *lab.Thread, m *iomap.Mapping) bool {
	if m.Flags&iomap.FlagShared != 0 {
		return ip.changedBySharedOthers(t, m.Cookie)
	}
	return changedByOthers(t, &ip.changes, m.Cookie)
}

func changedByOthers(t *lab.Thread, log *atomic.Pointer[changeLog], seq uint64) bool {
	c := log.Load()
	if c.lastThread != t.ID() {
		return c.lastSeq > seq
	}
	return c.otherSeq > seq
}

// persist writes the data fork's real extents, the size and the reflink
// and prealloc flags to the persisted metadata (a transaction commit). Preconditions: ILOCK held.
func (ip *Inode) persist(t *lab.Thread) {
	var exts []extent.Extent
	for _, e := range ip.df.All() {
		if e.State.Physical() {
			exts = append(exts, e)
		}
	}
	ip.fs.disk.store(t, ip.ino, diskInode{size: ip.io.Size(), extents: exts, reflink: ip.reflink, prealloc: ip.diflagPrealloc})
}

// mapping converts an extent to an iomap mapping with cookie seq
// (xfs_bmbt_to_iomap / xfs_hole_to_iomap). Holes reaching MaxBlock are cut
// at maxFileSize.
func mapping(e extent.Extent, seq uint64) iomap.Mapping {
	off, n := e.Range.Bytes()
	if e.End*bs > uint64(maxFileSize) {
		n = maxFileSize - off
	}
	m := iomap.Mapping{Offset: off, Length: n, Addr: iomap.NullAddr, Cookie: seq}
	switch e.State {
	case extent.Hole:
		m.Type = iomap.Hole
	case extent.Delalloc:
		m.Type = iomap.Delalloc
	case extent.Unwritten:
		m.Type, m.Addr = iomap.Unwritten, int64(e.PBlk*bs)
	case extent.Written:
		m.Type, m.Addr = iomap.Mapped, int64(e.PBlk*bs)
	}
	return m
}

func blockOf(pos int64) uint64 { return uint64(pos) / bs }

func roundUp(n int64) int64 { return (n + bs - 1) &^ (bs - 1) }

func roundDown(n int64) int64 { return n &^ (bs - 1) }

func (ip *Inode) String() string { return fmt.Sprintf("xfs inode %d (%s)", ip.ino, ip.name) }

// freeExtents releases what removed extents held: physical blocks lose
// this file's reference (xfs_refcount_decrease_extent: a block goes back to
// free space with its last reference, and a shared one stays with the
// other files) and this file's ownership; delalloc gives back its
// reservation.
func (ip *Inode) freeExtents(t *lab.Thread, removed []extent.Extent) {
	for _, e := range removed {
		switch {
		case e.State.Physical():
			ip.fs.space.Release(t, e.PBlk, e.Len())
			ip.fs.dev.Unshare(t, e.PBlk, e.Len(), blockdev.Owner{Ino: uint64(ip.ino), FBlk: e.Start})
		case e.State == extent.Delalloc:
			ip.fs.space.Unreserve(t, e.Len())
			off, n := e.Range.Bytes()
			t.Tracepoint("da_release", lab.F("ino", ip.ino), lab.F("off", off), lab.F("len", n))
		}
	}
}

// allocate allocates physical blocks for file blocks r in state st
// (unwritten for fallocate), filling only holes; reserved says the blocks
// come out of a delalloc reservation. Preconditions: ILOCK exclusive; r is
// all hole (or all delalloc when reserved).
func (ip *Inode) allocate(t *lab.Thread, r extent.Range, st extent.State, reserved bool, flags ...extent.Flag) error {
	var runs []extent.Range
	if reserved {
		runs = ip.fs.space.AllocReserved(t, r.Len(), ip.lastAlloc)
	} else {
		var err error
		if runs, err = ip.fs.space.Alloc(t, r.Len(), ip.lastAlloc); err != nil {
			return err
		}
	}
	fblk := r.Start
	for _, run := range runs {
		ip.fs.dev.Own(t, run.Start, run.Len(), uint64(ip.ino), fblk)
		fr := extent.Range{Start: fblk, End: fblk + run.Len()}
		if reserved {
			//mutant:xfs-seq-bump-delalloc-convert noseq
			ip.df.Convert(fr, extent.Delalloc, st, run.Start, flags...)
		} else {
			//mutant:xfs-seq-bump-alloc noseq
			ip.df.Set(extent.Extent{Range: fr, State: st, PBlk: run.Start})
		}
		ip.noteChange(t)
		fblk += run.Len()
		ip.lastAlloc = run.End
	}
	return nil
}

// Extents returns the data fork's extents (for oracles, tests and the lab's
// diagrams).
func (ip *Inode) Extents(t *lab.Thread) []extent.Extent {
	ip.ilock.RLock(t)
	defer ip.ilock.RUnlock(t)
	return ip.df.All()
}

// Seq returns the data fork's sequence counter (if_seq).
func (ip *Inode) Seq() uint64 { return ip.df.Seq() }
