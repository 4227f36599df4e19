package kernel

import (
	"fmt"
	"strings"

	"iomaplab/kernel/tracefs"
)

// Trace markers bracket each scenario-thread pwrite with its OS thread id,
// so an event counts for a writer only while that thread was inside that
// write (an OS thread may have served other goroutines before).
const (
	markBegin = "iomaplab pwrite begin"
	markEnd   = "iomaplab pwrite end"
	// The window of a parked writer: from its park to its release.
	markOpen  = "iomaplab window open"
	markClose = "iomaplab window close"
)

func (r *scenarioRun) markWindow(open bool) {
	if open {
		r.tg.env.trace.Mark(markOpen)
	} else {
		r.tg.env.trace.Mark(markClose)
	}
}

func (r *scenarioRun) markBegin(tid int, stall bool) {
	r.tg.env.trace.Mark(fmt.Sprintf("%s tid=%d stall=%t", markBegin, tid, stall))
}

func (r *scenarioRun) markEnd(tid int) {
	r.tg.env.trace.Mark(fmt.Sprintf("%s tid=%d", markEnd, tid))
}

// runStats is what one run's trace holds.
type runStats struct {
	stale   int // xfs_iomap_invalid in the counted writers' threads
	iters   int // iomap_iter in the counted writers' threads
	wbStale int // xfs_wb_data_iomap_invalid for the files, any thread
	wbCow   int // xfs_wb_cow_iomap_invalid for the files, any thread
	// xfs_iomap_prealloc_size for the files, any thread
	prealloc int
	// Extent changes for the files (evConvert, evAlloc), any thread: from
	// the run's start (its setup included) until a parked writer's first
	// iomap_iter (it had not mapped its range yet), and inside a window.
	extentBefore, extentInWindow int
	windowSeen                   bool
	err                          error
}

// stats reads the trace once per run (after the world has finished).
func (r *scenarioRun) stats() runStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.st == nil {
		evs, err := r.tg.env.trace.Read()
		st := countEvidence(evs)
		st.err = err
		r.st = &st
	}
	return *r.st
}

// countEvidence counts the evidence events. The counted writers are the
// stall-at writes if the run had any (a directed scenario: "the parked
// writer's thread"), else every marked scenario-thread write (a free race).
func countEvidence(evs []tracefs.Event) runStats {
	directed := false
	for _, e := range evs {
		if e.Name == "tracing_mark_write" && strings.Contains(e.Fields, markBegin) && strings.Contains(e.Fields, "stall=true") {
			directed = true
			break
		}
	}
	var st runStats
	active := map[int]bool{}    // tid -> counted
	stallTids := map[int]bool{} // parked writers' tids
	mapped := false             // a parked writer has had its iomap_iter
	windows := 0                // open windows
	for _, e := range evs {
		switch e.Name {
		case "tracing_mark_write":
			var tid int
			var stall bool
			switch {
			case strings.Contains(e.Fields, markOpen):
				windows++
				st.windowSeen = true
			case strings.Contains(e.Fields, markClose):
				windows = max(windows-1, 0)
			case strings.Contains(e.Fields, markBegin):
				i := strings.Index(e.Fields, markBegin)
				if _, err := fmt.Sscanf(e.Fields[i+len(markBegin):], " tid=%d stall=%t", &tid, &stall); err == nil {
					active[tid] = stall || !directed
					if stall {
						stallTids[tid] = true
					}
				}
			case strings.Contains(e.Fields, markEnd):
				i := strings.Index(e.Fields, markEnd)
				if _, err := fmt.Sscanf(e.Fields[i+len(markEnd):], " tid=%d", &tid); err == nil {
					delete(active, tid)
					delete(stallTids, tid)
				}
			}
		case evInvalid:
			if active[e.PID] {
				st.stale++
			}
		case evIter:
			if active[e.PID] {
				st.iters++
			}
			mapped = mapped || stallTids[e.PID]
		case evConvert, evAlloc:
			if windows > 0 {
				st.extentInWindow++
			} else if !mapped {
				st.extentBefore++
			}
		case evWBInvalid:
			st.wbStale++
		case evWBCow:
			st.wbCow++
		case evPrealloc:
			st.prealloc++
		}
	}
	return st
}
