package fsx

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
)

// logMagic is the first line of a log; the version changes with the format.
const logMagic = "# iomaplab fsx log v1"

// WriteLog writes a run's operation log: a header with the options and
// free-form "# key: value" notes, then every op, thread by thread, each
// thread's ops in the order it ran them.
func WriteLog(w io.Writer, opt Options, notes map[string]string, streams [][]Op) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, logMagic)
	fmt.Fprintf(bw, "# options: %s\n", opt)
	keys := make([]string, 0, len(notes))
	for k := range notes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, line := range strings.Split(strings.TrimRight(notes[k], "\n"), "\n") {
			fmt.Fprintf(bw, "# %s: %s\n", k, line)
		}
	}
	fmt.Fprintln(bw, "# ID tTHREAD eEPOCH KIND fFILE 0xOFF 0xLEN size=0xSIZE_BEFORE [src=fSRC:0xSRCOFF] [keep] [short=0xFAULT_AT] [x = exclusive]")
	for _, s := range streams {
		for _, op := range s {
			fmt.Fprintln(bw, op)
		}
	}
	return bw.Flush()
}

// Log is a parsed operation log.
type Log struct {
	Options Options
	Streams [][]Op
}

// ReadLog parses a log written by WriteLog. Errors carry the line number;
// a log that is malformed or asks for more than the limits allow (MaxOps
// ops, the options' bounds, ranges past its maximum file size) is an
// *InputError, found before any work proportional to the bad number.
func ReadLog(r io.Reader) (*Log, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	l := &Log{Options: Defaults()}
	line := 0
	seenOptions := false
	var ops int64
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if line == 1 {
			if text != logMagic {
				return nil, badInput("line 1: not an fsx log (want %q)", logMagic)
			}
			continue
		}
		if text == "" {
			continue
		}
		if strings.HasPrefix(text, "#") {
			if rest, ok := strings.CutPrefix(text, "# options: "); ok {
				if seenOptions {
					return nil, badInput("line %d: a second options line", line)
				}
				if err := parseOptions(&l.Options, rest); err != nil {
					return nil, fmt.Errorf("line %d: %w", line, err)
				}
				seenOptions = true
			}
			continue
		}
		if !seenOptions {
			return nil, badInput("line %d: an op before the options line", line)
		}
		if ops++; ops > MaxOps {
			return nil, badInput("line %d: more than %d ops", line, MaxOps)
		}
		op, err := ParseOp(text)
		if err == nil {
			err = op.checkRange(&l.Options)
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		for len(l.Streams) <= op.Thread { // op.Thread < MaxThreads
			l.Streams = append(l.Streams, nil)
		}
		l.Streams[op.Thread] = append(l.Streams[op.Thread], op)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, badInput("line %d: longer than 1 MiB", line+1)
		}
		return nil, err
	}
	if line == 0 {
		return nil, badInput("empty log")
	}
	if !seenOptions {
		return nil, badInput("no options line")
	}
	for len(l.Streams) < l.Options.Threads {
		l.Streams = append(l.Streams, nil)
	}
	if err := checkStreams(l.Streams, l.Options.Files); err != nil {
		return nil, err
	}
	return l, nil
}

// parseOptions parses the options line's key=value pairs into o and
// validates the result (on a copy: the log's options stay as written).
func parseOptions(o *Options, s string) error {
	for _, kv := range strings.Fields(s) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return badInput("option %s: want key=value", clip(kv))
		}
		if k == "disabled" {
			set, err := ParseKindSet(v)
			if err != nil {
				return err
			}
			o.Disabled = set
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return badInput("option %s: not a number", clip(kv))
		}
		switch k {
		case "seed":
			o.Seed = uint64(n)
		case "ops":
			o.Ops = n
		case "threads":
			o.Threads = int(n)
		case "files":
			o.Files = int(n)
		case "maxfile":
			o.MaxFileSize = n
		case "maxop":
			o.MaxOpSize = n
		case "ralign":
			o.ReadAlign = n
		case "walign":
			o.WriteAlign = n
		case "talign":
			o.TruncAlign = n
		case "remount":
			o.RemountEvery = n
		case "drop":
			o.DropEvery = n
		case "short":
			o.ShortEvery = n
		default:
			return badInput("unknown option %s", clip(k))
		}
	}
	check := *o
	return check.Validate()
}

// checkStreams rejects streams a replay could not follow: ops must name a
// file that exists, each thread's epochs must rise (past an exclusive op,
// strictly), and the exclusive ops must end epochs 0, 1, 2, ... once each,
// with no shared op in an epoch that is never reached.
func checkStreams(streams [][]Op, files int) error {
	var excl []int64
	var maxShared int64 = -1
	for ti, s := range streams {
		prev, prevExcl := int64(0), false
		for i, op := range s {
			switch {
			case op.Thread != ti:
				return badInput("thread %d op %d (ID %d) names thread %d", ti, i, op.ID, op.Thread)
			case op.File < 0 || op.File >= files || op.SrcFile < 0 || op.SrcFile >= files:
				return badInput("op %d names file %d or %d of %d", op.ID, op.File, op.SrcFile, files)
			case op.Epoch < prev || prevExcl && op.Epoch == prev:
				return badInput("op %d: epoch %d after epoch %d on thread %d", op.ID, op.Epoch, prev, ti)
			}
			prev, prevExcl = op.Epoch, op.Excl
			if op.Excl {
				excl = append(excl, op.Epoch)
			} else {
				maxShared = max(maxShared, op.Epoch)
			}
		}
	}
	slices.Sort(excl)
	for i, e := range excl {
		if e != int64(i) {
			return badInput("exclusive ops end epochs ... %d, want each of 0..%d once", e, len(excl)-1)
		}
	}
	if maxShared > int64(len(excl)) {
		return badInput("an op runs in epoch %d, but only %d exclusive ops end epochs", maxShared, len(excl))
	}
	return nil
}

// epochCounts counts the shared ops of each epoch of a replay.
func epochCounts(streams [][]Op) ([]atomic.Int64, []int64) {
	n := 1
	for _, s := range streams {
		for _, op := range s {
			n = max(n, int(op.Epoch)+1)
		}
	}
	want := make([]int64, n)
	for _, s := range streams {
		for _, op := range s {
			if !op.Excl {
				want[op.Epoch]++
			}
		}
	}
	return make([]atomic.Int64, n), want
}
