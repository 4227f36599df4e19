package bench

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"golang.org/x/sys/unix"

	"iomaplab/blockdev"
	"iomaplab/fsmodel/xfs"
	"iomaplab/lab"
	"iomaplab/pagecache"
	"iomaplab/vfs"
)

// writeResult is one engine write run.
type writeResult struct {
	seconds   float64
	remaps    int64 // iomap_remap: stale mappings mapped again
	invalid   int64 // write-side stale verdicts (iomap_invalid)
	wbInvalid int64 // writeback stale verdicts (wb_iomap_invalid)
}

// EngineWrite writes size bytes in io-sized pwrites, sequentially from
// offset 0, into a fresh file of the XFS model (mount options opts) on a
// fresh memory device, in a free-mode world. With prefault, the page
// cache's folio buffers (and, with opts.Flusher, the device's blocks) are
// touched before the clock starts, as in fsmodel/xfs's BenchmarkBufferedWrite,
// so the figure is copies and bookkeeping, not first-touch page faults;
// without, the run starts from a heap returned to the OS, so every folio
// buffer is fresh memory. Only the pwrite
// loop is timed: mount, allocation, prefaulting and teardown are not.
func EngineWrite(size, io int64, opts xfs.Options, prefault bool) (writeResult, error) {
	var res writeResult
	var werr error
	if opts.FolioSize == 0 {
		opts.FolioSize = pagecache.PageSize
	}
	// Room for the file plus slack: delalloc reserves every block up front.
	blocks := uint64(size+size/4)/blockdev.BlockSize + 4096
	if prefault {
		runtime.GC() // the previous run's page cache is garbage: reuse it
	} else {
		debug.FreeOSMemory() // nothing already touched is reused
	}
	lr := lab.NewFree().Run(func(t *lab.Thread) {
		dev := blockdev.NewMemory(blocks)
		if prefault && opts.Flusher {
			if werr = prefaultDev(t, dev, size); werr != nil {
				return
			}
		}
		fs := xfs.Mount(t, dev, opts)
		f := fs.OpenInode(t, "f")
		if prefault {
			f.IomapInode().Cache.Prefault(t, int(size/opts.FolioSize))
		}
		src := make([]byte, io)
		for i := range src {
			src[i] = byte(i*7 + 1)
		}
		buf := vfs.Plain(src)
		start := time.Now()
		for off := int64(0); off < size; off += io {
			if n, err := f.Pwrite(t, buf, off); err != nil || int64(n) != io {
				werr = fmt.Errorf("engine pwrite at %d: %d bytes, %v", off, n, err)
				break
			}
		}
		res.seconds = time.Since(start).Seconds()
		st := &f.IomapInode().Stats
		res.remaps = st.Remaps.Load()
		res.invalid, res.wbInvalid = st.Invalid.Load(), st.WBInvalid.Load()
	})
	if !lr.OK() {
		return res, fmt.Errorf("engine write: %s", lr)
	}
	return res, werr
}

// prefaultDev touches the memory device's first size bytes, so that
// writeback does not measure first-touch page faults.
func prefaultDev(t *lab.Thread, dev *blockdev.Device, size int64) error {
	buf := make([]byte, 1<<20)
	for off := int64(0); off < size; off += int64(len(buf)) {
		if err := dev.WriteRaw(t, uint64(off/blockdev.BlockSize), buf); err != nil {
			return fmt.Errorf("prefault device: %w", err)
		}
	}
	return nil
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
	dir, why := tmpfsDir(size)
	configs := []struct {
		what     string
		opts     xfs.Options
		prefault bool
	}{
		{"engine", xfs.Options{}, true},
		{"engine, no ->iomap_valid", xfs.Options{NoIomapValid: true}, true},
		{"engine, fresh memory", xfs.Options{}, false},
		{"engine, 2 MiB folios", xfs.Options{FolioSize: 2 << 20}, true},
		{"engine + flusher", xfs.Options{Flusher: true}, true},
	}
	// One run measures every side in turn (memcpy, tmpfs, each engine
	// configuration), so that load changing during the run hits all of
	// them alike. Per engine configuration: MiB/s, remaps, write-side and
	// writeback stale verdicts per GiB.
	s, err := repeat(runs, 2+4*len(configs), b.progress, "write", func() ([]float64, error) {
		runtime.GC() // no background GC of the previous run's page cache
		out := []float64{mibps(size, Memcpy(dst, io)), 0}
		if dir != "" {
			runtime.GC()
			sec, err := TmpfsPwrite(dir, size, io)
			if err != nil {
				return nil, err
			}
			out[1] = mibps(size, sec)
		}
		for _, c := range configs {
			r, err := EngineWrite(size, io, c.opts, c.prefault)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", c.what, err)
			}
			out = append(out, mibps(size, r.seconds), float64(r.remaps)/gib,
				float64(r.invalid)/gib, float64(r.wbInvalid)/gib)
		}
		return out, nil
	})
	if err != nil {
		return err
	}
	mc := &s[0]
	var tmpfs *Stat
	if dir != "" {
		tmpfs = &s[1]
	}
	e := func(i, k int) *Stat { return &s[2+4*i+k] }
	eng, engRemaps, raw, cold, large, fl, flRemaps := e(0, 0), e(0, 1), e(1, 0), e(2, 0), e(3, 0), e(4, 0), e(4, 1)

	b.add(&Figure{Group: "write", Name: "engine buffered write", Unit: "MiB/s", Value: eng,
		Baseline: "memcpy into pre-touched memory", Base: mc, Note: label})
	b.add(&Figure{Group: "write", Name: "engine buffered write vs tmpfs", Unit: "MiB/s", Value: eng,
		Baseline: "kernel tmpfs pwrite (" + dir + ")", Base: tmpfs, BaseMissing: why, Note: label})
	b.add(&Figure{Group: "write", Name: "engine, no validity check", Unit: "MiB/s", Value: raw,
		Baseline: "engine buffered write (check on)", Base: eng, Note: "xfs.Options.NoIomapValid: no ->iomap_valid call at all"})
	b.add(&Figure{Group: "write", Name: "engine, fresh memory", Unit: "MiB/s", Value: cold,
		Baseline: "engine buffered write (prefaulted)", Base: eng, Note: "page cache buffers not prefaulted: first-touch faults included"})
	b.add(&Figure{Group: "write", Name: "engine, 2 MiB folios", Unit: "MiB/s", Value: large,
		Baseline: "engine buffered write (4 KiB folios)", Base: eng, Note: "large folios, as XFS uses on 6.18"})
	b.add(&Figure{Group: "write", Name: "engine + concurrent flusher", Unit: "MiB/s", Value: fl,
		Baseline: "engine buffered write (no flusher)", Base: eng, Note: "xfs.Options.Flusher: WB_SYNC_NONE writeback daemon woken by every dirtying"})
	b.add(&Figure{Group: "write", Name: "remaps with flusher", Unit: "remaps/GiB", Value: flRemaps,
		Baseline: "remaps without flusher", Base: engRemaps,
		Note: fmt.Sprintf("medians per GiB: write-side stale verdicts %s, writeback stale verdicts %s",
			num(e(4, 2).Median), num(e(4, 3).Median))})
	b.chart("write", "buffered write throughput: "+label, "MiB/s",
		bar("memcpy", mc), bar("tmpfs pwrite", tmpfs), bar("engine", eng),
		bar("engine, no check", raw), bar("engine, fresh mem", cold), bar("engine, 2M folios", large),
		bar("engine + flusher", fl))
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
