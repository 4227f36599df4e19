package lab

import (
	"sort"
	"sync"
)

// Kind classifies a trace record.
type Kind uint8

const (
	KindPoint Kind = iota
	KindTrace
	KindLock
	KindUnlock
	KindRLock
	KindRUnlock
	KindSpawn
	KindExit
	KindPark
	KindRelease
	KindInject
	KindNote
)

func (k Kind) String() string {
	return [...]string{"point", "trace", "lock", "unlock", "rlock", "runlock", "spawn", "exit", "park", "release", "inject", "note"}[k]
}

// Field is one named integer of a tracepoint.
type Field struct {
	Key string
	Val int64
}

// F builds a Field.
func F(key string, val int64) Field { return Field{key, val} }

// Record is one trace entry.
type Record struct {
	Seq    int64 // position in the whole run
	Step   int64 // scheduling step (controlled mode)
	Thread int
	Name   string // the point, tracepoint, lock or thread name
	Who    string // the thread's name
	Kind   Kind
	Fields []Field
}

// Get returns the value of field key and whether the record has it.
func (r Record) Get(key string) (int64, bool) {
	for _, f := range r.Fields {
		if f.Key == key {
			return f.Val, true
		}
	}
	return 0, false
}

// Trace is a run's ring buffer of records with per-name tracepoint counts and
// a hash over every record ever added.
type Trace struct {
	mu     sync.Mutex // free mode has concurrent writers
	ring   []Record
	cap    int
	total  int64
	counts map[string]int
	hash   uint64
}

func (tr *Trace) init(capacity int) {
	tr.cap = capacity
	tr.counts = map[string]int{}
	tr.hash = fnvOffset
}

func (tr *Trace) add(r Record) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	r.Seq = tr.total
	tr.total++
	if r.Kind == KindTrace {
		tr.counts[r.Name]++
	}
	if len(tr.ring) < tr.cap {
		if tr.ring == nil {
			tr.ring = make([]Record, 0, min(tr.cap, ringStart)) // skip the smallest growth steps
		}
		tr.ring = append(tr.ring, r)
	} else {
		tr.ring[r.Seq%int64(tr.cap)] = r
	}
	tr.hash = fnvRecord(tr.hash, r)
}

// ringStart is the trace ring's first capacity: a scenario's run records a
// few hundred records.
const ringStart = 256

// FNV-1a's 64-bit parameters (Fowler, Noll, Vo; RFC draft
// draft-eastlake-fnv).
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// fnvRecord is FNV-1a over r's kind, thread, name and fields, then the
// previous hash prev, little-endian: the bytes Trace has always hashed,
// without a hash.Hash or a buffer per record.
func fnvRecord(prev uint64, r Record) uint64 {
	h := uint64(fnvOffset)
	for _, c := range [3]byte{byte(r.Kind), byte(r.Thread), byte(r.Thread >> 8)} {
		h = (h ^ uint64(c)) * fnvPrime
	}
	for i := 0; i < len(r.Name); i++ {
		h = (h ^ uint64(r.Name[i])) * fnvPrime
	}
	for _, f := range r.Fields {
		for i := 0; i < len(f.Key); i++ {
			h = (h ^ uint64(f.Key[i])) * fnvPrime
		}
		for i := range 8 {
			h = (h ^ uint64(byte(f.Val>>(8*i)))) * fnvPrime
		}
	}
	for i := range 8 {
		h = (h ^ uint64(byte(prev>>(8*i)))) * fnvPrime
	}
	return h
}

// Count returns how many times tracepoint name fired.
func (tr *Trace) Count(name string) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.counts[name]
}

// Counts returns every tracepoint's count, by name.
func (tr *Trace) Counts() map[string]int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	m := make(map[string]int, len(tr.counts))
	for k, v := range tr.counts {
		m[k] = v
	}
	return m
}

// Names returns the tracepoint names that fired, sorted.
func (tr *Trace) Names() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var names []string
	for k := range tr.counts {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Hash identifies the run's whole sequence of records (who did what, in
// which order). Two runs of one schedule must have equal hashes.
func (tr *Trace) Hash() uint64 {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.hash
}

// Len is the number of records added over the run.
func (tr *Trace) Len() int64 {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.total
}

// Records returns the kept records, oldest first.
func (tr *Trace) Records() []Record {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.ring) < tr.cap {
		return append([]Record(nil), tr.ring...)
	}
	start := int(tr.total % int64(tr.cap))
	return append(append([]Record(nil), tr.ring[start:]...), tr.ring[:start]...)
}

// Tracepoint records the named tracepoint with its fields (iomap_invalid,
// da_reserve, ...). It is not a scheduling point.
func (t *Thread) Tracepoint(name string, fields ...Field) {
	t.record(KindTrace, name, fields)
}

// Note adds free text to the trace (the operation a scenario thread starts,
// the kernel function an engine step models); it is not a scheduling point
// and, in a free world, is kept only when Config.RecordLocks asks.
func (t *Thread) Note(text string) {
	t.recordDetail(KindNote, text)
}

func (t *Thread) record(k Kind, name string, fields []Field) {
	t.w.trace.add(Record{Step: t.w.steps.Load(), Thread: t.id, Who: t.name, Kind: k, Name: name, Fields: fields})
}

// recordDetail records a lock operation or point: always in a controlled
// world, in a free world only when Config.RecordLocks asks (it costs a lock).
func (t *Thread) recordDetail(k Kind, name string) {
	if t.w.controlled || t.w.cfg.RecordLocks {
		t.record(k, name, nil)
	}
}
