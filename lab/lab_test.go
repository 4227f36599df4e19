package lab

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// counter is a toy shared counter with a planted lost-update bug when racy
// is set: the read and the write are separate critical sections.
type counter struct {
	mu   Mutex
	n    int
	racy bool
}

func (c *counter) inc(t *Thread) {
	if !c.racy {
		c.mu.Lock(t)
		c.n++
		c.mu.Unlock(t)
		return
	}
	c.mu.Lock(t)
	v := c.n
	c.mu.Unlock(t)
	t.Point("counter.between")
	c.mu.Lock(t)
	c.n = v + 1
	c.mu.Unlock(t)
}

func controlled(s Strategy) *World {
	if !s.NewSchedule() {
		panic("strategy exhausted")
	}
	return NewWorld(Config{Controlled: true, Strategy: s})
}

// checkCounter spawns two incrementers and, once both returned, checks the sum
// from a daemon-free join: the main thread waits on an Event.
func checkCounter(c *counter) func(t *Thread) {
	return func(t *Thread) {
		var finished atomic.Int32
		var ev Event
		for _, name := range []string{"a", "b"} {
			t.Go(name, func(t *Thread) {
				c.inc(t)
				finished.Add(1)
				ev.Wake(t)
			})
		}
		ev.Wait(t, func() bool { return finished.Load() == 2 })
		if c.n != 2 {
			t.Fail(fmt.Sprintf("lost update: counter is %d, want 2", c.n))
		}
	}
}

func TestLostUpdateFoundWithin1000RandomSchedules(t *testing.T) {
	const seed = 7
	s := NewRandom(seed)
	for i := range 1000 {
		w := controlled(s)
		r := w.Run(checkCounter(&counter{racy: true}))
		if r.Outcome == Failed {
			t.Logf("seed %d: lost update found in schedule %d: %s", seed, i, r.Message)
			// The recorded schedule replays to the same failure and trace.
			r2 := controlled(NewReplay(r.Decisions)).Run(checkCounter(&counter{racy: true}))
			if r2.Outcome != Failed || r2.Trace.Hash() != r.Trace.Hash() {
				t.Fatalf("replay gave %v (hash %x), want failed (hash %x)", r2, r2.Trace.Hash(), r.Trace.Hash())
			}
			return
		}
		if !r.OK() {
			t.Fatalf("seed %d schedule %d: %v", seed, i, r)
		}
	}
	t.Fatalf("seed %d: lost update not found in 1000 schedules", seed)
}

func TestCorrectCounterNeverFails(t *testing.T) {
	s := NewRandom(3)
	for i := range 300 {
		r := controlled(s).Run(checkCounter(&counter{}))
		if !r.OK() {
			t.Fatalf("seed 3 schedule %d: %v", i, r)
		}
	}
}

func TestFreeModeCounter(t *testing.T) {
	c := &counter{}
	r := NewFree().Run(func(t *Thread) {
		var finished atomic.Int32
		var ev Event
		for i := range 8 {
			t.Go(fmt.Sprint("w", i), func(t *Thread) {
				for range 1000 {
					c.inc(t)
				}
				finished.Add(1)
				ev.Wake(t)
			})
		}
		ev.Wait(t, func() bool { return finished.Load() == 8 })
	})
	if !r.OK() || c.n != 8000 {
		t.Fatalf("free run: %v, counter %d want 8000", r, c.n)
	}
}

// threeThreads is a workload whose trace depends on the interleaving.
func threeThreads(t *Thread) {
	var a, b Mutex
	a.Name, b.Name = "A", "B"
	shared := 0
	for i := range 3 {
		t.Go(fmt.Sprint("t", i), func(t *Thread) {
			for j := range 3 {
				m := &a
				if (i+j)%2 == 1 {
					m = &b
				}
				m.Lock(t)
				shared = shared*3 + i
				t.Tracepoint("step", F("v", int64(shared)))
				m.Unlock(t)
				t.Point("between")
			}
		})
	}
}

func TestSameSeedSameTrace(t *testing.T) {
	hashes := map[uint64]bool{}
	for seed := range uint64(100) {
		r1 := controlled(NewRandom(seed)).Run(threeThreads)
		r2 := controlled(NewRandom(seed)).Run(threeThreads)
		if !r1.OK() || !r2.OK() {
			t.Fatalf("seed %d: %v / %v", seed, r1, r2)
		}
		if r1.Trace.Hash() != r2.Trace.Hash() {
			t.Fatalf("seed %d: trace hash %x then %x", seed, r1.Trace.Hash(), r2.Trace.Hash())
		}
		hashes[r1.Trace.Hash()] = true
	}
	if len(hashes) < 90 {
		t.Fatalf("100 seeds gave only %d distinct traces, want >= 90", len(hashes))
	}
}

// TestTraceHashAcrossProcesses re-runs seed 42 in a child process and compares.
func TestTraceHashAcrossProcesses(t *testing.T) {
	if os.Getenv("LAB_CHILD_HASH") != "" {
		fmt.Printf("hash=%x\n", controlled(NewRandom(42)).Run(threeThreads).Trace.Hash())
		return
	}
	want := fmt.Sprintf("hash=%x", controlled(NewRandom(42)).Run(threeThreads).Trace.Hash())
	cmd := exec.Command(os.Args[0], "-test.run=^TestTraceHashAcrossProcesses$")
	cmd.Env = append(os.Environ(), "LAB_CHILD_HASH=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), want) {
		t.Fatalf("child printed %q, want %q", out, want)
	}
}

func TestDeadlockReportsWaitForGraph(t *testing.T) {
	var found bool
	s := NewRandom(1)
	for range 200 {
		r := controlled(s).Run(func(t *Thread) {
			var a, b Mutex
			a.Name, b.Name = "A", "B"
			t.Go("ab", func(t *Thread) { a.Lock(t); b.Lock(t); b.Unlock(t); a.Unlock(t) })
			t.Go("ba", func(t *Thread) { b.Lock(t); a.Lock(t); a.Unlock(t); b.Unlock(t) })
		})
		if r.Outcome == Deadlock {
			if !strings.Contains(r.Message, "ab waits for lock B held by ba") || !strings.Contains(r.Message, "ba waits for lock A held by ab") {
				t.Fatalf("wait-for graph missing an edge:\n%s", r.Message)
			}
			found = true
			break
		}
		if !r.OK() {
			t.Fatalf("unexpected %v", r)
		}
	}
	if !found {
		t.Fatal("ABBA deadlock not found in 200 schedules of seed 1")
	}
}

func TestIdleDaemonIsNotDeadlockAndIsUnwound(t *testing.T) {
	unwound := false
	r := controlled(NewRandom(5)).Run(func(t *Thread) {
		var ev Event
		var work atomic.Int32
		t.GoDaemon("flusher", func(t *Thread) {
			defer func() { unwound = true }()
			for {
				ev.Wait(t, func() bool { return work.Load() > 0 })
				work.Add(-1)
			}
		})
		work.Add(1)
		ev.Wake(t)
		t.Point("after-kick")
	})
	if !r.OK() {
		t.Fatalf("run: %v", r)
	}
	if !unwound {
		t.Fatal("idle daemon was not unwound at the end of the run")
	}
}

func TestStepLimit(t *testing.T) {
	s := NewRandom(1)
	s.NewSchedule()
	r := NewWorld(Config{Controlled: true, Strategy: s, MaxSteps: 50}).Run(func(t *Thread) {
		for {
			t.Point("spin")
		}
	})
	if r.Outcome != StepLimit {
		t.Fatalf("got %v, want step-limit", r)
	}
}

func TestPanicIsReportedWithThread(t *testing.T) {
	r := controlled(NewRandom(1)).Run(func(t *Thread) {
		t.Go("bad", func(t *Thread) {
			var m Mutex
			m.Lock(t)
			panic("engine bug")
		})
	})
	if r.Outcome != Panicked || r.Thread != "bad" || !strings.Contains(r.Message, "engine bug") {
		t.Fatalf("got %v", r)
	}
}

func TestWatchdogDumpsStacks(t *testing.T) {
	s := NewRandom(1)
	s.NewSchedule()
	block := make(chan struct{})
	defer close(block)
	r := NewWorld(Config{Controlled: true, Strategy: s, Watchdog: 300 * time.Millisecond}).Run(func(t *Thread) {
		<-block // a lock lab cannot see
	})
	if r.Outcome != WatchdogFired || !strings.Contains(r.Message, "TestWatchdogDumpsStacks") {
		t.Fatalf("got %v", r.Outcome)
	}
}

func TestParkRuleAndRelease(t *testing.T) {
	for _, mode := range []string{"free", "controlled"} {
		cfg := Config{Rules: []Rule{{Point: "p", Thread: "writer", Hit: 2, Action: Park}}}
		if mode == "controlled" {
			s := NewRandom(9)
			s.NewSchedule()
			cfg.Controlled, cfg.Strategy = true, s
		}
		var order []string
		var mu Mutex
		r := NewWorld(cfg).Run(func(t *Thread) {
			t.Go("writer", func(t *Thread) {
				t.Point("p")
				t.Point("p") // parks here
				mu.Lock(t)
				order = append(order, "writer")
				mu.Unlock(t)
			})
			t.AwaitParked("writer")
			if where := t.World().Parked("writer"); where != "p" {
				t.Fail("parked at " + where)
			}
			mu.Lock(t)
			order = append(order, "main")
			mu.Unlock(t)
			t.Release("writer")
		})
		if !r.OK() || strings.Join(order, ",") != "main,writer" {
			t.Fatalf("%s: %v order %v", mode, r, order)
		}
	}
}

func TestFailRule(t *testing.T) {
	errBoom := fmt.Errorf("EIO")
	r := NewWorld(Config{Rules: []Rule{{Point: "io", Hit: 3, Action: Fail, Err: errBoom}}}).Run(func(t *Thread) {
		for i := 1; i <= 4; i++ {
			err := t.Point("io")
			if (err != nil) != (i == 3) {
				t.Fail(fmt.Sprintf("hit %d: err %v", i, err))
			}
		}
	})
	if !r.OK() {
		t.Fatal(r)
	}
}

func TestReplayDivergenceDetected(t *testing.T) {
	r := controlled(NewRandom(4)).Run(threeThreads)
	bad := append([]int(nil), r.Decisions...)
	bad[0] = 99
	r2 := controlled(NewReplay(bad)).Run(threeThreads)
	if r2.Outcome != Diverged {
		t.Fatalf("got %v, want diverged", r2)
	}
}

func TestRWMutexExcludesWriters(t *testing.T) {
	s := NewRandom(11)
	for range 200 {
		r := controlled(s).Run(func(t *Thread) {
			var rw RWMutex
			inside := 0
			for i := range 3 {
				t.Go(fmt.Sprint("r", i), func(t *Thread) {
					if i == 0 {
						rw.Lock(t)
						inside += 100
						t.Point("w")
						if inside != 100 {
							t.Fail("writer not alone")
						}
						inside -= 100
						rw.Unlock(t)
						return
					}
					rw.RLock(t)
					inside++
					t.Point("r")
					if inside >= 100 {
						t.Fail("reader beside writer")
					}
					inside--
					rw.RUnlock(t)
				})
			}
		})
		if !r.OK() {
			t.Fatal(r)
		}
	}
}

// In a free world a failing thread unwinds the threads waiting for it
// instead of leaving them (and Run) blocked forever.
func TestFreeFailureUnwindsWaiters(t *testing.T) {
	r := NewFree().Run(func(t *Thread) {
		t.Go("victim", func(t *Thread) { t.Fail("oracle: boom") })
		t.AwaitParked("victim") // never parks
	})
	if r.Outcome != Failed || r.Thread != "victim" {
		t.Fatalf("got %v", r)
	}
}
