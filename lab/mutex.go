package lab

import "sync/atomic"

// Mutex is a sleeping lock (the kernel's mutex). The zero value is unlocked;
// set Name for traces and wait-for graphs.
type Mutex struct {
	Name  string
	free  freeLock
	owner *Thread // controlled mode
	held  atomic.Bool
	waits *lockWait // controlled mode
}

// lockWait is what a controlled thread waiting for a lock hands the
// scheduler: made once per lock (and name), not per acquisition, since a
// description and two closures per Lock were the largest allocations of a
// controlled run.
type lockWait struct {
	name  string // the lock's name it was made for
	desc  string
	owner func() *Thread
	ready func() bool
}

// cachedWait returns *c if it was made for name, else a new one from mk.
func cachedWait(c **lockWait, name string, mk func() *lockWait) *lockWait {
	if *c == nil || (*c).name != name {
		*c = mk()
		(*c).name = name
	}
	return *c
}

func (m *Mutex) name() string {
	if m.Name == "" {
		return "mutex"
	}
	return m.Name
}

// Lock acquires m; in a controlled world it is a scheduling point. A free
// world's thread waiting for m when the run fails unwinds.
func (m *Mutex) Lock(t *Thread) {
	if !t.w.controlled {
		t.freeAcquired(m.free.lock(t.w.stopCh))
		m.held.Store(true)
		t.recordDetail(KindLock, m.name())
		return
	}
	lw := cachedWait(&m.waits, m.Name, func() *lockWait {
		return &lockWait{desc: "lock " + m.name(), owner: func() *Thread { return m.owner }, ready: func() bool { return m.owner == nil }}
	})
	t.wait(lw.desc, lw.owner, lw.ready)
	m.owner = t
	m.held.Store(true)
	t.record(KindLock, m.name(), nil)
}

// TryLock acquires m if it is free and reports whether it did.
func (m *Mutex) TryLock(t *Thread) bool {
	if !t.w.controlled {
		if !m.free.tryLock() {
			return false
		}
		m.held.Store(true)
		t.recordDetail(KindLock, m.name())
		return true
	}
	t.yield()
	if m.owner != nil {
		return false
	}
	m.owner = t
	m.held.Store(true)
	t.record(KindLock, m.name(), nil)
	return true
}

// Unlock releases m. Unlocking a mutex another thread holds panics.
func (m *Mutex) Unlock(t *Thread) {
	if !t.w.controlled {
		t.recordDetail(KindUnlock, m.name())
		m.held.Store(false)
		m.free.unlock()
		return
	}
	if m.owner != t {
		panic("lab: " + t.name + " unlocks " + m.name() + " held by " + ownerName(m.owner))
	}
	m.owner = nil
	m.held.Store(false)
	t.record(KindUnlock, m.name(), nil)
}

// Locked reports whether some thread holds m (a racy snapshot in free mode).
func (m *Mutex) Locked() bool { return m.held.Load() }

// HeldBy reports whether t holds m. In free mode it can only say whether
// anyone holds it.
func (m *Mutex) HeldBy(t *Thread) bool {
	if !t.w.controlled {
		return m.held.Load()
	}
	return m.owner == t
}

func ownerName(t *Thread) string {
	if t == nil {
		return "nobody"
	}
	return t.name
}

// BitLock is a lock embedded in a larger object that other threads try-lock
// and wait on, such as the folio lock (PG_locked).
type BitLock struct{ Mutex }

// RWMutex is a reader-writer semaphore (the kernel's rw_semaphore: i_rwsem,
// invalidate_lock, ILOCK, i_data_sem). The zero value is unlocked.
type RWMutex struct {
	Name    string
	free    freeLock
	writer  *Thread   // controlled mode
	readers []*Thread // controlled mode, in acquisition order
	held    atomic.Int32
	excl    *lockWait // controlled mode
	shared  *lockWait
}

func (m *RWMutex) name() string {
	if m.Name == "" {
		return "rwsem"
	}
	return m.Name
}

func (m *RWMutex) owner() *Thread {
	if m.writer != nil {
		return m.writer
	}
	if len(m.readers) > 0 {
		return m.readers[0]
	}
	return nil
}

// Lock acquires m exclusively.
func (m *RWMutex) Lock(t *Thread) {
	if !t.w.controlled {
		t.freeAcquired(m.free.lock(t.w.stopCh))
		m.held.Store(-1)
		t.recordDetail(KindLock, m.name())
		return
	}
	lw := cachedWait(&m.excl, m.Name, func() *lockWait {
		return &lockWait{desc: "lock " + m.name() + " (excl)", owner: m.owner, ready: func() bool { return m.writer == nil && len(m.readers) == 0 }}
	})
	t.wait(lw.desc, lw.owner, lw.ready)
	m.writer = t
	m.held.Store(-1)
	t.record(KindLock, m.name(), nil)
}

// Unlock releases an exclusive hold.
func (m *RWMutex) Unlock(t *Thread) {
	if !t.w.controlled {
		t.recordDetail(KindUnlock, m.name())
		m.held.Store(0)
		m.free.unlock()
		return
	}
	if m.writer != t {
		panic("lab: " + t.name + " unlocks " + m.name() + " held exclusively by " + ownerName(m.writer))
	}
	m.writer = nil
	m.held.Store(0)
	t.record(KindUnlock, m.name(), nil)
}

// RLock acquires m shared.
func (m *RWMutex) RLock(t *Thread) {
	if !t.w.controlled {
		t.freeAcquired(m.free.rlock(t.w.stopCh))
		m.held.Add(1)
		t.recordDetail(KindRLock, m.name())
		return
	}
	lw := cachedWait(&m.shared, m.Name, func() *lockWait {
		return &lockWait{desc: "lock " + m.name() + " (shared)", owner: func() *Thread { return m.writer }, ready: func() bool { return m.writer == nil }}
	})
	t.wait(lw.desc, lw.owner, lw.ready)
	m.readers = append(m.readers, t)
	m.held.Add(1)
	t.record(KindRLock, m.name(), nil)
}

// RUnlock releases a shared hold.
func (m *RWMutex) RUnlock(t *Thread) {
	if !t.w.controlled {
		t.recordDetail(KindRUnlock, m.name())
		m.held.Add(-1)
		m.free.runlock()
		return
	}
	for i, r := range m.readers {
		if r == t {
			m.readers = append(m.readers[:i], m.readers[i+1:]...)
			m.held.Add(-1)
			t.record(KindRUnlock, m.name(), nil)
			return
		}
	}
	panic("lab: " + t.name + " runlocks " + m.name() + " it does not hold shared")
}

// Locked reports whether anyone holds m, shared or exclusive (racy in free mode).
func (m *RWMutex) Locked() bool { return m.held.Load() != 0 }

// LockedExclusive reports whether a writer holds m (racy in free mode).
func (m *RWMutex) LockedExclusive() bool { return m.held.Load() < 0 }

// freeAcquired unwinds a free world's thread whose lock wait was cut short:
// the run failed, and the lock's holder may never release it.
func (t *Thread) freeAcquired(ok bool) {
	if !ok {
		panic(abortSentinel)
	}
}
