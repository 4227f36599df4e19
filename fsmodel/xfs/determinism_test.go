package xfs

import (
	"testing"

	"iomaplab/lab"
	"iomaplab/vfs"
)

// workload is a 3-thread run with the daemons on, used to check that the
// model is a pure function of the schedule.
func workload(lt *lab.Thread) {
	fs := Mount(lt, newDev(), Options{Flusher: true, Reclaimer: true})
	f := fs.OpenInode(lt, "f")
	_ = f.Fallocate(lt, vfs.FallocAllocate, 0, 32<<10)
	var g group
	g.Go(lt, "writer", func(lt *lab.Thread) { _, _ = f.Pwrite(lt, vfs.Plain(fill(1, 20<<10)), 2000) })
	g.Go(lt, "mapper", func(lt *lab.Thread) { _ = f.MapStore(lt, fill(2, 5000), 24<<10) })
	g.Go(lt, "puncher", func(lt *lab.Thread) { _ = f.Fallocate(lt, vfs.FallocPunch, 8<<10, 6<<10) })
	g.Wait(lt)
	_ = fs.Remount(lt)
}

func TestDeterministicTraces(t *testing.T) {
	distinct := map[uint64]bool{}
	for seed := uint64(1); seed <= 30; seed++ {
		w1 := controlled(seed)
		r1 := w1.Run(workload)
		w2 := controlled(seed)
		r2 := w2.Run(workload)
		mustOK(t, r1)
		mustOK(t, r2)
		if w1.Trace().Hash() != w2.Trace().Hash() {
			t.Fatalf("seed %d: two runs gave different traces", seed)
		}
		s := lab.NewReplay(r1.Decisions)
		s.NewSchedule()
		w3 := lab.NewWorld(lab.Config{Controlled: true, Strategy: s})
		mustOK(t, w3.Run(workload))
		if w3.Trace().Hash() != w1.Trace().Hash() {
			t.Fatalf("seed %d: replay gave a different trace", seed)
		}
		distinct[w1.Trace().Hash()] = true
	}
	if len(distinct) < 25 {
		t.Errorf("30 seeds gave only %d distinct traces", len(distinct))
	}
}
