// Package lab is the concurrency substrate of the engine: every lock, wait and
// race window a simulated kernel thread meets goes through it.
//
// Nouns:
//   - World: one run of the engine. Free worlds use real locks and goroutines
//     (fast; benchmarks and stress). Controlled worlds run exactly one Thread at
//     a time and ask a Strategy who runs next at every lock operation and Point,
//     so a schedule is a list of decisions that replays exactly.
//   - Thread: a simulated kernel thread, the kernel's current, passed
//     explicitly to every engine call that may block. Daemon threads (flusher,
//     I/O completion, reclaim) do not keep a run alive.
//   - Mutex, RWMutex, BitLock (the folio lock), Event (wait queues such as
//     folio_wait_writeback): the only synchronisation engine packages may use.
//   - Point: a named place where a schedule may switch threads and where
//     injection Rules delay, park or fail the thread.
//   - Tracepoint: a named event with integer fields, kept in the run's Trace.
//
// Controlled mode and its guarantees: a run is a pure function of its
// Strategy's decisions; a thread that would block is not runnable; no runnable
// thread while a non-daemon thread is blocked is a deadlock, reported with the
// wait-for graph; a run ends when every non-daemon thread has returned and every
// daemon is blocked; a cut-short run unwinds each parked thread, one at a time,
// with a sentinel panic recovered at the thread's top. A step bound and a
// wall-clock watchdog (which dumps every goroutine's stack) catch runaway and
// invisible-lock schedules.
//
// Free mode: a thread that panics, fails an oracle or meets a host fault
// ends the run; every thread waiting on a lab lock or Event then unwinds
// (the dead thread may hold what they wait for), so a free run never
// hangs on a dead thread.
//
// Replay tokens (Token) carry a scenario, a variant and a schedule; decoding
// bounds every size before allocating for it, and a schedule that does not
// replay ends the run as Diverged, naming the decision.
//
// Engine packages must not use sync.Mutex, sync.RWMutex, sync.Cond, channels or
// go statements (the lab rule, checked by internal/labrule). Fields the kernel
// reads with READ_ONCE use sync/atomic.
package lab
