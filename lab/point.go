package lab

import (
	"fmt"
	"runtime"
)

// Action is what an injection Rule does at its point.
type Action int

const (
	// Delay yields N extra times (free mode: runtime.Gosched N times).
	Delay Action = iota
	// Park stops the thread at the point until another thread Releases it.
	Park
	// Fail makes Point return Err (EIO, ENOSPC, ...).
	Fail
)

func (a Action) String() string { return [...]string{"delay", "park", "fail"}[a] }

// Rule is an injection rule.
type Rule struct {
	Point  string // the point's name
	Thread string // only this thread's hits count; "" for any thread
	// Hit fires the rule on the Hit-th matching hit only (1-based); 0 fires
	// it on every hit.
	Hit    int
	Action Action
	N      int   // Delay: how many yields
	Err    error // Fail: the error Point returns
}

func (r Rule) String() string {
	s := fmt.Sprintf("%s at %s", r.Action, r.Point)
	if r.Thread != "" {
		s += " in " + r.Thread
	}
	if r.Hit > 0 {
		s += fmt.Sprintf(" hit %d", r.Hit)
	}
	return s
}

type ruleState struct {
	Rule
	hits int
}

// Point is a named place where a controlled schedule may switch threads and
// where injection rules act. It returns the error of a Fail rule, else nil.
func (t *Thread) Point(name string) error {
	w := t.w
	t.recordDetail(KindPoint, name)
	var fire []Rule
	if len(w.rules) > 0 {
		w.lockFree()
		for i := range w.rules {
			r := &w.rules[i]
			if r.Point != name || (r.Thread != "" && r.Thread != t.name) {
				continue
			}
			r.hits++
			if r.Hit == 0 || r.Hit == r.hits {
				fire = append(fire, r.Rule)
			}
		}
		w.unlockFree()
	}
	t.yield()
	var err error
	for _, r := range fire {
		switch r.Action {
		case Delay:
			for range r.N {
				if w.controlled {
					t.yield()
				} else {
					runtime.Gosched()
				}
			}
		case Park:
			t.Park(name)
		case Fail:
			t.record(KindInject, name, []Field{{"fail", 1}})
			err = r.Err
		}
	}
	return err
}

func (w *World) lockFree() {
	if !w.controlled {
		w.mu.Lock()
	}
}

func (w *World) unlockFree() {
	if !w.controlled {
		w.mu.Unlock()
	}
}

// Park stops t at where until another thread calls Release with t's name
// (a release that came first is used up at once). It models a userfaultfd
// stall and an error-injection delay.
func (t *Thread) Park(where string) {
	w := t.w
	w.lockFree()
	t.parkedAt = where
	w.unlockFree()
	t.record(KindPark, where, nil)
	w.parkEv.Wake(t)
	// The condition must not consume the release: a controlled scheduler
	// evaluates it whenever it looks for runnable threads, not only when
	// it picks this one. Only t consumes its own releases.
	w.parkEv.Wait(t, func() bool {
		w.lockFree()
		defer w.unlockFree()
		return t.releases > 0
	})
	w.lockFree()
	t.releases--
	t.parkedAt = ""
	w.unlockFree()
}

// Parked reports where the named thread is parked, or "".
func (w *World) Parked(name string) string {
	w.lockFree()
	defer w.unlockFree()
	for _, u := range w.threads {
		if u.name == name && !u.done {
			return u.parkedAt
		}
	}
	return ""
}

// AwaitParked blocks t until the thread called name is parked.
func (t *Thread) AwaitParked(name string) {
	t.w.parkEv.Wait(t, func() bool { return t.w.Parked(name) != "" })
}

// Release lets the thread called name leave its park (now, or at its next park).
func (t *Thread) Release(name string) {
	w := t.w
	w.lockFree()
	found := false
	for _, u := range w.threads {
		if u.name == name {
			u.releases++
			found = true
			break
		}
	}
	w.unlockFree()
	if !found {
		panic("lab: release of unknown thread " + name)
	}
	t.record(KindRelease, name, nil)
	w.parkEv.Wake(t)
}
