package scenario

import (
	"fmt"
	"strings"

	"iomaplab/lab"
)

// The lock table: what a parked thread holds, and which window ops need it.
// It follows the model engine (and the 6.18 functions each model function
// names); docs/scenarios.md has it as a table. The parser rejects a window
// op only when it blocks on the parked thread for every op the park can
// happen in: a scenario that could run is never rejected.

// parkKind says where a park happens, which fixes the locks held there.
type parkKind int

const (
	// parkUnknown: the parser does not know what is held (iomap.iter).
	parkUnknown parkKind = iota
	// parkInWrite: a buffered write before it locks a folio (the source
	// prefault: iomap_write_iter, generic_perform_write): i_rwsem
	// exclusive (xfs_file_buffered_write, ext4_buffered_write_iter).
	parkInWrite
	// parkInWriteFolio: a buffered write with its folio locked
	// (iomap_write_begin, before and after ->iomap_valid): i_rwsem and the
	// folio lock.
	parkInWriteFolio
	// parkInDaMap: ext4_da_map_blocks, from a write's ext4_da_write_begin
	// (i_rwsem, folio lock) or from ext4_page_mkwrite (invalidate_lock
	// shared, folio lock).
	parkInDaMap
	// parkInGetBlocks: ext4_iomap_get_blocks (ext4 iomap, nodelalloc), from
	// a write's ->iomap_begin (i_rwsem, no folio lock yet) or from
	// iomap_page_mkwrite (invalidate_lock shared, folio lock).
	parkInGetBlocks
	// parkInWriteback: writeback of one folio (iomap_writepage_map,
	// xfs_map_blocks, xfs_bmapi_convert_delalloc): the folio is locked and
	// under writeback.
	parkInWriteback
	// parkInIoend: I/O completion (xfs_end_ioend): the ioend's folios are
	// under writeback until it finishes.
	parkInIoend
	// parkInFsOp: inside fallocate, punch, zero or truncate, between their
	// steps (xfs_file_fallocate, xfs_setattr_size, ext4_punch_hole,
	// ext4_zero_range, ext4_setattr): i_rwsem exclusive, and on xfs and in
	// ext4's punch, zero and shrinking truncate invalidate_lock exclusive
	// too (xfs.truncate.cancel_cow also holds the ILOCK). The parser counts
	// only i_rwsem: whether a fault takes invalidate_lock depends on the
	// page cache at that moment, which a run decides.
	parkInFsOp
	// parkInReclaim: reclaim holding one folio it try-locked, in the range
	// it evicts (pagecache Reclaim: invalidate_mapping_pages, kswapd).
	parkInReclaim
	// parkInWritebackMap: ext4 writeback mapping one folio
	// (mpage_map_and_submit_extent): the folio is locked, not yet under
	// writeback.
	parkInWritebackMap
)

// holding is what one parked thread holds, for one op it may be parked in.
type holding struct {
	where string // "pwrite", "writeback", ...: for messages
	// file is the file the locks belong to; "" when any file may be meant.
	file            string
	rwsem           bool // i_rwsem exclusive
	invalidate      bool // invalidate_lock (XFS_MMAPLOCK) shared
	folio           bool // a folio lock, on a folio in [off, end)
	writeback       bool // a folio under writeback, in [off, end)
	off, end        int64
	allFilesWritten bool // remount or the flusher: the folio may be in any file
}

// holdingOf returns what a thread parked at kind holds when the park
// happens in op (nil for a daemon's park: flusher, io-completion).
func holdingOf(kind parkKind, op *Op) holding {
	if op == nil {
		if kind == parkInReclaim {
			return holding{where: "reclaim", folio: true, off: 0, end: maxOffset, allFilesWritten: true}
		}
		return holding{where: "writeback", folio: kind == parkInWriteback, writeback: true, off: 0, end: maxOffset, allFilesWritten: true}
	}
	h := holding{file: op.File, off: op.Off, end: op.Off + op.Len}
	switch kind {
	case parkInFsOp:
		h.where, h.rwsem = op.Kind.String(), true
	case parkInReclaim:
		h.where, h.folio = op.Kind.String()+" (reclaim)", true
		if op.Kind == OpReclaim {
			h.where = "reclaim"
		}
		if op.Kind == OpDropCaches {
			h.file, h.off, h.end, h.allFilesWritten = "", 0, maxOffset, true
		}
	case parkInWritebackMap:
		h.where, h.folio = "writeback of "+op.Kind.String()+" (ext4 mapping a folio)", true
		switch op.Kind {
		case OpFsync, OpTruncate, OpFallocate:
			h.off, h.end = 0, maxOffset
		case OpPwrite:
			h.off = 0
		case OpRemount, OpReflink, OpDropCaches:
			h.file, h.off, h.end, h.allFilesWritten = "", 0, maxOffset, true
		}
	case parkInWrite:
		h.where, h.rwsem = "pwrite", true
	case parkInWriteFolio:
		h.where, h.rwsem, h.folio = op.Kind.String()+" with a folio locked in iomap_write_begin", true, true
		if op.Kind == OpTruncate {
			h.off, h.end = 0, maxOffset
		}
	case parkInDaMap:
		if op.Kind == OpMapStore {
			h.where, h.invalidate, h.folio = "page_mkwrite (ext4_da_map_blocks)", true, true
		} else {
			h.where, h.rwsem, h.folio = "pwrite (ext4_da_map_blocks)", true, true
		}
	case parkInGetBlocks:
		if op.Kind == OpMapStore {
			h.where, h.invalidate, h.folio = "page_mkwrite (ext4_iomap_get_blocks)", true, true
		} else {
			h.where, h.rwsem = "pwrite (ext4_iomap_get_blocks)", true
		}
	case parkInWriteback, parkInIoend:
		h.where, h.folio, h.writeback = "writeback of "+op.Kind.String(), kind == parkInWriteback, true
		switch op.Kind {
		case OpFsync, OpTruncate, OpFallocate:
			h.off, h.end = 0, maxOffset
		case OpPwrite: // the gap between the old EOF and the write
			h.off = 0
		case OpRemount:
			h.file, h.off, h.end, h.allFilesWritten = "", 0, maxOffset, true
		case OpReflink:
			h.file, h.off, h.end, h.allFilesWritten = "", 0, maxOffset, true // either file
		}
	}
	return h
}

// blocksOn says why op, run while a thread is parked holding h, waits for
// that thread, or "" if it need not. scenarioFile is the only file of the
// scenario, or "" if it has several.
func (h holding) blocksOn(op *Op, fs, scenarioFile string) string {
	if op.Kind == OpExpect { // as its read or map-load
		sub := *op
		sub.Kind = op.Sub
		op = &sub
	}
	file := h.file
	if file == "" {
		file = scenarioFile
	}
	same := file != "" && op.File == file
	if op.Kind == OpReflink {
		same = file != "" && (op.File == file || op.Src == file)
	}
	covers := func() bool { // op's range holds every folio of [h.off, h.end)
		return same && op.Off <= h.off && op.Off+op.Len >= h.end
	}
	if h.rwsem && (same && op.takesRwsem(fs) || op.Kind == OpRemount) {
		return fmt.Sprintf("%s takes i_rwsem on %s, which the parked thread holds in %s", op.Kind, fs, h.where)
	}
	if h.invalidate && same && (op.Kind == OpPunch || op.Kind == OpZero || op.Kind == OpTruncate) {
		return fmt.Sprintf("%s takes invalidate_lock exclusive, which the parked thread holds shared in %s", op.Kind, h.where)
	}
	if h.folio {
		switch op.Kind {
		case OpMapStore, OpMapLoad, OpPwrite, OpPunch, OpZero:
			if covers() {
				return fmt.Sprintf("%s locks every folio of %s, one of which the parked thread holds locked in %s", describe(op), describeRange(file, h.off, h.end), h.where)
			}
		case OpTruncate:
			if same && op.Len <= h.off {
				return fmt.Sprintf("truncate locks every folio past %s, one of which the parked thread holds locked in %s", FormatSize(op.Len), h.where)
			}
		case OpRemount:
			return "remount evicts every folio, and the parked thread holds one locked in " + h.where
		}
	}
	if h.writeback {
		switch op.Kind {
		case OpFsync:
			if same || h.allFilesWritten && scenarioFile != "" {
				return "fsync waits for writeback of the whole file, and the parked thread holds a folio under writeback in " + h.where
			}
		case OpSyncRange, OpPunch, OpZero:
			if covers() {
				return fmt.Sprintf("%s waits for writeback of %s, and the parked thread holds a folio under writeback there in %s", describe(op), describeRange(file, h.off, h.end), h.where)
			}
		case OpTruncate:
			if same && op.Len <= h.off {
				return "truncate waits for writeback past its size, and the parked thread holds a folio under writeback there in " + h.where
			}
		case OpRemount:
			return "remount waits for all writeback, and the parked thread holds a folio under writeback in " + h.where
		}
	}
	return ""
}

func describeRange(file string, off, end int64) string {
	if end >= maxOffset {
		return fmt.Sprintf("%s from %s on", file, FormatSize(off))
	}
	return fmt.Sprintf("%s [%s, %s)", file, FormatSize(off), FormatSize(end))
}

// stall is one way a thread parks: a pwrite with stall-at, or an inject
// park rule.
type stall struct {
	pos  Pos
	kind parkKind
	// in are the ops the park can happen in; a daemon's park has none.
	in     []*Op
	daemon bool
}

// stallsOf returns, per thread name, how the scenario makes it park.
func (p *parser) stallsOf() map[string][]stall {
	out := map[string][]stall{}
	threads := map[string]*Thread{}
	for _, th := range p.sc.Threads {
		threads[th.Name] = th
		for i := range th.Ops {
			if op := &th.Ops[i]; op.Kind == OpPwrite && op.StallAt >= 0 {
				out[th.Name] = append(out[th.Name], stall{pos: op.Pos, kind: parkInWrite, in: []*Op{op}})
			}
		}
	}
	for i, r := range p.sc.Rules {
		pt, _ := lookupPoint(r.Point)
		if r.Action != lab.Park || r.Thread == "" {
			continue
		}
		s := stall{pos: p.sc.RulePos[i], kind: pt.holds}
		if op := p.parkOps[i]; op != nil {
			s.in = []*Op{op}
		} else if th := threads[r.Thread]; th != nil {
			for j := range th.Ops {
				if op := &th.Ops[j]; opIn(op.Kind, pt.ops) {
					s.in = append(s.in, op)
				}
			}
		} else {
			s.daemon = true
		}
		out[r.Thread] = append(out[r.Thread], s)
	}
	return out
}

func opIn(k OpKind, list []OpKind) bool {
	for _, x := range list {
		if x == k {
			return true
		}
	}
	return false
}

// checkWindows rejects an op that runs while thread T is parked and must
// wait for a lock T holds there (the lock table above): T waits for its
// release, which comes only after that op. An op is in T's window if it
// lies between 'await T.stalled' and 'release T' in the releasing thread,
// or in a thread that the releaser awaits (T.done) inside that window,
// after that thread's own 'await T.stalled'.
func (p *parser) checkWindows() {
	stalls := p.stallsOf()
	threads := map[string]*Thread{}
	for _, th := range p.sc.Threads {
		threads[th.Name] = th
	}
	only := ""
	if files := p.sc.Files(); len(files) == 1 {
		only = files[0]
	}
	reported := map[Pos]bool{}
	for _, r := range p.sc.Threads {
		for j, rel := range r.Ops {
			if rel.Kind != OpRelease || len(stalls[rel.Thread]) == 0 {
				continue
			}
			parked := rel.Thread
			for _, w := range windowOps(r, j, parked, threads, map[string]bool{r.Name: true}) {
				if reported[w.op.Pos] {
					continue
				}
				if why := p.blocksEvery(stalls[parked], w.op, only); why != "" {
					reported[w.op.Pos] = true
					p.errorf(w.op.Pos, "%s in thread %s would deadlock: %s is parked (line %d) and %s; release %s first",
						w.op.Kind, w.thread, parked, stalls[parked][0].pos.Line, why, parked)
				}
			}
		}
	}
}

type windowOp struct {
	op     *Op
	thread string
}

// windowOps returns the ops that certainly run while parked is parked and
// before th's op at index rel (release parked) can run.
func windowOps(th *Thread, rel int, parked string, threads map[string]*Thread, seen map[string]bool) []windowOp {
	start := -1
	for i := rel - 1; i >= 0; i-- {
		if op := th.Ops[i]; op.Kind == OpAwait && !op.Done && !op.Blocked && op.Thread == parked {
			start = i
			break
		}
	}
	if start < 0 {
		return nil
	}
	var out []windowOp
	for i := start + 1; i < rel; i++ {
		op := &th.Ops[i]
		switch {
		case op.Kind == OpAwait && op.Done && !seen[op.Thread] && op.Thread != parked:
			seen[op.Thread] = true
			if u := threads[op.Thread]; u != nil {
				out = append(out, windowOps(u, len(u.Ops), parked, threads, seen)...)
			}
		case op.Kind != OpAwait && op.Kind != OpRelease:
			out = append(out, windowOp{op, th.Name})
		}
	}
	return out
}

// blocksEvery says why op waits for the parked thread whichever of its
// stalls and ops it is parked in, or "" if some park lets op through.
func (p *parser) blocksEvery(stalls []stall, op *Op, only string) string {
	var why string
	for _, s := range stalls {
		if s.kind == parkUnknown {
			return ""
		}
		hs := []holding{}
		if s.daemon {
			hs = append(hs, holdingOf(s.kind, nil))
		}
		for _, in := range s.in {
			hs = append(hs, holdingOf(s.kind, in))
		}
		if len(hs) == 0 {
			return ""
		}
		for _, h := range hs {
			w := h.blocksOn(op, p.sc.FS.Type, only)
			if w == "" {
				return ""
			}
			if why == "" {
				why = w
			}
		}
	}
	return strings.TrimSpace(why)
}
