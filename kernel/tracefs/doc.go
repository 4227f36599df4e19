// Package tracefs drives a private ftrace instance: the kernel target's
// evidence channel. Tracepoints are global, and other processes on the
// machine trace too, so every run gets its own instances/NAME directory with
// only the events it needs, each filtered by device and inode; events are
// attributed to threads by their common_pid; markers (trace_marker) label the
// phases of a run in the same buffer. The instance lives under a tracefs
// mount of its own, which no other program unmounts. Close removes the
// instance and unmounts that mount; a reaper process does the same if the
// owner dies (RemoveOnExit).
package tracefs
