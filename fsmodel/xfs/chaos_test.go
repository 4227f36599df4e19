package xfs

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"iomaplab/lab"
	"iomaplab/vfs"
)

// TestChaos runs threads issuing every vfs operation over the whole file
// (overlapping ranges, size changes, remounts) under PCT schedules and in free worlds, with the
// flusher and reclaim daemons on. No byte-level reference exists for such
// runs, so the oracles are: every schedule completes (no deadlock, panic or
// oracle failure), fsck and the reservation oracles hold at the end, and
// what the page cache shows after fsync is what the device holds after a
// remount. IOMAPLAB_CHAOS_SEEDS raises the schedule count.
func TestChaos(t *testing.T) {
	seeds := 150
	if testing.Short() || raceEnabled {
		seeds = 30
	}
	if s := os.Getenv("IOMAPLAB_CHAOS_SEEDS"); s != "" {
		seeds, _ = strconv.Atoi(s)
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		// Every fifth world is free (real goroutines: -race checks it).
		w := lab.NewFree()
		if seed%5 != 0 {
			s := lab.NewPCT(seed, 3)
			s.NewSchedule()
			w = lab.NewWorld(lab.Config{Controlled: true, Strategy: s})
		}
		var before, after []byte
		var checkErr error
		folio := int64(4096) << (seed % 3 * 2) // 4k, 16k, 64k
		res := w.Run(func(lt *lab.Thread) {
			fs := Mount(lt, newDev(), Options{FolioSize: folio, Flusher: seed%2 == 0, Reclaimer: seed%4 == 0})
			f := fs.OpenInode(lt, "f")
			var g group
			for k := range 3 {
				g.Go(lt, fmt.Sprintf("t%d", k), func(lt *lab.Thread) {
					rng := rand.New(rand.NewPCG(seed, uint64(k)))
					for range 3 {
						chaosOp(lt, fs, f, rng)
					}
				})
			}
			g.Wait(lt)
			if err := f.Fsync(lt); err != nil {
				checkErr = err
				return
			}
			before = readAll(lt, t, f)
			if err := fs.Remount(lt); err != nil {
				checkErr = err
				return
			}
			after = readAll(lt, t, f)
			checkErr = fs.CheckCleared(lt)
		})
		if !res.OK() {
			t.Fatalf("seed %d: %v", seed, res)
		}
		if checkErr != nil {
			t.Fatalf("seed %d: %v", seed, checkErr)
		}
		if !bytes.Equal(before, after) {
			t.Fatalf("seed %d: the file after remount differs from the page cache after fsync", seed)
		}
	}
}

func chaosOp(lt *lab.Thread, fs *FS, f *Inode, rng *rand.Rand) {
	const span = 48 << 10
	off := rng.Int64N(span)
	if rng.IntN(2) == 0 {
		off &^= bs - 1
	}
	n := 1 + rng.Int64N(3*bs)
	p := fill(byte(1+rng.IntN(255)), int(n))
	switch rng.IntN(13) {
	case 0, 1:
		buf := vfs.Plain(p)
		if rng.IntN(4) == 0 {
			buf.FaultAt = rng.Int64N(n)
		}
		_, _ = f.Pwrite(lt, buf, off)
	case 2:
		if size, _ := f.Size(lt); size > 0 {
			o := off % size
			_ = f.MapStore(lt, p[:min(n, size-o)], o)
		}
	case 3:
		_, _ = f.Pread(lt, p, off)
	case 4:
		_ = f.Fallocate(lt, vfs.FallocMode(rng.IntN(5)), off, n)
	case 5:
		_ = f.Truncate(lt, off)
	case 6:
		_ = f.Fsync(lt)
	case 7:
		_ = f.SyncRange(lt, off, n)
	case 8:
		_ = f.FadviseDontneed(lt, off, n)
	case 9:
		_ = f.Reclaim(lt, 0, 0)
	case 10:
		_ = fs.DropCaches(lt)
	case 11:
		_ = fs.Remount(lt)
	case 12:
		if size, _ := f.Size(lt); size > 0 {
			o := off % size
			_ = f.MapLoad(lt, p[:min(n, size-o)], o)
		}
	}
}
