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
)

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
	err     error
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
	active := map[int]bool{} // tid -> counted
	for _, e := range evs {
		switch e.Name {
		case "tracing_mark_write":
			var tid int
			var stall bool
			if i := strings.Index(e.Fields, markBegin); i >= 0 {
				if _, err := fmt.Sscanf(e.Fields[i+len(markBegin):], " tid=%d stall=%t", &tid, &stall); err == nil {
					active[tid] = stall || !directed
				}
			} else if i := strings.Index(e.Fields, markEnd); i >= 0 {
				if _, err := fmt.Sscanf(e.Fields[i+len(markEnd):], " tid=%d", &tid); err == nil {
					delete(active, tid)
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
		case evWBInvalid:
			st.wbStale++
		case evWBCow:
			st.wbCow++
		}
	}
	return st
}
