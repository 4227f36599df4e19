package bench

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"iomaplab/blockdev"
	"iomaplab/fsmodel/variant"
	"iomaplab/fsmodel/xfs"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// noChecks is the engine with both validity checks switched off.
const noChecks = variant.NoValidate | variant.WBNoValidate

// writeResult is one engine write run.
type writeResult struct {
	seconds   float64
	remaps    int64 // iomap_remap: stale mappings mapped again
	invalid   int64 // write-side stale verdicts (iomap_invalid)
	wbInvalid int64 // writeback stale verdicts (wb_iomap_invalid)
}

// EngineWrite writes size bytes in io-sized pwrites, sequentially from
// offset 0, into a fresh file of the XFS model with variant v on a fresh
// memory device, in a free-mode world. With flusher set, a second thread
// writes the file back (WB_SYNC_NONE sync-range of the whole file, in a
// loop) for as long as the writer runs. Only the pwrite loop is timed:
// mount, device allocation and teardown are not.
func EngineWrite(size, io int64, v variant.Variant, flusher bool) (writeResult, error) {
	var res writeResult
	var werr, ferr error
	// Room for the file plus slack: delalloc reserves every block up front.
	blocks := uint64(size+size/4)/blockdev.BlockSize + 4096
	// Start from a heap returned to the OS, so that the page cache's memory
	// is not what an earlier run (or the memcpy buffer) already touched.
	debug.FreeOSMemory()
	w := lab.NewFree()
	lr := w.Run(func(t *lab.Thread) {
		fs := xfs.Mount(t, blockdev.NewMemory(blocks), xfs.Options{Variant: v})
		f := fs.OpenInode(t, "f")
		src := make([]byte, io)
		for i := range src {
			src[i] = byte(i*7 + 1)
		}
		buf := vfs.Plain(src)
		var done atomic.Bool
		if flusher {
			t.Go("flusher", func(t *lab.Thread) {
				for !done.Load() {
					if err := f.SyncRange(t, 0, 0); err != nil {
						ferr = fmt.Errorf("flusher: %w", err)
						return
					}
				}
			})
		}
		start := time.Now()
		for off := int64(0); off < size; off += io {
			if n, err := f.Pwrite(t, buf, off); err != nil || int64(n) != io {
				werr = fmt.Errorf("engine pwrite at %d: %d bytes, %v", off, n, err)
				break
			}
		}
		res.seconds = time.Since(start).Seconds()
		done.Store(true)
		st := &f.IomapInode().Stats
		res.remaps = st.Remaps.Load()
		res.invalid, res.wbInvalid = st.Invalid.Load(), st.WBInvalid.Load()
	})
	if !lr.OK() {
		return res, fmt.Errorf("engine write: %s", lr)
	}
	if werr == nil {
		werr = ferr
	}
	return res, werr
}

// Memcpy copies size bytes in io-sized copies into memory touched before
// the clock starts: the upper bound for any buffered write.
func Memcpy(dst []byte, io int64) float64 {
	src := make([]byte, io)
	for i := range src {
		src[i] = byte(i*7 + 1)
	}
	start := time.Now()
	for off := int64(0); off+io <= int64(len(dst)); off += io {
		copy(dst[off:off+io], src)
	}
	return time.Since(start).Seconds()
}

// TmpfsPwrite pwrites size bytes in io-sized writes into a new file in dir
// (a tmpfs such as /dev/shm), timing only the pwrite loop; the file is
// removed afterwards.
func TmpfsPwrite(dir string, size, io int64) (float64, error) {
	f, err := os.CreateTemp(dir, "iomaplab-bench-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	src := make([]byte, io)
	for i := range src {
		src[i] = byte(i*7 + 1)
	}
	fd := int(f.Fd())
	start := time.Now()
	for off := int64(0); off < size; off += io {
		n, err := unix.Pwrite(fd, src, off)
		if err != nil || int64(n) != io {
			return 0, fmt.Errorf("tmpfs pwrite at %d: %d bytes, %v", off, n, err)
		}
	}
	return time.Since(start).Seconds(), nil
}

// tmpfsDir returns /dev/shm if it is a tmpfs with room for size bytes, or
// why not.
func tmpfsDir(size int64) (string, string) {
	const dir = "/dev/shm"
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return "", fmt.Sprintf("%s: %v", dir, err)
	}
	if st.Type != unix.TMPFS_MAGIC {
		return "", dir + " is not a tmpfs"
	}
	if free := int64(st.Bavail) * st.Bsize; free < size+size/8 {
		return "", fmt.Sprintf("%s has %d MiB free, needs %d", dir, free>>20, (size+size/8)>>20)
	}
	return dir, ""
}

func mibps(size int64, seconds float64) float64 { return float64(size) / (1 << 20) / seconds }

// write measures the write figures.
func (b *bench) write() error {
	size, io, runs := b.cfg.WriteSize, b.cfg.WriteIO, b.cfg.Runs
	gib := float64(size) / (1 << 30)
	label := fmt.Sprintf("%s pwrites into %s", human(io), human(size))

	dst := make([]byte, size)
	for i := range dst {
		dst[i] = 1
	}
	mc, err := repeat(runs, 1, b.progress, "write memcpy", func() ([]float64, error) {
		return []float64{mibps(size, Memcpy(dst, io))}, nil
	})
	if err != nil {
		return err
	}
	dst = nil
	runtime.GC()

	var tmpfs *Stat
	dir, why := tmpfsDir(size)
	if dir != "" {
		s, err := repeat(runs, 1, b.progress, "write tmpfs pwrite", func() ([]float64, error) {
			sec, err := TmpfsPwrite(dir, size, io)
			return []float64{mibps(size, sec)}, err
		})
		if err != nil {
			why = err.Error()
		} else {
			tmpfs = &s[0]
		}
	}

	// engine returns throughput, remaps, write-side and writeback stale
	// verdicts per GiB.
	engine := func(what string, v variant.Variant, flusher bool) ([]Stat, error) {
		return repeat(runs, 4, b.progress, what, func() ([]float64, error) {
			r, err := EngineWrite(size, io, v, flusher)
			return []float64{mibps(size, r.seconds), float64(r.remaps) / gib,
				float64(r.invalid) / gib, float64(r.wbInvalid) / gib}, err
		})
	}
	e, err := engine("write engine", variant.Correct, false)
	if err != nil {
		return err
	}
	r, err := engine("write engine, no validity checks", noChecks, false)
	if err != nil {
		return err
	}
	fls, err := engine("write engine + flusher", variant.Correct, true)
	if err != nil {
		return err
	}
	eng, engRemaps, raw, fl, flRemaps := &e[0], &e[1], &r[0], &fls[0], &fls[1]

	b.add(&Figure{Group: "write", Name: "engine buffered write", Unit: "MiB/s", Value: eng,
		Baseline: "memcpy into pre-touched memory", Base: &mc[0], Note: label})
	b.add(&Figure{Group: "write", Name: "engine buffered write vs tmpfs", Unit: "MiB/s", Value: eng,
		Baseline: "kernel tmpfs pwrite (" + dir + ")", Base: tmpfs, BaseMissing: why, Note: label})
	b.add(&Figure{Group: "write", Name: "engine, no validity checks", Unit: "MiB/s", Value: raw,
		Baseline: "engine buffered write (checks on)", Base: eng, Note: "variant " + noChecks.String()})
	b.add(&Figure{Group: "write", Name: "engine + concurrent flusher", Unit: "MiB/s", Value: fl,
		Baseline: "engine buffered write (no flusher)", Base: eng, Note: "flusher: sync-range of the whole file in a loop"})
	b.add(&Figure{Group: "write", Name: "remaps with flusher", Unit: "remaps/GiB", Value: flRemaps,
		Baseline: "remaps without flusher", Base: engRemaps,
		Note: fmt.Sprintf("medians per GiB: write-side stale verdicts %s, writeback stale verdicts %s",
			num(fls[2].Median), num(fls[3].Median))})
	b.chart("write", "buffered write throughput: "+label, "MiB/s",
		bar("memcpy", &mc[0]), bar("tmpfs pwrite", tmpfs), bar("engine", eng),
		bar("engine, no checks", raw), bar("engine + flusher", fl))
	return nil
}

// human renders a byte count as KiB, MiB or GiB.
func human(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
