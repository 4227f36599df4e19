package kernel

import (
	"fmt"
	"strings"

	"iomaplab/vfs"
)

// OpKind is one file operation a scenario can issue.
type OpKind int

const (
	OpPwrite        OpKind = iota // buffered pwrite of a tagged pattern
	OpPread                       // buffered pread (data discarded)
	OpMapStore                    // store a tagged pattern through a shared mapping
	OpMapLoad                     // load through a shared mapping
	OpFallocate                   // fallocate(Mode)
	OpTruncate                    // ftruncate to Off
	OpFsync                       // fsync
	OpSyncRange                   // sync_file_range WRITE (start writeback)
	OpSyncRangeWait               // sync_file_range WAIT_BEFORE|WRITE|WAIT_AFTER
	OpFadvise                     // posix_fadvise DONTNEED
	OpReclaim                     // drop clean cached folios of the range
	OpRemount                     // unmount + mount
)

var opNames = map[OpKind]string{
	OpPwrite: "pwrite", OpPread: "pread", OpMapStore: "map-store", OpMapLoad: "map-load",
	OpFallocate: "fallocate", OpTruncate: "truncate", OpFsync: "fsync", OpSyncRange: "sync-range",
	OpSyncRangeWait: "sync-range-wait", OpFadvise: "fadvise-dontneed", OpReclaim: "reclaim", OpRemount: "remount",
}

func (k OpKind) String() string { return opNames[k] }

// Op is one operation on the scenario's file. Len 0 means "to EOF" for the
// range operations that accept it (sync-range, fadvise, reclaim).
type Op struct {
	Kind     OpKind
	Off, Len int64
	Mode     vfs.FallocMode // OpFallocate
	Tag      byte           // data pattern of OpPwrite and OpMapStore
}

func (o Op) String() string {
	s := o.Kind.String()
	if o.Kind == OpFallocate {
		s += "(" + o.Mode.String() + ")"
	}
	switch o.Kind {
	case OpFsync, OpRemount:
		return s
	case OpTruncate:
		return fmt.Sprintf("%s %s", s, size(o.Off))
	}
	if o.Len == 0 {
		return fmt.Sprintf("%s %s..EOF", s, size(o.Off))
	}
	return fmt.Sprintf("%s %s+%s", s, size(o.Off), size(o.Len))
}

// Write is the parked write: a buffered pwrite of Len bytes at Off whose
// source page holding byte StallAt (relative to the buffer) is a userfaultfd
// page. Where it parks relative to 2 MiB boundaries decides whether it has
// already copied folios with its cached mapping (mid, big) or not yet.
type Write struct {
	Off, Len, StallAt int64
}

// Scenario is one directed kernel case: prepare a file, park a write in its
// source buffer, run Window while it is parked, release, verify.
type Scenario struct {
	Name string
	Doc  string
	// FileSize, if non-zero, is set with ftruncate before Prep.
	FileSize int64
	Prep     []Op
	Write    Write
	Window   []Op
	// Stale says the window changes the extent map under the writer's
	// cached mapping, so on XFS xfs_iomap_invalid must fire in the writer.
	// False makes it a control: the tracepoint must not fire.
	Stale bool
	// FS limits the filesystems the scenario is meant for (nil: all).
	FS []string
}

// AppliesTo reports whether the scenario is meant for fstype.
func (s *Scenario) AppliesTo(fstype string) bool {
	if s.FS == nil {
		return true
	}
	for _, f := range s.FS {
		if f == fstype {
			return true
		}
	}
	return false
}

const (
	kib = int64(1) << 10
	mib = int64(1) << 20
)

// Geometries measured in reference/uffd-prototype.md: "first chunk" parks
// before any folio is copied; "mid" has copied 8 KiB below a 2 MiB folio
// boundary with the cached mapping; "big" has copied a whole 2 MiB chunk.
var (
	geomFirst = Write{Off: 0, Len: 64 * kib, StallAt: 32 * kib}
	geomMid   = Write{Off: 2*mib - 8*kib, Len: 64 * kib, StallAt: 16 * kib}
	geomBig   = Write{Off: 0, Len: 4 * mib, StallAt: 3 * mib}
)

func prepUnwritten(w Write) []Op {
	return []Op{{Kind: OpFallocate, Mode: vfs.FallocKeepSize, Off: w.Off, Len: w.Len}}
}
func prepDelalloc(w Write) []Op { return []Op{{Kind: OpPwrite, Off: w.Off, Len: w.Len, Tag: 'P'}} }
func prepWritten(w Write) []Op {
	return append(prepDelalloc(w), Op{Kind: OpFsync}, Op{Kind: OpFadvise})
}

var writeback = Op{Kind: OpSyncRangeWait}
var dropCache = Op{Kind: OpFadvise}

// Catalogue is the directed kernel scenarios, in report order.
var Catalogue = []*Scenario{
	{Name: "write-stale-unwritten", Doc: "xfs/559 without a debug kernel: a write caches an unwritten mapping; an mmap store inside its range plus writeback converts part of it",
		FileSize: 8 * mib, Prep: prepUnwritten(geomFirst), Write: geomFirst,
		Window: []Op{{Kind: OpMapStore, Off: 40 * kib, Len: 4 * kib, Tag: 'M'}, writeback}, Stale: true},
	{Name: "write-stale-delalloc", Doc: "a write caches a delalloc mapping; writeback allocates it and fadvise drops the folios",
		FileSize: 8 * mib, Prep: prepDelalloc(geomFirst), Write: geomFirst,
		Window: []Op{writeback, dropCache}, Stale: true},
	{Name: "write-stale-delalloc-fsync", Doc: "as write-stale-delalloc, with fsync as the window (fsync waits for i_rwsem on btrfs)",
		FileSize: 8 * mib, Prep: prepDelalloc(geomFirst), Write: geomFirst,
		Window: []Op{{Kind: OpFsync}}, Stale: true, FS: []string{"xfs", "ext4"}},
	{Name: "write-stale-mkwrite-hole", Doc: "a write into a hole caches the hole mapping; an mmap store far away (page_mkwrite) adds delalloc",
		FileSize: 8 * mib, Write: geomFirst,
		Window: []Op{{Kind: OpMapStore, Off: 1 * mib, Len: 4 * kib, Tag: 'M'}}, Stale: true},
	{Name: "write-stale-unwritten-mid", Doc: "parked after copying 8 KiB below a 2 MiB boundary into unwritten blocks; writeback converts them",
		FileSize: 8 * mib, Prep: prepUnwritten(geomMid), Write: geomMid, Window: []Op{writeback}, Stale: true},
	{Name: "write-stale-delalloc-mid", Doc: "parked mid-iteration over delalloc; writeback allocates it",
		FileSize: 8 * mib, Prep: prepDelalloc(geomMid), Write: geomMid, Window: []Op{writeback}, Stale: true},
	{Name: "write-stale-hole-mid", Doc: "parked mid-iteration over a hole it has filled with delalloc; writeback allocates it",
		FileSize: 8 * mib, Write: geomMid, Window: []Op{writeback}, Stale: true},
	{Name: "write-stale-unwritten-big", Doc: "a 4 MiB write parked after a whole 2 MiB chunk of unwritten blocks; writeback converts it",
		FileSize: 8 * mib, Prep: prepUnwritten(geomBig), Write: geomBig, Window: []Op{writeback}, Stale: true},
	{Name: "write-stale-delalloc-big", Doc: "a 4 MiB write parked after a whole 2 MiB chunk of delalloc; writeback allocates it",
		FileSize: 8 * mib, Prep: prepDelalloc(geomBig), Write: geomBig, Window: []Op{writeback}, Stale: true},
	{Name: "write-stale-hole-big", Doc: "a 4 MiB write into a hole parked after its first 2 MiB chunk; writeback allocates that chunk",
		FileSize: 8 * mib, Write: geomBig, Window: []Op{writeback}, Stale: true},
	{Name: "control-overwrite-written", Doc: "overwrite of written blocks: writeback and fadvise in the window change no extent, nothing goes stale",
		FileSize: 8 * mib, Prep: prepWritten(geomFirst), Write: geomFirst, Window: []Op{writeback, dropCache}},
	{Name: "control-overwrite-written-mid", Doc: "mid-iteration overwrite of written blocks with writeback in the window",
		FileSize: 8 * mib, Prep: prepWritten(geomMid), Write: geomMid, Window: []Op{writeback, dropCache}},
	{Name: "control-no-action", Doc: "a write into a hole, parked and released with nothing in the window",
		FileSize: 8 * mib, Write: geomFirst},
	{Name: "control-read-in-window", Doc: "locking check: a buffered read elsewhere proceeds while the writer is parked (it blocks on XFS, so not run there)",
		FileSize: 8 * mib, Prep: prepDelalloc(geomFirst), Write: geomFirst,
		Window: []Op{{Kind: OpPread, Off: 1 * mib, Len: 4 * kib}}, FS: []string{"ext4", "btrfs"}},
}

// Lookup finds a catalogue scenario by name.
func Lookup(name string) (*Scenario, bool) {
	for _, s := range Catalogue {
		if s.Name == name {
			return s, true
		}
	}
	return nil, false
}

// Names lists the catalogue.
func Names() string {
	var n []string
	for _, s := range Catalogue {
		n = append(n, s.Name)
	}
	return strings.Join(n, ", ")
}
