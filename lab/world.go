package lab

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Config describes a World.
type Config struct {
	// Controlled selects controlled mode; Strategy must then be set, and the
	// caller calls Strategy.NewSchedule before each World it builds.
	Controlled bool
	Strategy   Strategy
	// MaxSteps bounds the scheduling steps of a controlled run (default 200000).
	MaxSteps int64
	// Watchdog is how long a controlled run may go without a scheduling step
	// before every goroutine's stack is dumped and the run abandoned (default 20s).
	Watchdog time.Duration
	// TraceCap is how many trace records are kept (default 1<<14); counts and
	// the trace hash cover every record.
	TraceCap int
	// Rules are the injection rules applied at Points.
	Rules []Rule
	// RecordLocks adds points and lock operations to the trace of a free
	// world too (controlled worlds always record them).
	RecordLocks bool
}

// Outcome says how a run ended.
type Outcome int

const (
	// Completed: every non-daemon thread returned and every daemon was idle.
	Completed Outcome = iota
	// Deadlock: threads were blocked and none could run.
	Deadlock
	// StepLimit: the run took more than MaxSteps scheduling steps.
	StepLimit
	// Panicked: a thread panicked (an engine bug or a failed assertion).
	Panicked
	// WatchdogFired: a thread stopped yielding (a lock lab cannot see).
	WatchdogFired
	// Diverged: a replayed schedule did not match its recording.
	Diverged
	// Failed: a thread called Thread.Fail (an oracle stopped the run).
	Failed
	// HostFault: a thread called Thread.HostFault: the host could not run
	// the model (ENOSPC or EIO under a file-backed device). Not a verdict:
	// Result.Err says what failed.
	HostFault
)

func (o Outcome) String() string {
	return [...]string{"completed", "deadlock", "step-limit", "panic", "watchdog", "diverged", "failed", "host-fault"}[o]
}

// Result is what a run produced.
type Result struct {
	Outcome Outcome
	// Message explains a non-Completed outcome: the wait-for graph, the panic
	// value and stack, the watchdog's stack dump.
	Message string
	// Thread names the thread at fault, if any.
	Thread string
	// Err is the host's error of a HostFault outcome.
	Err error
	// Steps is the number of scheduling steps taken.
	Steps int64
	// Decisions is the schedule: the thread picked at each step where more
	// than one thread was runnable. Replay(Decisions) re-runs it.
	Decisions []int
	// Preemptions counts decisions that switched away from a thread that
	// could have continued.
	Preemptions int
	currents    []int // per decision: the yielding thread if runnable, else -1
	// Trace holds the run's records.
	Trace *Trace
}

// OK reports whether the run completed.
func (r *Result) OK() bool { return r.Outcome == Completed }

func (r *Result) String() string {
	if r.OK() {
		return fmt.Sprintf("completed in %d steps", r.Steps)
	}
	return fmt.Sprintf("%s after %d steps (thread %s): %s", r.Outcome, r.Steps, r.Thread, r.Message)
}

// World is one run of the engine: its threads, schedule and trace.
type World struct {
	cfg        Config
	controlled bool

	// mu guards threads, rule hit counts and park state in free mode; in
	// controlled mode only the running thread touches them.
	mu      sync.Mutex
	threads []*Thread
	rules   []ruleState

	trace Trace

	// Controlled mode.
	steps     atomic.Int64
	decisions []int
	currents  []int
	runnable  []int // pickNext's buffer: strategies read it during Pick only
	result    Result
	finishing bool        // the run is over; threads unwind one by one
	aborting  atomic.Bool // set once unwinding starts
	allDone   chan struct{}

	// Free mode.
	live    sync.WaitGroup // non-daemon threads
	daemons sync.WaitGroup
	stopCh  chan struct{} // closed to unwind every waiting thread
	stop    sync.Once
	panicMu sync.Mutex
	parkEv  Event
}

// NewWorld returns a world ready to Run.
func NewWorld(cfg Config) *World {
	if cfg.MaxSteps == 0 {
		cfg.MaxSteps = 200000
	}
	if cfg.Watchdog == 0 {
		cfg.Watchdog = 20 * time.Second
	}
	if cfg.TraceCap == 0 {
		cfg.TraceCap = 1 << 14
	}
	if cfg.Controlled && cfg.Strategy == nil {
		panic("lab: controlled world without a strategy")
	}
	w := &World{cfg: cfg, controlled: cfg.Controlled, allDone: make(chan struct{}), stopCh: make(chan struct{})}
	w.trace.init(cfg.TraceCap)
	w.parkEv.Name = "park"
	for _, r := range cfg.Rules {
		w.rules = append(w.rules, ruleState{Rule: r})
	}
	return w
}

// NewFree returns a free-mode world.
func NewFree() *World { return NewWorld(Config{}) }

// Controlled reports whether the world runs under a strategy.
func (w *World) Controlled() bool { return w.controlled }

// Trace returns the run's trace.
func (w *World) Trace() *Trace { return &w.trace }

// Run runs main as the thread "main" and returns when the run is over: every
// non-daemon thread returned (daemons are then stopped), or, in controlled
// mode, the run was cut short. A World runs once.
func (w *World) Run(main func(t *Thread)) *Result {
	if w.controlled {
		return w.runControlled(main)
	}
	return w.runFree(main)
}

func (w *World) newThread(name string, daemon bool) *Thread {
	t := &Thread{w: w, name: name, daemon: daemon, wake: make(chan struct{}, 1)}
	w.mu.Lock()
	t.id = len(w.threads)
	w.threads = append(w.threads, t)
	w.mu.Unlock()
	return t
}

func (w *World) runFree(main func(t *Thread)) *Result {
	t := w.newThread("main", false)
	w.live.Add(1)
	go w.freeThread(t, main)
	w.live.Wait()
	w.stopWaiters()
	w.daemons.Wait()
	w.result.Trace = &w.trace
	return &w.result
}

func (w *World) freeThread(t *Thread, fn func(t *Thread)) {
	defer func() {
		if t.daemon {
			w.daemons.Done()
		} else {
			w.live.Done()
		}
	}()
	defer func() {
		if v := recover(); v != nil && v != abortSentinel {
			w.panicMu.Lock()
			if w.result.Outcome == Completed {
				w.result = Result{Outcome: outcomeOf(v), Thread: t.name, Message: panicMessage(v), Err: hostErr(v)}
			}
			w.panicMu.Unlock()
			// The run has failed: threads waiting for this one (an await,
			// a join) would wait forever, so every wait now unwinds.
			w.stopWaiters()
		}
	}()
	fn(t)
}

// stopWaiters makes every Event wait of a free world unwind its thread.
func (w *World) stopWaiters() {
	w.stop.Do(func() { close(w.stopCh) })
}

func (w *World) runControlled(main func(t *Thread)) *Result {
	t := w.newThread("main", false)
	w.startControlled(t, main)
	t.wake <- struct{}{}
	fired := make(chan string, 1)
	stop := make(chan struct{})
	go w.watchdog(stop, fired)
	select {
	case <-w.allDone:
		close(stop)
	case dump := <-fired:
		// A thread is stuck outside lab; its goroutines are abandoned.
		return &Result{Outcome: WatchdogFired, Message: dump, Steps: w.steps.Load(), Trace: &w.trace}
	}
	w.result.Steps = w.steps.Load()
	w.result.Decisions = w.decisions
	w.result.currents = w.currents
	for i, c := range w.currents {
		if c >= 0 && c != w.decisions[i] {
			w.result.Preemptions++
		}
	}
	w.result.Trace = &w.trace
	return &w.result
}

// watchdog fires when no scheduling step happens for cfg.Watchdog. Wall time
// never influences a schedule: it only decides whether to give up.
func (w *World) watchdog(stop <-chan struct{}, fired chan<- string) {
	tick := time.NewTicker(w.cfg.Watchdog / 10)
	defer tick.Stop()
	last, since := w.steps.Load(), time.Now()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			if s := w.steps.Load(); s != last {
				last, since = s, time.Now()
				continue
			}
			if time.Since(since) >= w.cfg.Watchdog {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				fired <- fmt.Sprintf("no scheduling step for %v; a thread is blocked outside lab:\n%s", w.cfg.Watchdog, buf)
				return
			}
		}
	}
}

func (w *World) startControlled(t *Thread, fn func(t *Thread)) {
	go func() {
		<-t.wake
		defer w.exitControlled(t)
		if w.aborting.Load() {
			return
		}
		fn(t)
	}()
}

// exitControlled runs at the top of every controlled thread. A thread that
// returns normally hands the baton on; once the run is finishing, each exiting
// thread wakes the next live one so that threads unwind one at a time.
func (w *World) exitControlled(t *Thread) {
	if v := recover(); v != nil && v != abortSentinel && !w.finishing {
		w.finish(outcomeOf(v), t, panicMessage(v))
		w.result.Err = hostErr(v)
	}
	t.done = true
	t.pred = nil
	if !w.finishing {
		t.record(KindExit, "exit", nil)
		if w.switchFrom(t) {
			return // the baton moved on: w belongs to the next thread now
		}
	}
	w.aborting.Store(true)
	for _, u := range w.threads {
		if !u.done {
			u.done = true // it will exit through here
			u.wake <- struct{}{}
			return
		}
	}
	close(w.allDone)
}

// finish ends the run with outcome; the first call wins.
func (w *World) finish(o Outcome, t *Thread, msg string) {
	if w.finishing {
		return
	}
	w.finishing = true
	w.result.Outcome = o
	w.result.Message = msg
	if t != nil {
		w.result.Thread = t.name
	}
}

// switchFrom is the scheduler. The running thread t calls it when it yields,
// blocks (t.pred set) or exits (t.done). It picks the next thread and, if that
// is not t, hands it the baton and parks t until t is picked again. For an
// exited t it reports whether the baton was handed on (then t must not touch
// the world again); false means the run is finishing.
func (w *World) switchFrom(t *Thread) (handedOn bool) {
	if w.steps.Add(1) > w.cfg.MaxSteps {
		w.finish(StepLimit, t, fmt.Sprintf("more than %d scheduling steps", w.cfg.MaxSteps))
		w.unwind(t)
		return false
	}
	next, diverged := w.pickNext(t)
	if diverged != "" {
		w.finish(Diverged, t, diverged)
		w.unwind(t)
		return false
	}
	if next == nil {
		if w.quiescent() {
			w.finish(Completed, nil, "")
		} else {
			w.finish(Deadlock, t, w.waitForGraph())
		}
		w.unwind(t)
		return false
	}
	if next == t {
		return false
	}
	exited := t.done // read before the handoff: t.done belongs to next after it
	next.wake <- struct{}{}
	if exited {
		return true
	}
	<-t.wake
	if w.aborting.Load() {
		panic(abortSentinel)
	}
	return false
}

// unwind stops the running thread t because the run is finishing: a live
// thread panics with the sentinel; an exited one returns to exitControlled.
func (w *World) unwind(t *Thread) {
	if !t.done {
		panic(abortSentinel)
	}
}

// pickNext returns the thread to run next: nil when none can, or a
// divergence message when the strategy could not follow its schedule.
func (w *World) pickNext(t *Thread) (next *Thread, diverged string) {
	runnable := w.runnable[:0]
	current := -1
	for _, u := range w.threads {
		if u.done || (u.pred != nil && !u.pred()) {
			continue
		}
		runnable = append(runnable, u.id)
		if u == t {
			current = u.id
		}
	}
	w.runnable = runnable
	switch len(runnable) {
	case 0:
		return nil, ""
	case 1:
		return w.threads[runnable[0]], ""
	}
	id, diverged := w.pick(runnable, current)
	if diverged != "" {
		return nil, diverged
	}
	w.decisions = append(w.decisions, id)
	w.currents = append(w.currents, current)
	return w.threads[id], ""
}

// pick asks the strategy. A strategy that cannot follow its schedule (a
// replayed decision that names a thread that cannot run, a recording that
// ran out) panics with a divergence, or picks a thread that is not
// runnable: either way the run ends as Diverged, naming the decision. It
// is recovered here because the scheduler also runs inside exitControlled,
// where a panic would escape every recover and kill the process.
func (w *World) pick(runnable []int, current int) (id int, diverged string) {
	defer func() {
		if v := recover(); v != nil {
			d, ok := v.(divergence)
			if !ok {
				panic(v)
			}
			diverged = panicMessage(d)
		}
	}()
	id = w.cfg.Strategy.Pick(runnable, current)
	if !contains(runnable, id) {
		return 0, panicMessage(divergence(fmt.Sprintf("decision %d names thread %d, runnable are %v", len(w.decisions), id, runnable)))
	}
	return id, ""
}

func (w *World) quiescent() bool {
	for _, u := range w.threads {
		if !u.done && !u.daemon {
			return false
		}
	}
	return true
}

func (w *World) waitForGraph() string {
	s := "no thread can run; wait-for graph:"
	for _, u := range w.threads {
		if u.done || u.pred == nil {
			continue
		}
		s += fmt.Sprintf("\n  %s waits for %s", u.name, u.waitDesc)
		if u.waitOwner != nil {
			if o := u.waitOwner(); o != nil {
				s += " held by " + o.name
			}
		}
	}
	return s
}

// Steps returns how many scheduling steps the run has taken so far.
func (w *World) Steps() int64 { return w.steps.Load() }
