package scenario

import (
	"iomaplab/lab"
	"iomaplab/vfs"
)

// Scenario is one parsed scenario file.
type Scenario struct {
	Name string
	// File is where it came from: "catalogue/NAME.scn" or the path given.
	File string
	// Doc is the comment block before the scenario line: what it models.
	Doc string
	// Source cites what it models: a kernel commit, an fstests test.
	Source string
	FS     FSSpec
	Setup  []Op // run in order by the main thread before the threads start
	// Threads run concurrently, each its ops in order.
	Threads []*Thread
	After   []Op // run by the main thread once every thread has returned
	// Rules are the injection rules of the scenario's inject lines; a world
	// that runs the scenario must have them (Config does that).
	Rules []lab.Rule
	// RulePos is where each of Rules was written.
	RulePos []Pos
	// Parks maps thread name -> park-at name -> point. The park-at rules
	// follow the inject lines' in Rules.
	Parks   map[string]map[string]string
	Expect  []Expectation
	Catches []Catch
	// Clean lists variants that must not be caught (negative controls).
	Clean  []string
	Kernel KernelNotes
	// Directed is set when some thread awaits or releases another: the
	// interleaving that matters is spelled out. Otherwise the scenario is
	// exploratory and the lab's strategies search for it.
	Directed bool
}

// FSSpec is the fs line: the filesystem type and its mount options.
type FSSpec struct {
	Type string // "xfs" or "ext4"
	// FolioSize is the largest folio the page cache may use (folio=SIZE);
	// 0 means the target's default (4 KiB in the model).
	FolioSize int64
	// Iomap selects ext4's iomap buffered-I/O path (ext4 only: mount
	// option buffered_iomap, or its alias iomap); otherwise ext4 takes its
	// legacy write_begin/page_mkwrite path (nobuffered_iomap, or legacy).
	Iomap bool
	// NoDelalloc is ext4's mount option nodelalloc (on the iomap path
	// only): buffered writes allocate unwritten blocks at write time.
	NoDelalloc bool
	// DevSize is the block device's size (dev=SIZE); 0 is the target's default.
	DevSize int64
	// CowExtSize is the COW extent size hint (cowextsize=SIZE, xfs only:
	// xfs_io cowextsize on the mount's root, as xfs/558 sets it); 0 is the
	// target's default.
	CowExtSize int64
	// AllocSize is XFS's allocsize= mount option (xfs only): the fixed
	// size of speculative post-EOF preallocation; 4k turns it off. 0 is
	// the kernel's dynamic preallocation.
	AllocSize int64
	// Flusher and Kswapd start the model's background daemons: writeback of
	// every file after data is dirtied ("flusher"), and eviction of clean
	// idle folios after writeback completes ("kswapd").
	Flusher, Kswapd bool
	Pos             Pos
}

// Thread is one thread line (or several with the same name, concatenated).
type Thread struct {
	Name string
	Ops  []Op
	Pos  Pos
}

// Op is one operation. Which fields mean something depends on Kind; see
// docs/scenarios.md and the op table in ops.go.
type Op struct {
	Kind OpKind
	Pos  Pos
	File string
	// Src is reflink's source file (File is its destination).
	Src string
	// Off and Len are the byte range; for truncate Len is the new size.
	Off, Len int64
	// Fill is the byte pwrite and map-store write (fill=B); the default is
	// a per-op letter, see defaultFill.
	Fill byte
	// StallAt and FaultAt are offsets into a pwrite's source buffer, or
	// vfs.NoOffset (stall-at=X, fault-at=X).
	StallAt, FaultAt int64
	// Mode is fallocate's or zero's mode.
	Mode vfs.FallocMode
	// MayFail lets the op return an error without failing the scenario.
	MayFail bool
	// Thread is the thread that await and release name.
	Thread string
	// Done: await waits for Thread to return rather than to stall.
	Done bool
	// Blocked: await waits for Thread to block on a lock (T.blocked).
	Blocked bool
	// ParkName names one park of Thread: await T.parked(NAME) waits for
	// that park, release T.NAME releases it (waiting for it first).
	// ParkPoint is the point that park is at (resolved by the parser).
	ParkName, ParkPoint string
	// Parks are the op's park-at=POINT [as NAME] options.
	Parks []ParkAt
	// Sub and Patterns are a mid-scenario expectation's: expect read
	// (Sub OpPread) or expect map-load (OpMapLoad) of [Off, Off+Len),
	// each byte one of Patterns.
	Sub      OpKind
	Patterns []byte
}

// ParkAt is one park-at=POINT [as NAME] option: the thread parks at the
// first hit of POINT in this op, until a release names it.
type ParkAt struct {
	Pos   Pos
	Point string
	// Name is what await T.parked(NAME) and release T.NAME call it; the
	// point's name unless 'as NAME' gives one.
	Name string
}

// Expectation is one item of an expect line: an oracle the scenario asserts,
// or evidence that the race window was reached.
type Expectation struct {
	Pos Pos
	// Oracle names a safety oracle (data, fsck, ...); empty for evidence.
	Oracle string
	// Evidence is an evidence counter: stale, wb_stale, remaps, reachable,
	// or a tracepoint name given as "trace NAME".
	Evidence string
	Cmp      string // >=, <=, ==, !=, >, <
	N        int64
}

// Catch says that running the scenario under Variant must end in a
// violation reported by one of Oracles.
type Catch struct {
	Pos     Pos
	Variant string
	Oracles []string
}

// KernelNotes are what the kernel target needs to know.
type KernelNotes struct {
	// Skip, when set, says why the scenario cannot run on real kernels.
	Skip string
	// FS lists the real filesystems the scenario is meaningful on; empty
	// means the fs line's type.
	FS []string
	// Notes are free-text remarks for the kernel target's report.
	Notes []string
}

// Config returns cfg with the scenario's injection rules added, and its
// step bound (MaxSteps) unless cfg sets one; build the world of each run
// from it.
func (sc *Scenario) Config(cfg lab.Config) lab.Config {
	cfg.Rules = append(append([]lab.Rule(nil), cfg.Rules...), sc.Rules...)
	if cfg.MaxSteps == 0 {
		cfg.MaxSteps = sc.MaxSteps()
	}
	return cfg
}

// Files returns the names of the files the scenario touches, in order of
// first use.
func (sc *Scenario) Files() []string {
	var names []string
	seen := map[string]bool{}
	add := func(ops []Op) {
		for _, op := range ops {
			for _, name := range []string{op.Src, op.File} {
				if name != "" && !seen[name] {
					seen[name] = true
					names = append(names, name)
				}
			}
		}
	}
	add(sc.Setup)
	for _, th := range sc.Threads {
		add(th.Ops)
	}
	add(sc.After)
	return names
}

// Summary is the first line of Doc.
func (sc *Scenario) Summary() string {
	for i := 0; i < len(sc.Doc); i++ {
		if sc.Doc[i] == '\n' {
			return sc.Doc[:i]
		}
	}
	return sc.Doc
}

// Cell is what the mutation matrix expects of one (scenario, variant) run.
type Cell int

const (
	// DontCare: the scenario makes no claim about the variant.
	DontCare Cell = iota
	// MustCatch: some oracle of the matching Catch line must fire.
	MustCatch
	// MustBeClean: no oracle may fire (correct, and clean lines).
	MustBeClean
)

func (c Cell) String() string { return [...]string{"-", "catch", "clean"}[c] }

// Expected says what the matrix expects of the scenario under variant, and
// for MustCatch which oracles count.
func (sc *Scenario) Expected(variant string) (Cell, []string) {
	if variant == "correct" {
		return MustBeClean, nil
	}
	for _, c := range sc.Catches {
		if c.Variant == variant {
			return MustCatch, c.Oracles
		}
	}
	for _, v := range sc.Clean {
		if v == variant {
			return MustBeClean, nil
		}
	}
	return DontCare, nil
}
