package fsx

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"iomaplab/lab"
)

// How many bytes of context a mismatch dump keeps around the first bad byte.
const (
	dumpBefore = 48
	dumpAfter  = 80
	// touchingShown is how many of the last ops touching the bad byte a
	// report lists.
	touchingShown = 12
)

// Failure is the first thing that went wrong in a run.
type Failure struct {
	// Op is the op that found it (nil: the final check).
	Op *Op
	// Stage says where: "op", "size check", "check after remount",
	// "final check", "lab", ...
	Stage string
	// Err is the unexpected error a target call returned, or the lab's
	// verdict (panic, deadlock); nil for a data or size mismatch.
	Err error

	File int
	// Off is the first bad byte (a size mismatch: the smaller size).
	Off          int64
	Bad          int   // bad bytes in the compared range
	RangeOff     int64 // the compared range
	RangeLen     int64
	SizeMismatch bool
	ExpectedSize int64
	ActualSize   int64
	// DumpOff is the file offset of Expected[0] and Actual[0].
	DumpOff          int64
	Expected, Actual []byte
	// Touching are the last ops that touched byte Off of File, oldest first.
	Touching []Op

	aborted bool // a thread did not finish; the lab result says why
}

// setFailure records f if it is the first failure and wakes replay waiters.
func (h *harness) setFailure(t *lab.Thread, f *Failure) {
	if f.Op != nil {
		op := *f.Op
		f.Op = &op
	}
	if h.fail.CompareAndSwap(nil, f) {
		h.epochEv.Wake(t)
	}
}

func (h *harness) failErr(t *lab.Thread, op *Op, stage string, err error) {
	f := &Failure{Op: op, Stage: stage, Err: err}
	if op != nil {
		f.File, f.Off = op.File, op.Off
	}
	h.setFailure(t, f)
}

// attach finds the last ops that touched the bad byte. Streams are merged
// in epoch order: inside one epoch only the owner of a byte touches it, so
// (epoch, thread, position) orders every op that touched one byte.
func (f *Failure) attach(streams [][]Op) {
	if f.Err != nil {
		return
	}
	type at struct {
		op  Op
		pos int
	}
	var all []at
	for _, s := range streams {
		for i, op := range s {
			if op.Touches(f.File, f.Off) {
				all = append(all, at{op, i})
			}
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.op.Epoch != b.op.Epoch {
			return a.op.Epoch < b.op.Epoch
		}
		if a.op.Excl != b.op.Excl { // an exclusive op ends its epoch
			return b.op.Excl
		}
		if a.op.Thread != b.op.Thread {
			return a.op.Thread < b.op.Thread
		}
		return a.pos < b.pos
	})
	all = all[max(0, len(all)-touchingShown):]
	for _, a := range all {
		f.Touching = append(f.Touching, a.op)
	}
}

// Summary is the failure in one line.
func (f *Failure) Summary() string {
	where := f.Stage
	switch {
	case f.Op != nil && f.Stage == "op":
		where = fmt.Sprintf("op %d (%s)", f.Op.ID, f.Op.Kind)
	case f.Op != nil && f.Stage == "lab":
		where = fmt.Sprintf("lab, during op %d (%s)", f.Op.ID, f.Op.Kind)
	case f.Op != nil:
		where = fmt.Sprintf("%s of op %d (%s)", f.Stage, f.Op.ID, f.Op.Kind)
	}
	switch {
	case f.Err != nil:
		return fmt.Sprintf("%s: %v", where, f.Err)
	case f.SizeMismatch:
		return fmt.Sprintf("%s: fsx.%d has size %d (0x%x), expected %d (0x%x)", where, f.File, f.ActualSize, f.ActualSize, f.ExpectedSize, f.ExpectedSize)
	}
	return fmt.Sprintf("%s: fsx.%d bad data at offset %d (0x%x): %d bad byte(s) in the %d bytes read at 0x%x",
		where, f.File, f.Off, f.Off, f.Bad, f.RangeLen, f.RangeOff)
}

// Report writes the failure for a human: the summary, the op, an od-style
// dump of expected and actual bytes around the first bad byte, and the
// last operations that touched it.
func (f *Failure) Report(w io.Writer) {
	fmt.Fprintf(w, "FAIL: %s\n", f.Summary())
	if f.Op != nil {
		fmt.Fprintf(w, "  op: %s\n", f.Op)
	}
	if len(f.Expected) > 0 {
		i := f.Off - f.DumpOff
		fmt.Fprintf(w, "  expected 0x%02x, read 0x%02x", f.Expected[i], f.Actual[i])
		if e := f.Off&^1 - f.DumpOff; e >= 0 && e+1 < int64(len(f.Actual)) {
			fmt.Fprintf(w, "; the read bytes at 0x%x are %02x %02x: ", f.Off&^1, f.Actual[e], f.Actual[e+1])
			if f.Actual[e+1] == 0 {
				fmt.Fprintf(w, "zero, as in a hole")
			} else {
				fmt.Fprintf(w, "written by an op with ID = %d mod 256", f.Actual[e])
			}
		}
		fmt.Fprintln(w)
		dump(w, f.DumpOff, f.Off, f.Expected, f.Actual)
	}
	if len(f.Touching) > 0 {
		fmt.Fprintf(w, "  last %d ops touching fsx.%d offset 0x%x (oldest first):\n", len(f.Touching), f.File, f.Off)
		for _, op := range f.Touching {
			fmt.Fprintf(w, "    %s\n", op)
		}
	}
}

// dump writes expected and actual side by side, 16 bytes a line; bytes of
// actual that match are shown as "..", and the line with the first bad byte
// is marked.
func dump(w io.Writer, base, bad int64, want, got []byte) {
	fmt.Fprintf(w, "  %-10s  %-47s   %s\n", "offset", "expected", "actual (.. = as expected)")
	for i := 0; i < len(want); i += 16 {
		var e, a strings.Builder
		end := min(i+16, len(want))
		for j := i; j < end; j++ {
			if j > i {
				e.WriteByte(' ')
				a.WriteByte(' ')
			}
			fmt.Fprintf(&e, "%02x", want[j])
			if got[j] == want[j] {
				a.WriteString("..")
			} else {
				fmt.Fprintf(&a, "%02x", got[j])
			}
		}
		mark := " "
		if off := base + int64(i); bad >= off && bad < off+16 {
			mark = ">"
		}
		fmt.Fprintf(w, "%s 0x%08x  %-47s   %s\n", mark, base+int64(i), e.String(), a.String())
	}
}

// Signature is what a failure is, without where in the run it happened:
// Shrink keeps a reduction only if it fails with the same Signature.
type Signature struct {
	// Class is "data" (a byte mismatch), "size" (a size mismatch) or
	// "error" (an unexpected error or a lab verdict).
	Class string
	// Source says who reported an error: "op KIND" (the target call of an
	// op of that kind), "target check" (the target's own oracles, after any
	// remount), "lab" (a panic, deadlock or failed thread), or the stage
	// that read or remounted ("final remount", "check after remount", ...).
	Source string
	// Message is the error's message class (messageClass); empty for a
	// mismatch.
	Message string
}

func (s Signature) String() string {
	if s.Class != "error" {
		return s.Class + " mismatch"
	}
	return fmt.Sprintf("error from %s: %s", s.Source, s.Message)
}

// Signature returns f's signature.
func (f *Failure) Signature() Signature {
	switch {
	case f.Err != nil:
	case f.SizeMismatch:
		return Signature{Class: "size"}
	default:
		return Signature{Class: "data"}
	}
	s := Signature{Class: "error", Source: f.Stage, Message: messageClass(f.Err)}
	switch {
	case f.Stage == "op" && f.Op != nil:
		s.Source = "op " + f.Op.Kind.String()
	case strings.HasPrefix(f.Stage, "target check"):
		s.Source = "target check"
	}
	return s
}

// labVerdict matches a lab result's "OUTCOME after N steps (thread T): "
// prefix (lab.Result.String).
var labVerdict = regexp.MustCompile(`^(\S+) after \d+ steps \(thread [^)]*\)(: )?`)

// messageClass is the class of an error: an errno's name (EINVAL, ENOSPC)
// if it wraps one; otherwise its first line's leading ": "-separated parts
// up to the first that holds a digit — the oracle and the kind of
// violation ("block ownership: write-unowned", "fsck", "reservations"),
// without the block numbers, inodes, offsets and thread names that
// shrinking changes. A lab verdict keeps its outcome ("panic: ...").
func messageClass(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if name := unix.ErrnoName(errno); name != "" {
			return name
		}
		return errno.Error()
	}
	line, _, _ := strings.Cut(err.Error(), "\n")
	var parts []string
	if m := labVerdict.FindStringSubmatch(line); m != nil {
		parts = append(parts, m[1])
		line = line[len(m[0]):]
	}
	for part := range strings.SplitSeq(line, ": ") {
		if part == "" || strings.ContainsAny(part, "0123456789") {
			break
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, ": ")
}
