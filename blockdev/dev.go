package blockdev

import (
	"fmt"
	"os"
	"sync/atomic"

	"github.com/google/btree"

	"iomaplab/lab"
)

// BlockSize is the device's block size in bytes (extent.BlockSize).
const BlockSize = 4096

// Dev is a block device as the filesystem models use it. *Device is the
// implementation; the interface lets tests and decorators stand in.
type Dev interface {
	// Blocks is the device size in blocks.
	Blocks() uint64
	// Submit starts an asynchronous I/O: the data moves now, and b.End runs
	// later on the completion daemon (RunCompletions).
	Submit(t *lab.Thread, b *Bio)
	// RunCompletions is the body of the I/O completion daemon.
	RunCompletions(t *lab.Thread)
	// WaitBio waits until b's completion has run.
	WaitBio(t *lab.Thread, b *Bio)
	// WaitInode waits for the completion of every I/O of inode ino touching
	// file blocks [start, end) that was submitted before the call.
	WaitInode(t *lab.Thread, ino, start, end uint64)
	// WaitAll waits for the completion of every I/O submitted before the call.
	WaitAll(t *lab.Thread)
	// Read and Write are synchronous I/O of whole blocks (no completion
	// callback); Write carries the writer's ownership claim for its first block.
	Read(t *lab.Thread, pblk uint64, p []byte) error
	Write(t *lab.Thread, pblk uint64, p []byte, claim Owner) error
	// Own, Disown, Share, Unshare, OwnerOf, CheckOwner, OwnedBlocks and
	// Violations are the block-ownership oracle.
	Own(t *lab.Thread, pblk, n, ino, fblk uint64)
	Disown(t *lab.Thread, pblk, n uint64)
	Share(t *lab.Thread, pblk, n, ino, fblk uint64)
	Unshare(t *lab.Thread, pblk, n uint64, o Owner)
	OwnerOf(t *lab.Thread, pblk uint64) Owner
	CheckOwner(t *lab.Thread, pblk, n uint64, o Owner) error
	OwnedBlocks(t *lab.Thread) uint64
	Violations(t *lab.Thread) []Violation
	// InjectError makes I/O of direction op at pblk fail with EIO.
	InjectError(t *lab.Thread, pblk uint64, op Op, count int)
	// Close releases the backing store.
	Close() error
}

var _ Dev = (*Device)(nil)

// Device is a block device of 4 KiB blocks over memory or a file, with
// asynchronous completions, injected errors and the block-ownership oracle.
// It is safe for concurrent use by lab threads.
type Device struct {
	store  backing
	blocks uint64

	// Lock order: ownMu -> vMu; qMu and fMu are leaves.
	ownMu      lab.RWMutex         // owners: exclusive for Own/Disown, shared for writes
	owners     map[uint64]*ownPage // by pblk/512; looked up, never iterated
	extra      map[uint64][]Owner  // owners of shared blocks after the first; looked up, never iterated
	nOwned     uint64              // blocks with an owner
	vMu        lab.Mutex           // violations
	violations []Violation

	failOnViolation atomic.Bool

	fMu     lab.Mutex // faults
	faults  map[faultKey]*fault
	nFaults atomic.Int64 // len(faults): lets the I/O path skip fMu

	qMu      lab.Mutex
	queue    []*Bio              // completions to run, FIFO from qHead
	qHead    int                 //
	queued   atomic.Int64        // len(queue) - qHead, read by the daemon's wait
	inflight *btree.BTreeG[*Bio] // submitted, completion not yet run; by seq
	nextSeq  uint64
	work     lab.Event // queued went up
	done     lab.Event // a completion ran
}

// NewMemory returns a memory-backed device of blocks blocks, all zero.
func NewMemory(blocks uint64) *Device {
	return newDevice(&memory{blocks: make([]*[BlockSize]byte, blocks)}, blocks)
}

// NewFile returns a device backed by the regular file at path, created or
// truncated to blocks*BlockSize bytes (sparse: all zero).
func NewFile(path string, blocks uint64) (*Device, error) {
	f, err := openFile(path, blocks)
	if err != nil {
		return nil, err
	}
	return newDevice(f, blocks), nil
}

// NewOnFile returns a device of blocks blocks stored in f (path names it in
// errors), which must already be that large: a stand-in for the host
// file that fails as a full or failing host would.
func NewOnFile(path string, f HostFile, blocks uint64) *Device {
	return newDevice(&file{path: path, f: f}, blocks)
}

// NewTempFile returns a device backed by a new sparse file in dir, unlinked
// at once: the open device keeps its data until Close, and nothing is left
// behind however the process ends.
func NewTempFile(dir string, blocks uint64) (*Device, error) {
	f, err := os.CreateTemp(dir, "iomaplab-dev-*.img")
	if err != nil {
		return nil, &HostError{Path: dir, Op: "create", Err: err}
	}
	path := f.Name()
	f.Close()
	dev, err := NewFile(path, blocks)
	os.Remove(path)
	return dev, err
}

func newDevice(store backing, blocks uint64) *Device {
	d := &Device{
		store:    store,
		blocks:   blocks,
		owners:   map[uint64]*ownPage{},
		extra:    map[uint64][]Owner{},
		faults:   map[faultKey]*fault{},
		inflight: btree.NewG(16, func(a, b *Bio) bool { return a.seq < b.seq }),
	}
	d.ownMu.Name = "blockdev.owners"
	d.vMu.Name = "blockdev.violations"
	d.fMu.Name = "blockdev.faults"
	d.qMu.Name = "blockdev.queue"
	d.work.Name = "blockdev.work"
	d.done.Name = "blockdev.done"
	return d
}

// Blocks is the device size in blocks.
func (d *Device) Blocks() uint64 { return d.blocks }

// Close releases the backing store (the file of NewFile).
func (d *Device) Close() error { return d.store.close() }

func (d *Device) mustRange(op string, pblk, n uint64) {
	if n == 0 || pblk+n < pblk || pblk+n > d.blocks {
		panic(fmt.Sprintf("blockdev: %s(%d, %d) outside the %d-block device", op, pblk, n, d.blocks))
	}
}
