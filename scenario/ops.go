package scenario

import "iomaplab/fsmodel/variant"

// OpKind names an operation.
type OpKind int

const (
	OpPwrite OpKind = iota
	OpPread
	OpMapStore
	OpMapLoad
	OpFallocate
	OpPunch
	OpZero
	OpTruncate
	OpFsync
	OpSyncRange
	OpFadviseDontneed
	OpReclaim
	OpDropCaches
	OpRemount
	OpAwait
	OpRelease
	OpReflink
	OpExpect
)

// args is the positional shape of an op.
type args int

const (
	argsNone     args = iota // drop-caches, remount
	argsFile                 // fsync FILE
	argsFileSize             // truncate FILE SIZE
	argsRange                // pwrite FILE OFF LEN
	argsThread               // await T.stalled, release T
	argsTwoFiles             // reflink SRC DST
	argsExpect               // expect read|map-load FILE OFF LEN == P | in {P,...}
)

// opInfo describes one op for the parser, the checks and the docs.
type opInfo struct {
	name string
	args args
	// opts are the options the op accepts besides may-fail.
	opts []string
	// rwsem says the op takes i_rwsem (exclusive unless sharedOn names the fs
	// on which it takes it shared); onFS restricts rwsem to those fs types.
	rwsem bool
	onFS  string
	// writes says the op changes file data in [Off, Off+Len); truncate
	// changes everything from the new size up.
	writes bool
	doc    string
}

var opTable = []opInfo{
	OpPwrite:          {"pwrite", argsRange, []string{"fill", "stall-at", "fault-at"}, true, "", true, "buffered pwrite(2) of LEN bytes of the fill byte"},
	OpPread:           {"pread", argsRange, nil, true, "xfs", false, "buffered pread(2); brings the range into the page cache"},
	OpMapStore:        {"map-store", argsRange, []string{"fill"}, false, "", true, "stores through a MAP_SHARED mapping, one page at a time (page_mkwrite on each write-protected page); the range must lie below i_size"},
	OpMapLoad:         {"map-load", argsRange, nil, false, "", false, "loads through a shared mapping, one page at a time (read faults)"},
	OpFallocate:       {"fallocate", argsRange, []string{"keep-size"}, true, "", false, "fallocate(2) mode 0 (unwritten blocks, i_size grows), or FALLOC_FL_KEEP_SIZE with keep-size"},
	OpPunch:           {"punch", argsRange, nil, true, "", true, "FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE"},
	OpZero:            {"zero", argsRange, []string{"keep-size"}, true, "", true, "FALLOC_FL_ZERO_RANGE (i_size may grow), with keep-size also FALLOC_FL_KEEP_SIZE"},
	OpTruncate:        {"truncate", argsFileSize, nil, true, "", true, "ftruncate(2) to SIZE"},
	OpFsync:           {"fsync", argsFile, nil, false, "", false, "fsync(2): WB_SYNC_ALL writeback of the whole file, waits"},
	OpSyncRange:       {"sync-range", argsRange, nil, false, "", false, "sync_file_range(WRITE|WAIT_AFTER) as xfs/559's sync_range -a -w: WB_SYNC_NONE writeback (skips folios already under writeback), then waits for the range's writeback"},
	OpFadviseDontneed: {"fadvise-dontneed", argsRange, nil, false, "", false, "posix_fadvise(POSIX_FADV_DONTNEED): WB_SYNC_NONE writeback, then drop the clean folios"},
	OpReclaim:         {"reclaim", argsRange, nil, false, "", false, "memory reclaim of the range: evicts clean folios not under writeback, writes nothing"},
	OpDropCaches:      {"drop-caches", argsNone, nil, false, "", false, "echo 1 > drop_caches: evicts every clean, idle folio of every file"},
	OpRemount:         {"remount", argsNone, nil, true, "", false, "sync everything, drop the page cache and all in-core extent state, reload from the device"},
	OpAwait:           {"await", argsThread, nil, false, "", false, "await T.stalled: block until thread T is parked; await T.done: until T has returned"},
	OpRelease:         {"release", argsThread, nil, false, "", false, "release T: let thread T leave its park"},
	OpExpect:          {"expect", argsExpect, nil, false, "", false, "expect read FILE OFF LEN == P (or in {P1,P2}), and the same with map-load: read the range (pread, or loads through a shared mapping) and require every byte to be P (one of P1, P2); otherwise a data violation naming the line"},
	OpReflink:         {"reflink", argsTwoFiles, nil, true, "", true, "ioctl(FICLONE): DST comes to share all of SRC's blocks (DST's old contents in that range go, its size grows to SRC's); xfs only, in setup and after lines"},
}

func (k OpKind) String() string {
	if int(k) < len(opTable) {
		return opTable[k].name
	}
	return "op?"
}

func lookupOp(name string) (OpKind, bool) {
	for k, info := range opTable {
		if info.name == name {
			return OpKind(k), true
		}
	}
	return 0, false
}

// takesRwsem reports whether op takes i_rwsem on fs (the model's lock table,
// docs/design.md): such an op blocks behind a writer parked inside pwrite.
func (op *Op) takesRwsem(fs string) bool {
	info := opTable[op.effective()]
	return info.rwsem && (info.onFS == "" || info.onFS == fs)
}

// footprint returns the byte range whose contents op may change, and false
// if it changes none. Growth of i_size by fallocate or by a write past EOF
// only adds zeroes beyond EOF, which commutes with every op but truncate, so
// it is not part of the footprint.
func (op *Op) footprint() (start, end int64, ok bool) {
	switch {
	case op.Kind == OpTruncate, op.Kind == OpReflink:
		return 0, maxOffset, true
	case op.Kind == OpPwrite && op.FaultAt >= 0:
		return op.Off, op.Off + op.FaultAt, true // a short write stops at the fault
	case opTable[op.Kind].writes:
		return op.Off, op.Off + op.Len, true
	}
	return 0, 0, false
}

// Oracles are the safety oracles an expect or catches line may name.
var Oracles = []string{"data", "reservations-cleared", "fsck", "ownership", "livelock", "protocol"}

// Violation classes a run can end in besides the named oracles.
const (
	ClassDeadlock  = "deadlock"
	ClassPanic     = "panic"
	ClassStepLimit = "step-limit"
)

// EvidenceAliases maps evidence names to the tracepoints they count;
// "reachable" is asked of the target.
var EvidenceAliases = map[string]string{
	"stale":    "iomap_invalid",
	"wb_stale": "wb_iomap_invalid",
	"remaps":   "iomap_remap",
}

// Variants are the engine's mutation switches (docs/design.md "Mutations"),
// "correct" first.
var Variants = variant.Names()

// DaemonNames are the model's daemon threads; scenario threads may not
// take these names.
var DaemonNames = []string{"io-completion", "flusher", "kswapd"}

// FSTypes are the filesystems a scenario may name.
var FSTypes = []string{"xfs", "ext4"}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// effective is the kind op acts as for the lock table: an expect's read or
// map-load.
func (op *Op) effective() OpKind {
	if op.Kind == OpExpect {
		return op.Sub
	}
	return op.Kind
}
