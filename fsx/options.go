package fsx

import (
	"fmt"
	"strings"
)

// Options are the knobs of a run, named after fsx's where fsx has them.
type Options struct {
	Seed    uint64
	Ops     int64 // total operations over all threads (fsx -N)
	Threads int   // worker threads sharing the files
	Files   int   // files the stream is spread over

	MaxFileSize int64 // fsx -l: no operation reaches past it
	MaxOpSize   int64 // fsx -o: longest read, write or hole operation
	ReadAlign   int64 // fsx -r: read and mapread offsets are multiples
	WriteAlign  int64 // fsx -w: write, mapwrite, fallocate, punch, zero offsets
	TruncAlign  int64 // fsx -t: truncate sizes

	// Disabled kinds are never generated (fsx -R -W -F -H -z -J -B -E and
	// friends).
	Disabled KindSet
	// RemountEvery and DropEvery make about one op in N a remount (model) /
	// mount cycle (kernel), and a drop-caches; 0 disables them.
	RemountEvery int64
	DropEvery    int64
	// ShortEvery makes about one write in N fault in its source buffer at a
	// random byte, so it is short (the EFAULT path: delalloc release after a
	// short copy); 0 disables. fsx has no such option.
	ShortEvery int64
	// NoFinalRemount skips the remount-and-verify at the end of the run.
	NoFinalRemount bool
}

// Defaults are fsx's defaults where fsx has one (-l 256k, -o 64k, no
// alignment), with remount about once per thousand ops, drop-caches once per
// 500, and no short writes (fsx has none).
func Defaults() Options {
	return Options{
		Seed: 1, Ops: 10000, Threads: 1, Files: 1,
		MaxFileSize: 256 << 10, MaxOpSize: 64 << 10,
		ReadAlign: 1, WriteAlign: 1, TruncAlign: 1,
		RemountEvery: 1000, DropEvery: 500,
	}
}

// Limits on the options, checked before any work proportional to them: the
// harness keeps every op it ran (about 100 bytes each) for the log, gives
// each thread a buffer of the longest op, and keeps a reference model that
// grows with the bytes written, not with the file size.
const (
	MaxOps      = 10_000_000 // ops
	MaxThreads  = 64         // threads
	MaxFiles    = 64         // files
	MaxFileSize = 1 << 40    // bytes (-l): 1 TiB
	MaxOpSize   = 16 << 20   // bytes (-o): 16 MiB
)

// InputError is an option, or a line of an op log, that the harness cannot
// or will not run: bad input, not a verdict (the CLI's exit 2).
type InputError struct{ msg string }

func (e *InputError) Error() string { return e.msg }

// BadInput marks the error as bad input for the CLI's exit-code contract.
func (e *InputError) BadInput() bool { return true }

func badInput(format string, args ...any) error {
	return &InputError{fmt.Sprintf(format, args...)}
}

// clip quotes s for an error message, cut to a few dozen bytes: a bad
// megabyte-long word is not echoed whole.
func clip(s string) string {
	const most = 40
	if len(s) > most {
		return fmt.Sprintf("%q...", s[:most])
	}
	return fmt.Sprintf("%q", s)
}

// Validate reports the first bad option (an *InputError).
func (o *Options) Validate() error {
	switch {
	case o.Ops < 0 || o.Ops > MaxOps:
		return badInput("ops %d not in 0..%d", o.Ops, MaxOps)
	case o.Threads < 1 || o.Threads > MaxThreads:
		return badInput("threads %d not in 1..%d", o.Threads, MaxThreads)
	case o.Files < 1 || o.Files > MaxFiles:
		return badInput("files %d not in 1..%d", o.Files, MaxFiles)
	case o.MaxFileSize < 1 || o.MaxFileSize > MaxFileSize:
		return badInput("max file size %d not in 1..%d (1 TiB)", o.MaxFileSize, int64(MaxFileSize))
	case o.MaxOpSize < 1 || o.MaxOpSize > MaxOpSize:
		return badInput("max op size %d not in 1..%d (16 MiB)", o.MaxOpSize, MaxOpSize)
	case o.RemountEvery < 0 || o.DropEvery < 0 || o.ShortEvery < 0:
		return badInput("remount, drop and short-write rates must be >= 0")
	}
	for _, a := range []int64{o.ReadAlign, o.WriteAlign, o.TruncAlign} {
		if a < 1 || a > o.MaxFileSize {
			return badInput("alignment %d not in 1..max file size %d", a, o.MaxFileSize)
		}
	}
	if o.Disabled.Has(Remount) {
		o.RemountEvery = 0
	}
	if o.Disabled.Has(DropCaches) {
		o.DropEvery = 0
	}
	if o.RemountEvery == 0 {
		o.Disabled = o.Disabled.With(Remount)
	}
	if o.DropEvery == 0 {
		o.Disabled = o.Disabled.With(DropCaches)
	}
	if o.Disabled.enabledWeight() == 0 {
		return badInput("every operation but remount and drop-caches is disabled")
	}
	return nil
}

// String renders the options as the key=value header of a log.
func (o Options) String() string {
	return fmt.Sprintf("seed=%d ops=%d threads=%d files=%d maxfile=%d maxop=%d ralign=%d walign=%d talign=%d remount=%d drop=%d short=%d disabled=%s",
		o.Seed, o.Ops, o.Threads, o.Files, o.MaxFileSize, o.MaxOpSize, o.ReadAlign, o.WriteAlign, o.TruncAlign,
		o.RemountEvery, o.DropEvery, o.ShortEvery, o.Disabled)
}

// KindSet is a set of kinds.
type KindSet uint32

// With returns s plus k.
func (s KindSet) With(k Kind) KindSet { return s | 1<<k }

// Has reports whether k is in s.
func (s KindSet) Has(k Kind) bool { return s&(1<<k) != 0 }

func (s KindSet) String() string {
	var names []string
	for _, k := range Kinds() {
		if s.Has(k) {
			names = append(names, k.String())
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ",")
}

// ParseKindSet parses a comma-separated list of kind names ("none" is empty).
func ParseKindSet(s string) (KindSet, error) {
	var set KindSet
	if s == "" || s == "none" {
		return 0, nil
	}
	for _, n := range strings.Split(s, ",") {
		k, err := ParseKind(strings.TrimSpace(n))
		if err != nil {
			return 0, err
		}
		set = set.With(k)
	}
	return set, nil
}

// weights are the relative frequencies of the drawn kinds; remount and
// drop-caches come at their own rates instead.
var weights = [numKinds]int{
	Read: 10, Write: 10, MapRead: 5, MapWrite: 5,
	Truncate: 3, Fallocate: 3, Punch: 3, ZeroRange: 3,
	Fsync: 2, SyncRange: 3, Fadvise: 3, Reclaim: 3,
	Clone: 3, Dedupe: 2, Copy: 3,
}

func (s KindSet) enabledWeight() int {
	n := 0
	for _, k := range Kinds() {
		if !s.Has(k) {
			n += weights[k]
		}
	}
	return n
}
