package fsx

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Kind is an operation of the stream.
type Kind uint8

const (
	Read Kind = iota
	Write
	MapRead
	MapWrite
	Truncate
	Fallocate
	Punch
	ZeroRange
	Fsync
	SyncRange
	Fadvise
	Reclaim
	DropCaches
	Remount
	Clone  // FICLONERANGE of [SrcOff, SrcOff+Len) of SrcFile onto [Off, End) of File
	Dedupe // FIDEDUPERANGE: share the ranges only if their bytes are equal
	Copy   // copy_file_range(2)
	numKinds
)

var kindNames = [numKinds]string{
	"read", "write", "mapread", "mapwrite", "truncate", "fallocate", "punch",
	"zero", "fsync", "sync-range", "fadvise", "reclaim", "drop-caches", "remount",
	"clone", "dedupe", "copy",
}

func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "kind?"
}

// Kinds returns every operation kind in order.
func Kinds() []Kind {
	ks := make([]Kind, numKinds)
	for i := range ks {
		ks[i] = Kind(i)
	}
	return ks
}

// ParseKind returns the kind called name.
func ParseKind(name string) (Kind, error) {
	for k, n := range kindNames {
		if n == name {
			return Kind(k), nil
		}
	}
	return 0, badInput("unknown operation %s (want one of %s)", clip(name), strings.Join(kindNames[:], ", "))
}

// neutral kinds change no byte and no size: they run under the harness lock
// taken shared, on any range. Dedupe is one: it shares blocks only where the
// bytes are equal, so no byte changes.
func (k Kind) neutral() bool {
	switch k {
	case Fsync, SyncRange, Fadvise, Reclaim, DropCaches, Dedupe:
		return true
	}
	return false
}

// Op is one operation of the stream. Off and Len are the byte range (Off is
// the new size for Truncate); Len 0 on a read means "no range was available,
// check the size only", on a clone, dedupe or copy "skipped" (fsx's
// FL_SKIPPED). Clone, dedupe and copy have two ranges: they read
// [SrcOff, SrcOff+Len) of SrcFile and write [Off, End) of File.
type Op struct {
	ID     int64 // unique in the run; seeds the bytes a write stores
	Thread int
	Epoch  int64 // the epoch it ran in; exclusive ops end their epoch
	Kind   Kind
	File   int
	Off    int64
	Len    int64
	Keep   bool  // fallocate, zero: FALLOC_FL_KEEP_SIZE
	Short  int64 // write: >0 faults the source buffer at byte Short (a short write)
	Excl   bool  // ran under the harness lock taken exclusively
	Size   int64 // the file's size before the op

	SrcFile int   // clone, dedupe, copy: the source file
	SrcOff  int64 // clone, dedupe, copy: the source offset
}

// remap reports whether the kind has a source range (clone, dedupe, copy).
func (k Kind) remap() bool { return k == Clone || k == Dedupe || k == Copy }

// End is the end of the op's range (exclusive).
func (o Op) End() int64 { return o.Off + o.Len }

// Touches reports whether the op read, wrote, wrote back or evicted byte off
// of file, or remounted. Fsync and drop-caches, which touch everything, are
// left out: they would crowd out the ops a failure report wants to show.
func (o Op) Touches(file int, off int64) bool {
	switch {
	case o.Kind == Remount:
		return true
	case o.File != file || o.Kind == Fsync || o.Kind == DropCaches:
		return false
	}
	switch o.Kind {
	case Truncate:
		return off >= min(o.Off, o.Size)
	case MapWrite, Clone, Copy:
		// may extend first (a clone or copy past EOF zeroes the gap)
		return off >= min(o.Off, o.Size) && off < o.End()
	}
	return off >= o.Off && off < o.End()
}

// String is the op's log line:
//
//	ID tTHREAD eEPOCH KIND fFILE 0xOFF 0xLEN size=0xSIZE [src=fN:0xOFF] [keep] [short=0xN] [x]
func (o Op) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d t%d e%d %s f%d 0x%x 0x%x size=0x%x", o.ID, o.Thread, o.Epoch, o.Kind, o.File, o.Off, o.Len, o.Size)
	if o.Kind.remap() {
		fmt.Fprintf(&b, " src=f%d:0x%x", o.SrcFile, o.SrcOff)
	}
	if o.Keep {
		b.WriteString(" keep")
	}
	if o.Short > 0 {
		fmt.Fprintf(&b, " short=0x%x", o.Short)
	}
	if o.Excl {
		b.WriteString(" x")
	}
	return b.String()
}

// ParseOp parses a line written by Op.String. Every number is parsed with
// its bound before anything is done with it: a thread below MaxThreads, a
// file below MaxFiles, offsets, lengths and sizes up to MaxFileSize (so no
// range's end can overflow). Errors are *InputError.
func ParseOp(line string) (Op, error) {
	f := strings.Fields(line)
	if len(f) < 8 {
		return Op{}, badInput("want at least 8 fields, have %d", len(f))
	}
	var o Op
	var err error
	// num parses field s, prefix then a number in base, in 0..most.
	num := func(s, prefix string, base int, most int64) int64 {
		if err != nil {
			return 0
		}
		digits, ok := strings.CutPrefix(s, prefix)
		if !ok {
			err = badInput("field %s: want prefix %q", clip(s), prefix)
			return 0
		}
		v, e := strconv.ParseInt(digits, base, 64)
		switch {
		case e != nil && !errors.Is(e, strconv.ErrRange) || strings.HasPrefix(digits, "+"):
			err = badInput("field %s: not a number", clip(s))
		case e != nil || v < 0 || v > most:
			err = badInput("field %s: not in 0..%d", clip(s), most)
		}
		return v
	}
	o.ID = num(f[0], "", 10, math.MaxInt64)
	o.Thread = int(num(f[1], "t", 10, MaxThreads-1))
	o.Epoch = num(f[2], "e", 10, MaxOps)
	if err != nil {
		return Op{}, err
	}
	if o.Kind, err = ParseKind(f[3]); err != nil {
		return Op{}, err
	}
	o.File = int(num(f[4], "f", 10, MaxFiles-1))
	o.Off = num(f[5], "0x", 16, MaxFileSize)
	o.Len = num(f[6], "0x", 16, MaxFileSize)
	o.Size = num(f[7], "size=0x", 16, MaxFileSize)
	hasSrc := false
	for _, s := range f[8:] {
		if src, ok := strings.CutPrefix(s, "src="); ok {
			file, off, found := strings.Cut(src, ":")
			if !found || hasSrc {
				return Op{}, badInput("field %s: want one src=fN:0xOFF", clip(s))
			}
			o.SrcFile = int(num(file, "f", 10, MaxFiles-1))
			o.SrcOff = num(off, "0x", 16, MaxFileSize)
			hasSrc = true
			continue
		}
		switch s {
		case "keep":
			o.Keep = true
		case "x":
			o.Excl = true
		default:
			if strings.HasPrefix(s, "short=") {
				o.Short = num(s, "short=0x", 16, MaxFileSize)
				continue
			}
			return Op{}, badInput("unknown flag %s", clip(s))
		}
	}
	if err != nil {
		return Op{}, err
	}
	if o.Kind.neutral() && o.Excl || o.Kind.exclusive() && !o.Excl {
		return Op{}, badInput("%s with the wrong lock mode", o.Kind)
	}
	if hasSrc != o.Kind.remap() {
		return Op{}, badInput("%s with src= %v", o.Kind, hasSrc)
	}
	if o.Short > 0 && (o.Kind != Write || o.Short >= o.Len) {
		return Op{}, badInput("short=0x%x on a %s of 0x%x bytes", o.Short, o.Kind, o.Len)
	}
	return o, nil
}

// checkRange rejects an op whose ranges reach past the log's maximum file
// size, or whose length passes its maximum op size where the length is
// data to copy or allocate (not for fsync, sync-range, fadvise and reclaim,
// whose ranges span the file): a generated op never does, so the log was
// edited, and its replay could ask for work no run was sized for.
func (o Op) checkRange(opt *Options) error {
	end := o.End() // a truncate's new size: Off, Len 0
	switch {
	case end > opt.MaxFileSize || o.Size > opt.MaxFileSize:
		return badInput("op %d: %s reaches 0x%x or size 0x%x, past the log's maximum file size 0x%x", o.ID, o.Kind, end, o.Size, opt.MaxFileSize)
	case o.Kind.remap() && o.SrcOff+o.Len > opt.MaxFileSize:
		return badInput("op %d: %s source reaches 0x%x, past the log's maximum file size 0x%x", o.ID, o.Kind, o.SrcOff+o.Len, opt.MaxFileSize)
	case o.Len > opt.MaxOpSize && !o.Kind.spansFile():
		return badInput("op %d: %s of 0x%x bytes, longer than the log's maximum op size 0x%x", o.ID, o.Kind, o.Len, opt.MaxOpSize)
	}
	return nil
}

// spansFile kinds take a range as long as the file: they copy and allocate
// nothing in proportion to it.
func (k Kind) spansFile() bool {
	switch k {
	case Fsync, SyncRange, Fadvise, Reclaim:
		return true
	}
	return false
}

// exclusive kinds always take the harness lock exclusively: they change a
// size or punch holes (and remount changes everything in core). Clone and
// copy are exclusive unless both their ranges lie in the thread's slice
// (see worker.step), as writes are unless they stay below EOF.
func (k Kind) exclusive() bool {
	switch k {
	case Truncate, Fallocate, Punch, ZeroRange, Remount:
		return true
	}
	return false
}
