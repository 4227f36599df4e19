package xfs

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"iomaplab/lab"
	"iomaplab/vfs"
)

// TestFreeModeConcurrent runs workers on disjoint regions of one file in a
// free world (real goroutines and locks; run it with -race), with a flusher
// and a reclaimer racing them, then checks every byte after remount.
func TestFreeModeConcurrent(t *testing.T) {
	const workers, region = 4, 64 << 10
	iters := 300
	if testing.Short() || raceEnabled {
		iters = 100
	}
	for _, folio := range []int64{4096, 16 << 10} {
		t.Run(fmt.Sprintf("folio=%d", folio), func(t *testing.T) {
			want := make([]byte, workers*region)
			var got []byte
			res := lab.NewFree().Run(func(lt *lab.Thread) {
				fs := Mount(lt, newDev(), Options{FolioSize: folio})
				f := fs.OpenInode(lt, "f")
				if err := f.Truncate(lt, int64(len(want))); err != nil {
					t.Fatal(err)
				}
				var stop atomic.Bool
				var bg, g group
				bg.Go(lt, "flusher", func(lt *lab.Thread) {
					for i := 0; !stop.Load(); i++ {
						if i%2 == 0 {
							_ = f.SyncRange(lt, 0, 0)
						} else {
							_ = f.FadviseDontneed(lt, int64(i%workers)*region, region)
						}
					}
				})
				bg.Go(lt, "reclaim", func(lt *lab.Thread) {
					for !stop.Load() {
						_ = f.Reclaim(lt, 0, 0)
					}
				})
				for w := range workers {
					g.Go(lt, fmt.Sprintf("worker%d", w), func(lt *lab.Thread) {
						rng := rand.New(rand.NewPCG(uint64(w), 1))
						base := int64(w) * region
						mine := want[base : base+region]
						for i := range iters {
							off := rng.Int64N(region - 1)
							n := min(1+rng.Int64N(3*bs), region-off)
							b := byte(i)
							switch rng.IntN(6) {
							case 0, 1:
								p := fill(b, int(n))
								if _, err := f.Pwrite(lt, vfs.Plain(p), base+off); err != nil {
									t.Errorf("pwrite: %v", err)
								}
								copy(mine[off:], p)
							case 2:
								p := fill(b, int(n))
								if err := f.MapStore(lt, p, base+off); err != nil {
									t.Errorf("map-store: %v", err)
								}
								copy(mine[off:], p)
							case 3:
								p := make([]byte, n)
								if _, err := f.Pread(lt, p, base+off); err != nil {
									t.Errorf("pread: %v", err)
								}
								if string(p) != string(mine[off:off+n]) {
									t.Errorf("worker %d: pread at %d differs", w, base+off)
								}
							case 4:
								// Block-aligned punch or unwritten allocation inside the region.
								a, e := roundDown(off), roundUp(off+n)
								e = min(e, region)
								if rng.IntN(2) == 0 {
									if err := f.Fallocate(lt, vfs.FallocPunch, base+a, e-a); err != nil {
										t.Errorf("punch: %v", err)
									}
									clear(mine[a:e])
								} else if err := f.Fallocate(lt, vfs.FallocKeepSize, base+a, e-a); err != nil {
									t.Errorf("fallocate: %v", err)
								}
							case 5:
								if err := f.Fsync(lt); err != nil {
									t.Errorf("fsync: %v", err)
								}
							}
						}
					})
				}
				g.Wait(lt)
				stop.Store(true)
				bg.Wait(lt)
				if err := fs.Remount(lt); err != nil {
					t.Errorf("remount: %v", err)
				}
				got = readAll(lt, t, f)
				if err := fs.CheckCleared(lt); err != nil {
					t.Errorf("check: %v", err)
				}
			})
			mustOK(t, res)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("byte %d: got %#x want %#x", i, got[i], want[i])
				}
			}
		})
	}
}
