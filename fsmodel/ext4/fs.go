package ext4

import (
	"cmp"
	"fmt"
	"slices"

	"golang.org/x/sys/unix"

	"iomaplab/blockdev"
	"iomaplab/extent"
	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// Options configures a mount of the model.
type Options struct {
	// Blocks is the device size in 4 KiB blocks when Dev is nil (default 4096).
	Blocks uint64
	// Dev is the block device; nil means a fresh memory device of Blocks blocks.
	Dev blockdev.Dev
	// Variant selects mutations: Ext4NoRecheck, Ext4Linux68,
	// CookieBeforeInsert, Ext4NoDaMapSeq and Ext4NoMapSeq here (the package
	// doc's "Variants"), and on the iomap path the iomap engine's.
	Variant variant.Variant
	// IOMAP selects the iomap buffered-write path (Zhang Yi's ext4 iomap
	// series, v4 patch 23/23's mount option buffered_iomap: `fs ext4
	// buffered_iomap` in a scenario) instead of ext4_da_write_begin.
	IOMAP bool
	// NoDelalloc is mount -o nodelalloc: on the iomap path buffered writes
	// allocate blocks (unwritten) in ->iomap_begin instead of reserving
	// delayed ones (v4 patch 08/23's ext4_iomap_buffered_write_ops,
	// iomap_nonda.go). The legacy path models delalloc only: New panics
	// on NoDelalloc without IOMAP.
	NoDelalloc bool
}

// firstIno is the first inode number handed to a file (EXT4_GOOD_OLD_FIRST_INO
// is lost+found's 11).
const firstIno = 12

// FS is one mounted ext4 model (struct super_block with struct ext4_sb_info).
// It implements vfs.FS.
type FS struct {
	opts  Options
	dev   blockdev.Dev
	space *extent.Space // block bitmaps + s_dirtyclusters_counter (Space.Reserved)

	// mu is the namespace and inode-hash lock: it guards names, disk and icache.
	mu      lab.Mutex
	names   map[string]uint64     // directory: name -> ino (looked up, never iterated)
	disk    map[uint64]*diskInode // the inode table on "disk", by ino (iterated via sortedInos)
	icache  map[uint64]*inode     // in-core inodes, by ino
	nextIno uint64

	logMu lab.Mutex
	klog  []string // kernel log (ext4_msg / WARN lines)
}

// diskInode is what survives a remount: the on-disk inode (i_disksize) and
// its extent tree. The extent tree is journalled metadata: the model commits
// every change at once, so the in-core inode edits this very Map under
// i_data_sem.
type diskInode struct {
	size int64
	ext  *extent.Map
	// blocks is i_blocks in blocks: the data blocks charged to the inode
	// (dquot_alloc_block at allocation, dquot_claim_block when a delayed
	// reservation is used, dquot_free_block), under the in-core inode's
	// i_data_sem; fsck checks it against the extent tree, as e2fsck does.
	blocks uint64
}

var _ vfs.FS = (*FS)(nil)

// New mounts a fresh filesystem on opts.Dev (or a new memory device) and
// starts the I/O completion daemon on t's world.
func New(t *lab.Thread, opts Options) *FS {
	if opts.Blocks == 0 {
		opts.Blocks = 4096
	}
	if opts.NoDelalloc && !opts.IOMAP {
		panic("ext4: nodelalloc is modelled on the iomap path only")
	}
	dev := opts.Dev
	if dev == nil {
		dev = blockdev.NewMemory(opts.Blocks)
	}
	fs := &FS{
		opts:    opts,
		dev:     dev,
		space:   extent.NewSpace(dev.Blocks()),
		names:   map[string]uint64{},
		disk:    map[uint64]*diskInode{},
		icache:  map[uint64]*inode{},
		nextIno: firstIno,
	}
	fs.mu.Name = "ext4.namespace"
	fs.logMu.Name = "ext4.klog"
	t.GoDaemon("io-completion", dev.RunCompletions)
	return fs
}

// Name implements vfs.FS.
func (fs *FS) Name() string { return "ext4" }

// Dev returns the block device (for the block-ownership oracle).
func (fs *FS) Dev() blockdev.Dev { return fs.dev }

// Space returns the block allocator and dirty-clusters counter.
func (fs *FS) Space() *extent.Space { return fs.space }

// Open implements vfs.FS: it looks name up, creating an empty file.
func (fs *FS) Open(t *lab.Thread, name string) (vfs.File, error) {
	if name == "" {
		return nil, unix.EINVAL
	}
	fs.mu.Lock(t)
	defer fs.mu.Unlock(t)
	ino, ok := fs.names[name]
	if !ok {
		ino = fs.nextIno
		fs.nextIno++
		fs.names[name] = ino
		fs.disk[ino] = &diskInode{ext: extent.NewMap()}
	}
	return &File{fs: fs, name: name, ino: ino}, nil
}

// iget returns the in-core inode ino, reading it from disk if it is not in
// core (ext4_iget).
func (fs *FS) iget(t *lab.Thread, ino uint64) *inode {
	fs.mu.Lock(t)
	defer fs.mu.Unlock(t)
	if in := fs.icache[ino]; in != nil {
		return in
	}
	d := fs.disk[ino]
	if d == nil {
		panic(fmt.Sprintf("ext4: iget(%d): no such inode", ino))
	}
	in := newInode(fs, ino, d)
	fs.icache[ino] = in
	return in
}

// incore returns the in-core inodes in inode-number order.
func (fs *FS) incore(t *lab.Thread) []*inode {
	fs.mu.Lock(t)
	defer fs.mu.Unlock(t)
	out := make([]*inode, 0, len(fs.icache))
	for _, in := range fs.icache {
		out = append(out, in)
	}
	slices.SortFunc(out, func(a, b *inode) int { return cmp.Compare(a.ino, b.ino) })
	return out
}

// diskInodes returns every on-disk inode number, sorted.
func (fs *FS) diskInodes(t *lab.Thread) []uint64 {
	fs.mu.Lock(t)
	defer fs.mu.Unlock(t)
	out := make([]uint64, 0, len(fs.disk))
	for ino := range fs.disk {
		out = append(out, ino)
	}
	slices.Sort(out)
	return out
}

// msg appends a line to the kernel log (ext4_msg, ext4_warning).
func (fs *FS) msg(t *lab.Thread, format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	fs.logMu.Lock(t)
	fs.klog = append(fs.klog, s)
	fs.logMu.Unlock(t)
	t.Note("EXT4-fs: " + s)
}

// note adds a line to the trace for drawings (lab.Thread.Note), formatted
// only where notes are kept: a controlled world.
func note(t *lab.Thread, format string, args ...any) {
	if t.World().Controlled() {
		t.Note(fmt.Sprintf(format, args...))
	}
}

// Log returns the kernel log lines so far, oldest first.
func (fs *FS) Log(t *lab.Thread) []string {
	fs.logMu.Lock(t)
	defer fs.logMu.Unlock(t)
	return slices.Clone(fs.klog)
}
