package xfs

import (
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"

	"iomaplab/blockdev"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// Sequential 64 KiB buffered writes into a fresh 1 GiB file on a memory
// device, in a free world, next to a memcpy of the same bytes into
// pre-touched memory. IOMAPLAB_BENCH_MIB shrinks the file.
//
//	go test ./fsmodel/xfs -run '^$' -bench BufferedWrite -count 10 | benchstat -

const benchChunk = 64 << 10

func benchSize() int64 {
	if s := os.Getenv("IOMAPLAB_BENCH_MIB"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return int64(n) << 20
		}
	}
	return 1 << 30
}

func BenchmarkBufferedWrite(b *testing.B) {
	size := benchSize()
	src := fill(0x5a, benchChunk)
	b.Run("memcpy", func(b *testing.B) {
		dst := make([]byte, size)
		for i := range dst {
			dst[i] = 1
		}
		b.SetBytes(size)
		b.ResetTimer()
		for range b.N {
			for off := int64(0); off < size; off += benchChunk {
				copy(dst[off:off+benchChunk], src)
			}
		}
	})
	for _, c := range []struct {
		name     string
		folio    int64
		opts     Options
		flusher  bool
		prealloc bool // fallocate the file first: writes go to unwritten extents
	}{
		{"folio=4k", 4 << 10, Options{}, false, false},
		{"folio=2m", 2 << 20, Options{}, false, false},
		{"folio=2m/no-iomap-valid", 2 << 20, Options{NoIomapValid: true}, false, false},
		{"folio=4k/flusher", 4 << 10, Options{}, true, false},
		{"folio=2m/flusher", 2 << 20, Options{}, true, false},
		{"folio=4k/prealloc/flusher", 4 << 10, Options{}, true, true},
		{"folio=2m/prealloc/flusher", 2 << 20, Options{}, true, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			c.opts.FolioSize = c.folio
			benchWrite(b, size, src, c.opts, c.flusher, c.prealloc)
		})
	}
}

func benchWrite(b *testing.B, size int64, src []byte, opts Options, flusher, prealloc bool) {
	b.SetBytes(size)
	b.ReportAllocs()
	var remaps, stale int64
	b.StopTimer()
	for range b.N {
		res := lab.NewFree().Run(func(t *lab.Thread) {
			dev := blockdev.NewMemory(uint64(size/bs) + 1024)
			if flusher {
				prefaultDev(t, dev, size)
			}
			fs := Mount(t, dev, opts)
			f := fs.OpenInode(t, "f")
			f.io.Cache.Prefault(t, int(size/opts.FolioSize))
			if prealloc {
				if err := f.Fallocate(t, vfs.FallocAllocate, 0, size); err != nil {
					b.Error(err)
					return
				}
			}
			var stop atomic.Bool
			var g group
			b.StartTimer()
			if flusher {
				g.Go(t, "flusher", func(t *lab.Thread) {
					for !stop.Load() {
						if err := f.SyncRange(t, 0, 0); err != nil {
							b.Error(err)
						}
					}
				})
			}
			for off := int64(0); off < size; off += benchChunk {
				if n, err := f.Pwrite(t, vfs.Plain(src), off); err != nil {
					b.Errorf("pwrite at %d: %d, %v", off, n, err)
					break
				}
			}
			stop.Store(true)
			g.Wait(t)
			b.StopTimer()
			remaps += f.io.Stats.Remaps.Load()
			stale += f.io.Stats.Invalid.Load()
		})
		if !res.OK() {
			b.Fatal(res)
		}
	}
	gib := float64(size) / (1 << 30) * float64(b.N)
	b.ReportMetric(float64(remaps)/gib, "remaps/GiB")
	b.ReportMetric(float64(stale)/gib, "iomap_invalid/GiB")
}

// prefaultDev touches every block of the memory device so that writeback
// does not measure first-touch page faults.
func prefaultDev(t *lab.Thread, dev *blockdev.Device, size int64) {
	buf := make([]byte, 1<<20)
	for off := int64(0); off < size; off += int64(len(buf)) {
		if err := dev.WriteRaw(t, uint64(off/bs), buf); err != nil {
			panic(fmt.Sprint("prefault: ", err))
		}
	}
}
