package blockdev

import (
	"bytes"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"iomaplab/lab"
)

// writers has nw threads each submit nb asynchronous one-block writes to its
// own inode and blocks, then wait for its inode's I/O. Every End records the
// thread it ran on. It checks the data afterwards.
func writers(tb testing.TB, t *lab.Thread, d *Device, nw, nb int, ranOn *[]string) {
	var ends atomic.Int64
	t.GoDaemon("io-completion", d.RunCompletions)
	for w := range nw {
		ino := uint64(w + 1)
		d.Own(t, uint64(w*nb), uint64(nb), ino, 0)
	}
	for w := range nw {
		ino := uint64(w + 1)
		t.Go(fmt.Sprintf("writer%d", w), func(t *lab.Thread) {
			for i := range nb {
				b := &Bio{Op: OpWrite, PBlk: uint64(w*nb + i), Data: block(byte(ino), 1), Owner: Owner{ino, uint64(i)},
					End: func(t *lab.Thread, b *Bio) {
						ends.Add(1)
						if ranOn != nil {
							*ranOn = append(*ranOn, t.Name()) // daemon only: no race
						}
						if b.Err != nil {
							tb.Errorf("bio %v: %v", b, b.Err)
						}
					}}
				d.Submit(t, b)
			}
			d.WaitInode(t, ino, 0, ^uint64(0))
		})
	}
	t.GoDaemon("checker", func(t *lab.Thread) {}) // an idle extra daemon changes nothing
	for w := range nw {
		ino := uint64(w + 1)
		d.WaitInode(t, ino, 0, ^uint64(0)) // may run before the writer submits: then it waits for nothing
	}
}

// TestConcurrentWritersFree runs writers on real goroutines against both
// backings (go test -race checks the device's locking and atomics).
func TestConcurrentWritersFree(t *testing.T) {
	const nw, nb = 4, 64
	for name, d := range devices(t, nw*nb) {
		run(t, func(lt *lab.Thread) {
			writers(t, lt, d, nw, nb, nil)
			for w := range nw {
				lt.Go(fmt.Sprintf("waiter%d", w), func(t *lab.Thread) { d.WaitInode(t, uint64(w+1), 0, ^uint64(0)) })
			}
		})
		run(t, func(lt *lab.Thread) {
			p := make([]byte, nb*BlockSize)
			for w := range nw {
				d.Read(lt, uint64(w*nb), p)
				if !bytes.Equal(p, block(byte(w+1), nb)) {
					t.Errorf("%s: writer %d's blocks hold the wrong data", name, w)
				}
			}
			if v := d.Violations(lt); len(v) > 0 {
				t.Errorf("%s: violations: %v", name, v)
			}
			if n := d.Inflight(lt); n != 0 {
				t.Errorf("%s: %d I/Os still in flight", name, n)
			}
		})
	}
}

func controlled(seed uint64, rules []lab.Rule, fn func(t *lab.Thread)) *lab.Result {
	s := lab.NewRandom(seed)
	s.NewSchedule()
	return lab.NewWorld(lab.Config{Controlled: true, Strategy: s, Rules: rules}).Run(fn)
}

// TestCompletionsRunOnDaemon: in controlled mode, across seeds, every
// completion runs on the daemon, all I/O has completed when each writer's
// WaitInode returns, and a seed replays to the identical trace.
func TestCompletionsRunOnDaemon(t *testing.T) {
	hashes := map[uint64]bool{}
	for seed := range uint64(20) {
		var hash uint64
		for rep := range 2 {
			d := NewMemory(3 * 4)
			var ranOn []string
			r := controlled(seed, nil, func(lt *lab.Thread) {
				writers(t, lt, d, 3, 4, &ranOn)
				lt.Go("late", func(t *lab.Thread) {
					d.WaitInode(t, 1, 0, ^uint64(0))
				})
			})
			if !r.OK() {
				t.Fatalf("seed %d: %v", seed, r)
			}
			if len(ranOn) != 12 || strings.Count(strings.Join(ranOn, ","), "io-completion") != 12 {
				t.Fatalf("seed %d: completions ran on %v", seed, ranOn)
			}
			if rep == 1 && r.Trace.Hash() != hash {
				t.Fatalf("seed %d: replay gave trace %x, first run %x", seed, r.Trace.Hash(), hash)
			}
			hash = r.Trace.Hash()
		}
		hashes[hash] = true
	}
	if len(hashes) < 10 {
		t.Errorf("20 seeds gave only %d distinct schedules", len(hashes))
	}
}

// TestWaitInodeWaitsForCompletion parks the daemon before its first
// completion: a waiter cannot return until another thread releases it, and
// the completion has run by then.
func TestWaitInodeWaitsForCompletion(t *testing.T) {
	park := []lab.Rule{{Point: "blockdev.complete", Thread: "io-completion", Hit: 1, Action: lab.Park}}
	for seed := range uint64(10) {
		d := NewMemory(4)
		var released, ended atomic.Bool
		r := controlled(seed, park, func(lt *lab.Thread) {
			lt.GoDaemon("io-completion", d.RunCompletions)
			d.Own(lt, 0, 2, 5, 10)
			b := &Bio{Op: OpWrite, PBlk: 0, Data: block(7, 2), Owner: Owner{5, 10},
				End: func(t *lab.Thread, b *Bio) { ended.Store(true) }}
			d.Submit(lt, b)
			lt.Go("releaser", func(t *lab.Thread) {
				t.AwaitParked("io-completion")
				released.Store(true)
				t.Release("io-completion")
			})
			d.WaitInode(lt, 5, 11, 12) // overlaps the bio's second block
			if !released.Load() || !ended.Load() || !b.Done() {
				t.Errorf("seed %d: WaitInode returned early (released %v, ended %v)", seed, released.Load(), ended.Load())
			}
			d.WaitInode(lt, 5, 12, 20) // no I/O there: returns at once
			d.WaitInode(lt, 6, 0, 20)  // nor for ino 6
		})
		if !r.OK() {
			t.Fatalf("seed %d: %v", seed, r)
		}
	}
}

// TestParkedDaemonRunCompletes: a run whose completion daemon is parked, and
// whose threads do not wait for I/O, still ends once the non-daemon threads
// return; the completion simply never ran.
func TestParkedDaemonRunCompletes(t *testing.T) {
	park := []lab.Rule{{Point: "blockdev.complete", Thread: "io-completion", Action: lab.Park}}
	for seed := range uint64(10) {
		d := NewMemory(1)
		b := &Bio{Op: OpRead, PBlk: 0, Data: block(0, 1)}
		r := controlled(seed, park, func(lt *lab.Thread) {
			lt.GoDaemon("io-completion", d.RunCompletions)
			d.Submit(lt, b)
			lt.AwaitParked("io-completion")
		})
		if !r.OK() || b.Done() {
			t.Fatalf("seed %d: %v (done %v)", seed, r, b.Done())
		}
	}
}

// TestWaitWithoutDaemonDeadlocks: waiting for I/O that nobody completes is
// reported as a deadlock naming the wait, not a hang.
func TestWaitWithoutDaemonDeadlocks(t *testing.T) {
	d := NewMemory(1)
	r := controlled(1, nil, func(lt *lab.Thread) {
		b := &Bio{Op: OpRead, PBlk: 0, Data: block(0, 1)}
		d.Submit(lt, b)
		d.WaitBio(lt, b)
	})
	if r.Outcome != lab.Deadlock || !strings.Contains(r.Message, "blockdev.done") {
		t.Fatalf("run: %v", r)
	}
}

// TestCompletionErrors: injected errors reach End through b.Err, from a
// per-block fault and from a fail rule at blockdev.complete.
func TestCompletionErrors(t *testing.T) {
	fail := []lab.Rule{{Point: "blockdev.complete", Hit: 3, Action: lab.Fail, Err: fmt.Errorf("injected")}}
	d := NewMemory(4)
	var errs [3]string
	r := controlled(3, fail, func(lt *lab.Thread) {
		lt.GoDaemon("io-completion", d.RunCompletions)
		d.Own(lt, 0, 4, 1, 0)
		d.InjectError(lt, 1, OpWrite, 1)
		var bios []*Bio
		for i := range 3 {
			b := &Bio{Op: OpWrite, PBlk: uint64(i), Data: block(1, 1), Owner: Owner{1, uint64(i)},
				End: func(t *lab.Thread, b *Bio) { errs[i] = fmt.Sprint(b.Err) }}
			d.Submit(lt, b)
			bios = append(bios, b)
		}
		d.WaitBio(lt, bios[0])
		d.WaitAll(lt)
		for _, b := range bios {
			if !b.Done() {
				t.Errorf("WaitAll returned before %v completed", b)
			}
		}
		if n := d.Inflight(lt); n != 0 {
			t.Errorf("%d bios in flight", n)
		}
	})
	if !r.OK() {
		t.Fatal(r)
	}
	if got := fmt.Sprint(errs); got != "[<nil> input/output error injected]" {
		t.Fatalf("errors %s", got)
	}
}
