package tracefs

import (
	"regexp"
	"strconv"
	"strings"
)

// Event is one line of the trace buffer.
type Event struct {
	Comm   string // task name
	PID    int    // common_pid: the thread that hit the tracepoint
	Name   string // event name, e.g. "xfs_iomap_invalid"; "tracing_mark_write" for markers
	Fields string // the formatted payload
	Raw    string
}

// A trace line: "<comm>-<pid> [cpu] <flags> <ts>: <event>: <fields>". The
// comm may hold spaces and dashes; the pid is the last "-digits" before the
// cpu column. The flags column is absent with some trace_options.
var lineRE = regexp.MustCompile(`^\s*(.*)-(\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(\d+)\]\s+(?:\S+\s+)?(\d+\.\d+): ([\w]+): ?(.*)$`)

// ParseLine parses a trace line; comments and unparsable lines give false.
func ParseLine(l string) (Event, bool) {
	if strings.HasPrefix(l, "#") {
		return Event{}, false
	}
	m := lineRE.FindStringSubmatch(l)
	if m == nil {
		return Event{}, false
	}
	pid, err := strconv.Atoi(m[2])
	if err != nil {
		return Event{}, false
	}
	return Event{Comm: m[1], PID: pid, Name: m[5], Fields: m[6], Raw: l}, true
}

// Count counts events named name; pid < 0 counts every thread's.
func Count(evs []Event, name string, pid int) int {
	n := 0
	for _, e := range evs {
		if e.Name == name && (pid < 0 || e.PID == pid) {
			n++
		}
	}
	return n
}

// DevT encodes a device number the way the kernel's dev_t fields (and so
// tracepoint filters on them) hold it: major<<20 | minor.
func DevT(major, minor uint32) uint64 { return uint64(major)<<20 | uint64(minor) }
