package kernel

import (
	"testing"

	"iomaplab/kernel/tracefs"
)

// xfs_iomap_prealloc_size counts for the run's files on any thread, inside
// a write or not (setup writes preallocate too), like the model's
// tracepoint of the same name.
func TestCountPreallocEvidence(t *testing.T) {
	ev := func(pid int, name string) tracefs.Event { return tracefs.Event{PID: pid, Name: name} }
	evs := []tracefs.Event{
		ev(3, evPrealloc),
		{PID: 7, Name: "tracing_mark_write", Fields: markBegin + " tid=7 stall=false"},
		ev(7, evPrealloc), ev(7, evInvalid),
		{PID: 7, Name: "tracing_mark_write", Fields: markEnd + " tid=7"},
	}
	if st := countEvidence(evs); st.prealloc != 2 || st.stale != 1 {
		t.Errorf("prealloc %d, stale %d: want 2, 1", st.prealloc, st.stale)
	}
	if st := countEvidence(evs[2:3]); st.prealloc != 1 {
		t.Errorf("one event: prealloc %d", st.prealloc)
	}
}
