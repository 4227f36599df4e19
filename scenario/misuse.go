package scenario

import (
	"fmt"
	"slices"
	"strings"
)

// RunError is a scenario error that only a run could find: the scenario's
// own awaits, parks and releases stopped the run (a park whose hit count
// the run never reached, an await of a stall that never came, a window op
// that waits for the parked thread in a way the parser cannot decide). It
// is bad input, not a verdict on the engine: the CLI exits 2.
type RunError struct {
	File string
	Pos  Pos
	Msg  string
}

func (e *RunError) Error() string {
	return fmt.Sprintf("%s:%d:%d: scenario error: %s", e.File, e.Pos.Line, e.Pos.Col, e.Msg)
}

// BadInput marks the error as the scenario author's (exit 2).
func (e *RunError) BadInput() bool { return true }

// waitEdge is one line of the lab's wait-for graph: thread waits for what,
// held by owner ("" for an event).
type waitEdge struct {
	thread, what, owner string
}

// parseWaitGraph reads lab's deadlock message ("no thread can run;
// wait-for graph:" then "  T waits for WHAT[ held by O]" per blocked thread).
func parseWaitGraph(msg string) []waitEdge {
	var out []waitEdge
	for _, l := range strings.Split(msg, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(l), " waits for ")
		if !ok {
			continue
		}
		what, owner, _ := strings.Cut(rest, " held by ")
		out = append(out, waitEdge{name, what, owner})
	}
	return out
}

// lockCycle reports whether the blocked threads wait for each other's locks
// in a cycle: an engine deadlock, whatever the scenario directs.
func lockCycle(g []waitEdge) bool {
	owner := map[string]string{}
	for _, e := range g {
		if e.owner != "" {
			owner[e.thread] = e.owner
		}
	}
	for start := range owner {
		seen := map[string]bool{}
		for t := start; t != ""; t = owner[t] {
			if seen[t] {
				return true
			}
			seen[t] = true
		}
	}
	return false
}

// misuse decides whether a deadlocked run is the scenario's doing, and if
// so returns the scenario error. awaiting maps each scenario thread blocked
// in an await to that op. It is the scenario's doing when no lock cycle
// explains the deadlock and either an await waits for a stall of a thread
// that has returned, or a thread stays parked (its release never ran:
// every other thread is stuck behind the park or the awaits). A deadlock
// with no park or await in it is the engine's (a lost wake-up, a lock
// cycle): a violation.
func (r *run) misuse(msg string, awaiting map[string]Op) *RunError {
	g := parseWaitGraph(msg)
	if lockCycle(g) {
		return nil
	}
	names := make([]string, 0, len(awaiting))
	for n := range awaiting {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		op := awaiting[n]
		if d := r.returned[op.Thread]; !op.Done && d != nil && d.Load() {
			what := "stalling (a park whose hit count or point its ops never reach?)"
			if op.Blocked {
				what = "blocking on a lock"
			}
			return &RunError{File: r.sc.File, Pos: op.Pos, Msg: fmt.Sprintf(
				"%s %s in thread %s: %s returned without %s", op.Kind, awaitTarget(&op), n, op.Thread, what)}
		}
	}
	for _, e := range g {
		if e.what != "wait park" {
			continue
		}
		if _, ok := awaiting[e.thread]; ok {
			continue
		}
		return &RunError{File: r.sc.File, Pos: r.releasePos(e.thread), Msg: fmt.Sprintf(
			"thread %s stays parked: the release that would free it never runs, because every thread that could run it waits (%s)", e.thread, summarize(g))}
	}
	return nil
}

// releasePos is where the scenario releases thread name (its first
// release), or the fs line if it never does.
func (r *run) releasePos(name string) Pos {
	for _, th := range r.sc.Threads {
		for _, op := range th.Ops {
			if op.Kind == OpRelease && op.Thread == name {
				return op.Pos
			}
		}
	}
	return r.sc.FS.Pos
}

func summarize(g []waitEdge) string {
	var s []string
	for _, e := range g {
		w := e.thread + " on " + strings.TrimPrefix(e.what, "wait ")
		if e.owner != "" {
			w += " held by " + e.owner
		}
		s = append(s, w)
	}
	return strings.Join(s, "; ")
}
