package xfs

import (
	"fmt"
	"sync/atomic"

	"iomaplab/blockdev"
	"iomaplab/extent"
	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/pagecache"
	"iomaplab/vfs"
)

// Options are the model's mount options.
type Options struct {
	// FolioSize is the page cache folio size: 4096 (default) or a larger
	// power of two up to 2 MiB (large folios).
	FolioSize int64
	// Variant selects mutations; the zero value is correct.
	Variant variant.Variant
	// Flusher starts a background writeback daemon ("flusher") that writes
	// back every file (WB_SYNC_NONE) after data was dirtied.
	Flusher bool
	// Reclaimer starts a memory-reclaim daemon ("kswapd") that evicts clean
	// idle folios after writeback completes.
	Reclaimer bool
	// NoIomapValid leaves out ->iomap_valid altogether (benchmarks measure
	// what validity checks cost); unlike the no-validate mutation it also
	// skips the cookie comparison.
	NoIomapValid bool
	// NoProtocolOracle turns off the protocol oracle (spurious stale
	// verdicts fail the run by default).
	NoProtocolOracle bool
	// AllocSize is the allocsize= mount option in bytes: every extending
	// buffered write preallocates this much past EOF (aligned) instead of
	// the dynamic size xfs_iomap_prealloc_size picks. A power of two from
	// 4 KiB to 1 GiB (xfs_fs_validate_params); 4096 turns speculative
	// preallocation off. 0 (the default) is dynamic preallocation.
	AllocSize int64
	// CowExtSize is the COW extent size hint in bytes (xfs_io cowextsize,
	// inherited from the directory as xfs/558 sets it): COW reservations
	// are rounded out to it. 0 means XFS's default of 32 blocks.
	CowExtSize int64
}

// FS is a mounted XFS model.
type FS struct {
	dev   blockdev.Dev
	space *extent.Space
	opts  Options

	mu    lab.Mutex // guards files (the inode cache)
	files []*Inode  // by ino - 1

	disk ondisk
	bg   daemons

	vmu        lab.Mutex // guards violations
	violations []string  // protocol oracle verdicts of free runs

	// Stats counts state transitions, for coverage.
	Stats Stats
}

var _ vfs.FS = (*FS)(nil)

// Stats are transition counters (safe to read at any time).
type Stats struct {
	HoleToDelalloc      atomic.Int64 // delalloc reserved over a hole
	DelallocToUnwritten atomic.Int64 // delalloc converted (to unwritten) at writeback
	UnwrittenToWritten  atomic.Int64 // unwritten converted at I/O completion
	Allocate            atomic.Int64 // fallocate allocations
	Punch               atomic.Int64 // fallocate punch
	Zero                atomic.Int64 // fallocate zero range
	TruncDown           atomic.Int64
	TruncUp             atomic.Int64
	Reclaimed           atomic.Int64 // folios evicted by reclaim/fadvise/drop caches
	DelallocPunched     atomic.Int64 // delalloc blocks punched by delalloc release/discard
	Remounts            atomic.Int64
	Reflinks            atomic.Int64 // clone-range calls that shared blocks
	CowReserved         atomic.Int64 // COW fork delalloc reservations
	CowRemapped         atomic.Int64 // COW staging extents remapped into the data fork
	Prealloc            atomic.Int64 // delalloc blocks reserved past a write's end (speculative preallocation)
	EOFBlocksFreed      atomic.Int64 // blocks past EOF unmapped by xfs_free_eofblocks
	ZeroConvertDelay    atomic.Int64 // delalloc past EOF converted to unwritten by zeroing
}

// Mount mounts a fresh filesystem on dev and starts the device's
// completion daemon (and the optional flusher and reclaim daemons) as daemon
// threads of t's world. Every block of dev is
// free space; the model keeps its metadata beside the device.
func Mount(t *lab.Thread, dev blockdev.Dev, opts Options) *FS {
	if opts.FolioSize == 0 {
		opts.FolioSize = pagecache.PageSize
	}
	pagecache.New(opts.FolioSize) // validates the size
	if a := opts.AllocSize; a != 0 && (a < 4096 || a > 1<<30 || a&(a-1) != 0) {
		panic(fmt.Sprintf("xfs: allocsize %d is not a power of two from 4k to 1g", a))
	}
	fs := &FS{
		dev:   dev,
		space: extent.NewSpace(dev.Blocks()),
		opts:  opts,
		mu:    lab.Mutex{Name: "xfs_inode_cache"},
		disk:  ondisk{mu: lab.Mutex{Name: "xfs_log"}},
		vmu:   lab.Mutex{Name: "xfs_oracle"},
	}
	fs.bg.flushEv.Name, fs.bg.reclaimE.Name = "flusher.work", "kswapd.work"
	t.GoDaemon("io-completion", dev.RunCompletions)
	if opts.Flusher {
		t.GoDaemon("flusher", fs.flusher)
	}
	if opts.Reclaimer {
		t.GoDaemon("kswapd", fs.reclaimer)
	}
	return fs
}

// Name is "xfs".
func (fs *FS) Name() string { return "xfs" }

// Dev returns the block device.
func (fs *FS) Dev() blockdev.Dev { return fs.dev }

// Space returns the free-space accounting.
func (fs *FS) Space() *extent.Space { return fs.space }

// Variant returns the mutations in force.
func (fs *FS) Variant() variant.Variant { return fs.opts.Variant }

// Open opens name, creating it empty if needed.
func (fs *FS) Open(t *lab.Thread, name string) (vfs.File, error) {
	return fs.OpenInode(t, name), nil
}

// OpenInode is Open returning the model's own type.
func (fs *FS) OpenInode(t *lab.Thread, name string) *Inode {
	fs.mu.Lock(t)
	defer fs.mu.Unlock(t)
	for _, ip := range fs.files {
		if ip.name == name {
			return ip
		}
	}
	ip := newInode(fs, int64(len(fs.files)+1), name)
	fs.files = append(fs.files, ip)
	return ip
}

// Inodes returns every inode, by inode number.
func (fs *FS) Inodes(t *lab.Thread) []*Inode {
	fs.mu.Lock(t)
	defer fs.mu.Unlock(t)
	return append([]*Inode(nil), fs.files...)
}

// DropCaches evicts every clean, idle folio of every file.
func (fs *FS) DropCaches(t *lab.Thread) error {
	for _, ip := range fs.Inodes(t) {
		n := ip.io.Cache.Reclaim(t, 0, maxFileSize)
		fs.Stats.Reclaimed.Add(int64(n))
	}
	return nil
}

// Remount syncs every file, drops its page cache and in-core data fork, and
// reloads both extents and size from the persisted metadata. A delalloc
// reservation still present after the sync is a leak: it is reported
// (tracepoint reserved_not_cleared, CheckCleared) and released.
func (fs *FS) Remount(t *lab.Thread) error {
	fs.Stats.Remounts.Add(1)
	var first error
	for _, ip := range fs.Inodes(t) {
		if err := ip.remount(t); err != nil && first == nil {
			first = err
		}
	}
	return first
}
