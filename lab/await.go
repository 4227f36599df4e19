package lab

import "strings"

// AwaitParkedAt blocks t until the thread called name is parked at where
// (the point name its Park was given).
func (t *Thread) AwaitParkedAt(name, where string) {
	t.w.parkEv.Wait(t, func() bool { return t.w.Parked(name) == where })
}

// Blocked reports the lock the named thread is blocked on ("lock NAME",
// "lock NAME (excl)", ...: what the wait-for graph shows), or "" if it is
// not waiting for a lab lock that is held. Only a controlled world knows:
// in a free world it is always "".
func (w *World) Blocked(name string) string {
	if !w.controlled {
		return ""
	}
	for _, u := range w.threads {
		if u.name == name && !u.done && u.pred != nil && strings.HasPrefix(u.waitDesc, "lock ") && !u.pred() {
			return u.waitDesc
		}
	}
	return ""
}

// AwaitBlocked blocks t until the thread called name is blocked on a lab
// lock (Blocked). Controlled worlds only: a controlled scheduler evaluates
// the condition whenever it looks for a runnable thread, so it sees the
// other thread block; a free world has no such moment, and t fails.
func (t *Thread) AwaitBlocked(name string) {
	if !t.w.controlled {
		t.Fail("await " + name + ".blocked needs a controlled world: a free world cannot see which lock a thread waits for")
	}
	t.w.parkEv.Wait(t, func() bool { return t.w.Blocked(name) != "" })
}
