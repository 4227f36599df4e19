package fsx

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// fstests fsx's op log: what `fsx --record-ops` writes (ltp/fsx.c
// logdump) and `fsx --replay-ops` reads (read_op), one op a line:
//
//	[skip ]NAME 0xOFF 0xLEN 0xSIZE [keep_size] [close_open] [unshare] [*]
//	[skip ]NAME 0xSRC 0xLEN 0xDST 0xSIZE ...   (clone_range, dedupe_range, copy_range, exchange_range)
//
// SIZE is the file's size before the op; a truncate is "truncate 0x0
// 0xNEW 0xOLD"; "skip" marks an op fsx did not run; lines whose first
// word starts with "#" are comments. fsx tests one file with one thread.

// fstestsKinds maps fstests fsx's op names to iomaplab's kinds. The
// dontcache variants (RWF_DONTCACHE) and write_atomic (RWF_ATOMIC) store
// the same bytes as a plain read or write: the hint and the untorn-write
// guarantee are not modelled.
var fstestsKinds = map[string]Kind{
	"read": Read, "read_dontcache": Read,
	"write": Write, "write_dontcache": Write, "write_atomic": Write,
	"mapread": MapRead, "mapwrite": MapWrite,
	"truncate": Truncate, "fallocate": Fallocate,
	"punch_hole": Punch, "zero_range": ZeroRange,
	"clone_range": Clone, "dedupe_range": Dedupe, "copy_range": Copy,
	"fsync": Fsync,
}

// fstestsUnmapped are fstests fsx's ops the model has no operation for.
var fstestsUnmapped = map[string]string{
	"collapse_range": "fsx -C",
	"insert_range":   "fsx -I",
	"exchange_range": "fsx -0",
}

// fstestsNames is each kind's name in an fstests log; kinds without one
// are not exported. Fsync is not: fsx runs an fsync only in its integrity
// mode (-i LOGDEV), where it also marks a dm-log-writes device, and its
// replay of an fsync line fails without one.
var fstestsNames = map[Kind]string{
	Read: "read", Write: "write", MapRead: "mapread", MapWrite: "mapwrite",
	Truncate: "truncate", Fallocate: "fallocate", Punch: "punch_hole", ZeroRange: "zero_range",
	Clone: "clone_range", Dedupe: "dedupe_range", Copy: "copy_range",
}

// fstestsMaxLine bounds a line of an fstests log (fsx itself reads 256
// bytes at a time).
const fstestsMaxLine = 4096

// ReadAnyLog reads an op log in either format: iomaplab's own (ReadLog),
// recognised by its first line, or fstests fsx's --record-ops format
// (ReadFstestsLog).
func ReadAnyLog(r io.Reader) (*Log, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(len(logMagic))
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	if string(head) == logMagic {
		return ReadLog(br)
	}
	return ReadFstestsLog(br)
}

// ReadFstestsLog parses an fstests fsx --record-ops log into a one-thread,
// one-file log that Run can replay. Skipped ops are left out, as fsx's
// replay leaves them out; close_open is dropped (a close and reopen
// changes no byte). Every op's recorded size-before is checked against
// the sizes the ops before it make from an empty file, so a log that does
// not start at the beginning of a run (fsx keeps only its last 10000 ops,
// or ran with -k on an existing file) is refused, not replayed from the
// wrong state. Ops the model has no counterpart for (collapse_range,
// insert_range, exchange_range, fallocate with unshare) are refused with
// the fsx flag that leaves them out. Bounds are ReadLog's: at most MaxOps
// ops, lengths up to MaxOpSize, fsx's own 32-bit offsets; errors are
// *InputError with the line number.
func ReadFstestsLog(r io.Reader) (*Log, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), fstestsMaxLine)
	var ops []Op
	var size int64 // the file's size, replaying the log from an empty file
	line, words := 0, 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		words++
		op, skipped, err := parseFstestsOp(f)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if op.Size != size {
			return nil, badInput("line %d: %s records a file size of 0x%x, but the ops before it make 0x%x from an empty file: not the start of a run (fsx keeps only its last 10000 ops: record with -N 10000 or fewer; or it ran with -k)", line, op.Kind, op.Size, size)
		}
		if skipped || fstestsSkip(op) { // fsx's replay skips both
			continue
		}
		if op.Kind.remap() && (op.SrcOff+op.Len > op.Size || op.Kind == Dedupe && op.End() > op.Size) {
			return nil, badInput("line %d: %s of 0x%x bytes from 0x%x to 0x%x reaches past EOF 0x%x: fsx never records one", line, op.Kind, op.Len, op.SrcOff, op.Off, op.Size)
		}
		if len(ops) == MaxOps {
			return nil, badInput("line %d: more than %d ops", line, MaxOps)
		}
		size = sizeAfter(op)
		op.ID = int64(len(ops)) + 1
		ops = append(ops, op)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, badInput("line %d: longer than %d bytes: not an fsx log", line+1, fstestsMaxLine)
		}
		return nil, err
	}
	switch {
	case words == 0:
		return nil, badInput("no ops: neither an iomaplab fsx log (first line %q) nor an fstests fsx --record-ops log", logMagic)
	case len(ops) == 0:
		return nil, badInput("no ops to replay: fsx skipped every op of the log")
	}
	l := &Log{Options: Defaults()}
	l.Options.Ops = int64(len(ops))
	var epoch int64
	for i := range ops {
		op := &ops[i]
		l.Options.MaxFileSize = max(l.Options.MaxFileSize, op.End(), op.Size, op.SrcOff+op.Len)
		if !op.Kind.spansFile() {
			if op.Len > MaxOpSize {
				return nil, badInput("op %d: %s of 0x%x bytes, longer than the longest op iomaplab runs (0x%x)", op.ID, op.Kind, op.Len, MaxOpSize)
			}
			l.Options.MaxOpSize = max(l.Options.MaxOpSize, op.Len)
		}
		// As generated runs do: ops that change the size or punch run
		// exclusively and end their epoch.
		op.Excl = op.Kind.exclusive() || sizeAfter(*op) != op.Size
		op.Epoch = epoch
		if op.Excl {
			epoch++
		}
	}
	if err := l.Options.Validate(); err != nil {
		return nil, err
	}
	l.Streams = [][]Op{ops}
	return l, nil
}

// parseFstestsOp parses the words of one op line as fsx's read_op does,
// with bounds: each number fits fsx's 32-bit fields.
func parseFstestsOp(f []string) (op Op, skipped bool, err error) {
	if f[0] == "skip" {
		skipped, f = true, f[1:]
		if len(f) == 0 {
			return op, false, badInput("skip without an op")
		}
	}
	name := f[0]
	kind, mapped := fstestsKinds[name]
	flag, unmapped := fstestsUnmapped[name]
	switch {
	case !mapped && !unmapped:
		return op, false, badInput("unknown operation %s: neither an iomaplab fsx log (first line %q) nor an fstests fsx --record-ops log", clip(name), logMagic)
	case unmapped && !skipped:
		return op, false, badInput("%s: the model has no such operation (record with %s)", name, flag)
	}
	nargs := 3
	if kind.remap() || name == "exchange_range" {
		nargs = 4
	}
	if len(f) < 1+nargs {
		return op, false, badInput("%s: want %d numbers, have %d", name, nargs, len(f)-1)
	}
	var a [4]int64
	for i := range nargs {
		v, perr := strconv.ParseUint(f[1+i], 0, 64)
		if perr != nil && !errors.Is(perr, strconv.ErrRange) {
			return op, false, badInput("%s: %s is not a number", name, clip(f[1+i]))
		}
		if perr != nil || v > math.MaxUint32 {
			return op, false, badInput("%s: %s is past fsx's 32-bit offsets", name, clip(f[1+i]))
		}
		a[i] = int64(v)
	}
	for _, flag := range f[1+nargs:] {
		switch flag {
		case "keep_size":
			op.Keep = kind == Fallocate || kind == ZeroRange
		case "close_open", "*": // a close and reopen; the overlap marker
		case "unshare":
			if !skipped {
				return op, false, badInput("fallocate with unshare: the model has no FALLOC_FL_UNSHARE_RANGE (record with fsx -u)")
			}
		default:
			return op, false, badInput("%s: unknown flag %s", name, clip(flag))
		}
	}
	op.Kind = kind
	switch {
	case nargs == 4:
		op.SrcOff, op.Len, op.Off, op.Size = a[0], a[1], a[2], a[3]
	case kind == Truncate:
		op.Off, op.Size = a[1], a[2]
	case kind == Fsync:
		op.Size = a[2]
		op.Len = op.Size
	default:
		op.Off, op.Len, op.Size = a[0], a[1], a[2]
	}
	op.Keep = op.Keep || kind == Punch // a hole punch always keeps the size
	return op, skipped, nil
}

// sizeAfter is the file's size after op (as fsx.c's update_file_size
// calls have it), given the size before in op.Size.
func sizeAfter(op Op) int64 {
	switch op.Kind {
	case Truncate:
		return op.Off
	case Write, MapWrite, Clone, Copy:
		return max(op.Size, op.End())
	case Fallocate, ZeroRange:
		if !op.Keep {
			return max(op.Size, op.End())
		}
	}
	return op.Size
}

// FstestsExport counts what WriteFstestsLog could not express.
type FstestsExport struct {
	Ops int64 // op lines written (skips included)
	// Unexported counts the ops fstests fsx has no counterpart for
	// (fsync outside fsx's integrity mode, sync-range, fadvise, reclaim,
	// drop-caches, remount, short writes), written as comments.
	Unexported map[Kind]int64
}

// WriteFstestsLog writes a run's streams as an fstests fsx --record-ops
// log, so `fsx --replay-ops` runs the same operations on a real
// filesystem (with -l opt.MaxFileSize and -o opt.MaxOpSize, as the header
// says). fsx tests one file with one thread: the run must have one file;
// several threads' streams are serialised by epoch (each epoch's shared
// ops, which touch disjoint ranges or no bytes, thread by thread, then
// the exclusive op that ends it), which stores the same bytes. Ops fsx
// has no counterpart for are written as "# iomaplab: ..." comments, which
// fsx skips, and counted: fsync, sync-range, fadvise, reclaim,
// drop-caches and remount change no byte and no size; a short write does, so after one
// the sizes fsx's replay sees (written as the log's sizes, from the ops
// written) differ from the run's, and an op that then has nothing to do,
// or would reach past EOF, is written as a skip. Every offset must fit
// fsx's 32-bit fields.
func WriteFstestsLog(w io.Writer, opt Options, streams [][]Op) (FstestsExport, error) {
	ex := FstestsExport{Unexported: map[Kind]int64{}}
	if opt.Files != 1 {
		return ex, badInput("fstests fsx tests one file; this run has %d", opt.Files)
	}
	if opt.MaxFileSize > math.MaxInt32 {
		return ex, badInput("max file size 0x%x does not fit fstests fsx's 32-bit offsets", opt.MaxFileSize)
	}
	ops, err := serialise(streams)
	if err != nil {
		return ex, err
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "# iomaplab fsx run as an fstests fsx --record-ops log (ltp/fsx.c); replay with")
	fmt.Fprintf(bw, "#   fsx -l %d -o %d --replay-ops=THIS_FILE TESTFILE\n", opt.MaxFileSize, opt.MaxOpSize)
	fmt.Fprintf(bw, "# iomaplab seed=%d threads=%d ops=%d; ops fsx has no counterpart for are comments\n", opt.Seed, opt.Threads, len(ops))
	if slices.ContainsFunc(ops, func(op Op) bool { return op.Kind == Clone || op.Kind == Dedupe }) {
		fmt.Fprintln(bw, "# it clones and dedupes: replay it on a filesystem with reflink (fsx skips them elsewhere,")
		fmt.Fprintln(bw, "# and the ops after a skipped extending clone see another size)")
	}
	var size int64 // the file's size in fsx's replay of the log
	for _, op := range ops {
		name, ok := fstestsNames[op.Kind]
		if !ok || op.Short > 0 {
			ex.Unexported[op.Kind]++
			fmt.Fprintf(bw, "# iomaplab: %s\n", op)
			continue
		}
		op.Size = size
		if fstestsSkip(op) || op.Kind.remap() && (op.SrcOff+op.Len > size || op.Kind == Dedupe && op.End() > size) {
			bw.WriteString("skip ")
		} else {
			size = sizeAfter(op)
		}
		switch {
		case op.Kind.remap():
			fmt.Fprintf(bw, "%s 0x%x 0x%x 0x%x 0x%x", name, op.SrcOff, op.Len, op.Off, op.Size)
		case op.Kind == Truncate:
			fmt.Fprintf(bw, "%s 0x0 0x%x 0x%x", name, op.Off, op.Size)
		default:
			fmt.Fprintf(bw, "%s 0x%x 0x%x 0x%x", name, op.Off, op.Len, op.Size)
		}
		if op.Keep && (op.Kind == Fallocate || op.Kind == ZeroRange) {
			bw.WriteString(" keep_size")
		}
		bw.WriteString("\n")
		ex.Ops++
	}
	return ex, bw.Flush()
}

// fstestsSkip reports whether fsx's replay does nothing for op: an op of
// no bytes, a read or punch past EOF (whose offset fsx would wrap into
// the file, fsx.c's TRIM_OFF, to the same effect: none), a remap from
// past EOF. They are written as "skip" lines and left out when read.
func fstestsSkip(op Op) bool {
	switch op.Kind {
	case Fsync, Truncate:
		return false
	case Read, MapRead, Punch:
		return op.Len == 0 || op.Off >= op.Size
	case Clone, Dedupe, Copy:
		return op.Len == 0 || op.SrcOff >= op.Size // "skipping ... behind EOF"
	}
	return op.Len == 0
}

// serialise orders the streams' ops as one thread could have run them:
// epoch by epoch, the shared ops of each thread in order, then the
// exclusive op that ends the epoch.
func serialise(streams [][]Op) ([]Op, error) {
	var n int
	var excl []Op
	shared := map[int64][]Op{}
	for _, s := range streams {
		n += len(s)
		for _, op := range s {
			if op.Excl {
				excl = append(excl, op)
			} else {
				shared[op.Epoch] = append(shared[op.Epoch], op)
			}
		}
	}
	byEpoch := make(map[int64]Op, len(excl))
	for _, op := range excl {
		if _, dup := byEpoch[op.Epoch]; dup {
			return nil, badInput("two exclusive ops end epoch %d", op.Epoch)
		}
		byEpoch[op.Epoch] = op
	}
	out := make([]Op, 0, n)
	for e := int64(0); len(out) < n; e++ {
		out = append(out, shared[e]...)
		op, ok := byEpoch[e]
		if !ok {
			if len(out) < n {
				return nil, badInput("no exclusive op ends epoch %d, but ops run after it", e)
			}
			break
		}
		out = append(out, op)
	}
	return out, nil
}
