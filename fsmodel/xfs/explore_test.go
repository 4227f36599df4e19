package xfs

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"iomaplab/lab"
	"iomaplab/vfs"
)

// TestControlledExploration runs a small concurrent workload on disjoint
// regions under many random schedules: every schedule must complete (no
// deadlock, no oracle failure) and leave the file equal to the model.
func TestControlledExploration(t *testing.T) {
	seeds := 300
	if testing.Short() || raceEnabled {
		seeds = 50
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		const region = 16 << 10
		want := make([]byte, 3*region)
		var got []byte
		w := controlled(seed)
		res := w.Run(func(lt *lab.Thread) {
			fs := Mount(lt, newDev(), Options{Flusher: seed%2 == 0, Reclaimer: seed%2 == 0})
			f := fs.OpenInode(lt, "f")
			_ = f.Fallocate(lt, vfs.FallocAllocate, 0, region)
			_ = f.Truncate(lt, int64(len(want)))
			var g group
			for k := range 3 {
				g.Go(lt, fmt.Sprintf("t%d", k), func(lt *lab.Thread) {
					rng := rand.New(rand.NewPCG(seed, uint64(k)))
					base := int64(k) * region
					mine := want[base : base+region]
					for i := range 4 {
						off := rng.Int64N(region - 1)
						n := min(1+rng.Int64N(2*bs), region-off)
						p := fill(byte(16*k+i+1), int(n))
						switch rng.IntN(5) {
						case 0:
							_, _ = f.Pwrite(lt, vfs.Plain(p), base+off)
							copy(mine[off:], p)
						case 1:
							_ = f.MapStore(lt, p, base+off)
							copy(mine[off:], p)
						case 2:
							_ = f.SyncRange(lt, 0, 0)
						case 3:
							_ = f.Reclaim(lt, 0, 0)
						case 4:
							a, e := roundDown(off), min(roundUp(off+n), region)
							_ = f.Fallocate(lt, vfs.FallocPunch, base+a, e-a)
							clear(mine[a:e])
						}
					}
				})
			}
			g.Wait(lt)
			_ = fs.Remount(lt)
			got = readAll(lt, t, f)
			if err := fs.CheckCleared(lt); err != nil {
				t.Errorf("seed %d: %v", seed, err)
			}
		})
		if !res.OK() {
			t.Fatalf("seed %d: %v", seed, res)
		}
		if string(got) != string(want) {
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("seed %d: byte %d is %#x, want %#x", seed, i, got[i], want[i])
				}
			}
		}
	}
}
