package iomap

import (
	"fmt"
	"syscall"

	"iomaplab/lab"
)

// MaxStaleRemaps bounds consecutive stale remaps without progress; more is
// a livelock (the livelock oracle): a controlled run fails, a free run
// stops the operation with EDEADLK and counts Stats.Livelocks.
const MaxStaleRemaps = 64

// Iter walks a file range mapping by mapping (struct iomap_iter and
// iomap_iter() of fs/iomap/iter.c). Callers drive it:
//
//	it := NewIter(in, ops, pos, length, op)
//	for it.Next(t) {
//		... act on it.Map over [it.Pos, it.Pos+it.Length()), calling
//		it.Advance(n) for what was done, or it.SetErr(err) ...
//	}
//	done, err := it.Pos-pos, it.Err()
//
// Next ends the previous mapping (Ops.End) and maps the rest of the range
// again if the handler advanced or flagged the mapping STALE; it stops when
// the range is done, on an error, or when a round made no progress on a
// mapping that is not stale (fs/iomap/iter.c iomap_iter_continue).
type Iter struct {
	In  *Inode
	Ops Ops
	Op  Op
	// Pos and Len are the part of the range not yet processed.
	Pos, Len int64
	// Map is the current mapping; handlers set FlagStale on it.
	Map Mapping

	// AfterBegin names the Point hit after each Begin ("" for none).
	AfterBegin string

	valid Validator // Ops' ->iomap_valid, or nil

	mapPos, mapLen int64 // the iteration state when Map was made
	begun          bool
	err            error
	noProgress     int // consecutive stale remaps without progress
}

// NewIter returns an iterator over [pos, pos+length).
func NewIter(in *Inode, ops Ops, pos, length int64, op Op) *Iter {
	it := &Iter{In: in, Ops: ops, Op: op, Pos: pos, Len: length}
	it.valid, _ = ops.(Validator)
	return it
}

// Length is how much of the remaining range the current mapping covers
// (iomap_length).
func (it *Iter) Length() int64 { return min(it.Len, it.Map.End()-it.Pos) }

// Advance records that n bytes at Pos were processed (iomap_iter_advance).
func (it *Iter) Advance(n int64) {
	if n < 0 || n > it.Length() {
		panic(fmt.Sprintf("iomap: advance %d past mapping %v at %d", n, it.Map, it.Pos))
	}
	it.Pos += n
	it.Len -= n
}

// SetErr stops the iteration with err after the current mapping is ended.
func (it *Iter) SetErr(err error) {
	if it.err == nil {
		it.err = err
	}
}

// Err is the error that stopped the iteration, or nil.
func (it *Iter) Err() error { return it.err }

// Stale reports whether the current mapping was flagged stale.
func (it *Iter) Stale() bool { return it.Map.Flags&FlagStale != 0 }

// Next ends the current mapping, decides whether to continue, and if so
// maps the rest of the range; it reports whether there is a mapping to act
// on. Each round is a Point, so bounded exploration of a remap loop ends.
func (it *Iter) Next(t *lab.Thread) bool {
	if it.begun {
		advanced := it.Pos - it.mapPos
		length := min(it.mapLen, it.Map.End()-it.mapPos)
		if err := it.Ops.End(t, it.mapPos, length, advanced, it.Op, &it.Map); err != nil && advanced == 0 {
			it.SetErr(err)
		}
		if it.err != nil || it.Len == 0 {
			return false
		}
		stale := it.Stale()
		if advanced == 0 && !stale {
			return false
		}
		if stale {
			it.remap(t, advanced)
		}
	}
	if err := t.Point("iomap.iter"); err != nil {
		it.SetErr(err)
		return false
	}
	m, err := it.Ops.Begin(t, it.Pos, it.Len, it.Op)
	if err != nil {
		it.SetErr(err)
		return false
	}
	if !m.Contains(it.Pos) || m.Flags&FlagStale != 0 {
		panic(fmt.Sprintf("iomap: Begin(%d, %d) returned %v", it.Pos, it.Len, m))
	}
	it.Map, it.mapPos, it.mapLen, it.begun = m, it.Pos, it.Len, true
	if it.AfterBegin != "" {
		if err := t.Point(it.AfterBegin); err != nil {
			it.SetErr(err)
			// The mapping was made: End must still see it.
			return it.Next(t)
		}
	}
	return true
}

// remap accounts for mapping the rest of the range again after a stale
// verdict and runs the livelock oracle.
func (it *Iter) remap(t *lab.Thread, advanced int64) {
	it.In.Stats.Remaps.Add(1)
	t.Tracepoint("iomap_remap", lab.F("ino", it.In.Ino), lab.F("off", it.Pos), lab.F("len", it.Len),
		lab.F("progress", advanced))
	if advanced > 0 {
		it.noProgress = 0
		return
	}
	it.noProgress++
	if it.noProgress <= MaxStaleRemaps {
		return
	}
	msg := fmt.Sprintf("livelock: ino %d: %d stale remaps at offset %d without progress", it.In.Ino, it.noProgress, it.Pos)
	if t.World().Controlled() {
		t.Fail(msg)
	}
	// A free run cannot unwind the threads waiting on locks this one
	// holds: stop the operation with an error and leave the verdict in
	// the stats and the trace.
	it.In.Stats.Livelocks.Add(1)
	t.Tracepoint("iomap_livelock", lab.F("ino", it.In.Ino), lab.F("off", it.Pos))
	it.SetErr(syscall.EDEADLK)
}
