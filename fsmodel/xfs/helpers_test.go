package xfs

import (
	"bytes"
	"sync/atomic"
	"testing"

	"iomaplab/blockdev"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// group runs lab threads and waits for all of them (a join).
type group struct {
	n    atomic.Int32
	done atomic.Int32
	ev   lab.Event
}

func (g *group) Go(t *lab.Thread, name string, fn func(t *lab.Thread)) {
	g.n.Add(1)
	t.Go(name, func(t *lab.Thread) {
		defer func() { g.done.Add(1); g.ev.Wake(t) }()
		fn(t)
	})
}

func (g *group) Wait(t *lab.Thread) {
	g.ev.Wait(t, func() bool { return g.done.Load() == g.n.Load() })
}

// controlled returns a controlled world under a seeded random strategy.
func controlled(seed uint64, rules ...lab.Rule) *lab.World {
	s := lab.NewRandom(seed)
	s.NewSchedule()
	return lab.NewWorld(lab.Config{Controlled: true, Strategy: s, Rules: rules})
}

// readAll reads the whole file through Pread.
func readAll(t *lab.Thread, tb testing.TB, f vfs.File) []byte {
	size, _ := f.Size(t)
	p := make([]byte, size)
	n, err := f.Pread(t, p, 0)
	if err != nil || int64(n) != size {
		tb.Errorf("pread whole file: %d of %d, %v", n, size, err)
	}
	return p[:n]
}

func fill(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }

func newDev() *blockdev.Device { return blockdev.NewMemory(4096) }

func mustOK(tb testing.TB, r *lab.Result) {
	tb.Helper()
	if !r.OK() {
		tb.Fatalf("run: %v", r)
	}
}
