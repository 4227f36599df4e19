// Package tracefs drives a private ftrace instance: the kernel target's
// evidence channel. Tracepoints are global, and other processes on the
// machine trace too, so every run gets its own instances/NAME directory with
// only the events it needs, each filtered by device and inode; events are
// attributed to threads by their common_pid; markers (trace_marker) label the
// phases of a run in the same buffer. Close removes the instance, and
// unmounts tracefs if this package mounted it.
package tracefs
