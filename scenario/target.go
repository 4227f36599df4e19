package scenario

import (
	"strings"

	"iomaplab/lab"
	"iomaplab/vfs"
)

// Target is what the runner drives: the model (a fresh engine per world) or
// real filesystems. The runner does the rest: files, setup, threads, the
// reference model and the data oracle.
type Target interface {
	// Mount makes a fresh, empty filesystem for one run. It is called on
	// the run's main thread, before anything else.
	Mount(t *lab.Thread, spec FSSpec) (vfs.FS, error)
	// Check runs the target's own oracles (fsck, reservations, ...) at one
	// of the end-of-run quiescent points and returns what fired.
	Check(t *lab.Thread, fsys vfs.FS, at Quiescent) []Violation
	// Classify names the oracle behind a run that an engine thread stopped
	// with Thread.Fail(msg); "" if none (the runner then tries
	// ClassifyByPrefix).
	Classify(msg string) string
	// Evidence returns the finished run's value of an evidence counter
	// named in an expect line (stale, wb_stale, remaps, reachable or a
	// tracepoint name) and whether the target counts it. When it does not,
	// the runner counts the tracepoint in the world's trace.
	Evidence(w *lab.World, name string) (int, bool)
}

// Quiescent names the end-of-run points at which Target.Check runs.
type Quiescent int

const (
	// BeforeRemount: every scenario thread has returned and the after ops
	// ran; page cache and in-core extent state are as the run left them.
	BeforeRemount Quiescent = iota
	// AfterRemount: the runner has remounted (sync, evict, reload), so no
	// reservation may be left.
	AfterRemount
)

func (q Quiescent) String() string { return [...]string{"before remount", "after remount"}[q] }

// Supporter is an optional Target capability: a target that cannot mount
// some fs line says why, and the runner skips the scenario with that reason.
// A Target without it is asked to Mount everything.
type Supporter interface {
	Supports(spec FSSpec) error
}

// Unmounter is an optional Target capability: Unmount releases what Mount
// made for a run (the model's file-backed block device), once the run's
// world has finished and no thread can touch it. It is not called when the
// lab's watchdog abandoned the run's threads.
type Unmounter interface {
	Unmount(fsys vfs.FS) error
}

// Violation is one safety oracle that fired.
type Violation struct {
	// Oracle is one of Oracles, or ClassDeadlock, ClassPanic,
	// ClassStepLimit, "watchdog", "failed" (an unnamed Thread.Fail).
	Oracle  string
	Message string
}

// ClassifyByPrefix reads the oracle from a Thread.Fail message of the form
// "ORACLE: ...", where ORACLE is one of Oracles; it returns "" otherwise.
func ClassifyByPrefix(msg string) string {
	name, _, ok := strings.Cut(msg, ":")
	if ok && contains(Oracles, name) {
		return name
	}
	return ""
}
