package xfs

import (
	"fmt"
	"os"
	"strconv"
	"testing"

	"pgregory.net/rapid"

	"iomaplab/check"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// propOp is one vfs operation of the property test.
type propOp struct {
	kind  string
	off   int64
	n     int64
	fill  byte
	mode  vfs.FallocMode
	fault int64 // pwrite: FaultAt, or NoOffset
}

func (o propOp) String() string {
	switch o.kind {
	case "pwrite":
		return fmt.Sprintf("pwrite %d %d fill=%#x fault-at=%d", o.off, o.n, o.fill, o.fault)
	case "fallocate":
		return fmt.Sprintf("fallocate %v %d %d", o.mode, o.off, o.n)
	case "map-store":
		return fmt.Sprintf("map-store %d %d fill=%#x", o.off, o.n, o.fill)
	}
	return fmt.Sprintf("%s %d %d", o.kind, o.off, o.n)
}

const propMaxFile = 192 << 10

var propKinds = []string{"pwrite", "pwrite", "pwrite", "pread", "map-store", "map-store", "map-load",
	"fallocate", "fallocate", "truncate", "fsync", "sync-range", "fadvise", "reclaim", "drop-caches", "remount"}

func drawOp(rt *rapid.T) propOp {
	o := propOp{kind: rapid.SampledFrom(propKinds).Draw(rt, "kind"), fault: vfs.NoOffset}
	// Offsets cluster on block boundaries with some unaligned ones.
	off := func(label string) int64 {
		b := rapid.Int64Range(0, propMaxFile/bs-1).Draw(rt, label)
		if rapid.IntRange(0, 3).Draw(rt, label+"-unaligned") == 0 {
			return b*bs + rapid.Int64Range(1, bs-1).Draw(rt, label+"-byte")
		}
		return b * bs
	}
	length := func(label string) int64 {
		if rapid.Bool().Draw(rt, label+"-short") {
			return rapid.Int64Range(1, 2*bs).Draw(rt, label)
		}
		return rapid.Int64Range(1, 12*bs).Draw(rt, label)
	}
	o.off, o.n = off("off"), length("len")
	o.n = min(o.n, propMaxFile-o.off)
	o.fill = rapid.Byte().Draw(rt, "fill")
	switch o.kind {
	case "pwrite":
		if rapid.IntRange(0, 7).Draw(rt, "faults") == 0 {
			o.fault = rapid.Int64Range(0, o.n-1).Draw(rt, "fault-at")
		}
	case "fallocate":
		o.mode = vfs.FallocMode(rapid.IntRange(0, 4).Draw(rt, "mode"))
	case "truncate":
		o.off = rapid.Int64Range(0, propMaxFile).Draw(rt, "size")
	}
	return o
}

// propOps is the property test's op budget per folio size (IOMAPLAB_PROP_OPS).
func propOps() int {
	if s := os.Getenv("IOMAPLAB_PROP_OPS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			return n
		}
	}
	return 10000
}

// coverage sums the transition counters over every run.
type coverage struct {
	holeToDelalloc, delallocToUnwritten, unwrittenToWritten int64
	punch, zero, truncDown, truncUp, reclaim, wrprotMkwrite int64
	stale, remounts                                         int64
}

func (c *coverage) add(fs *FS, t *lab.Thread) {
	s := &fs.Stats
	c.holeToDelalloc += s.HoleToDelalloc.Load()
	c.delallocToUnwritten += s.DelallocToUnwritten.Load()
	c.unwrittenToWritten += s.UnwrittenToWritten.Load()
	c.punch += s.Punch.Load()
	c.zero += s.Zero.Load()
	c.truncDown += s.TruncDown.Load()
	c.truncUp += s.TruncUp.Load()
	c.reclaim += s.Reclaimed.Load()
	c.remounts += s.Remounts.Load()
	for _, ip := range fs.Inodes(t) {
		c.wrprotMkwrite += ip.io.Stats.MkwriteAfterWB.Load()
	}
}

func (c *coverage) missing() []string {
	var out []string
	for _, x := range []struct {
		name string
		n    int64
	}{
		{"hole->delalloc", c.holeToDelalloc}, {"delalloc->unwritten", c.delallocToUnwritten},
		{"unwritten->written", c.unwrittenToWritten}, {"punch", c.punch}, {"zero", c.zero},
		{"truncate down", c.truncDown}, {"truncate up", c.truncUp}, {"reclaim", c.reclaim},
		{"write-protect -> page_mkwrite", c.wrprotMkwrite}, {"remount", c.remounts},
	} {
		if x.n == 0 {
			out = append(out, x.name)
		}
	}
	return out
}

// runOps applies ops to a fresh model and the reference, checking data, size
// and the fsck oracles after every op; it returns the first failure.
func runOps(ops []propOp, folio int64, cov *coverage) (failure error) {
	w := lab.NewFree()
	res := w.Run(func(t *lab.Thread) {
		fs := Mount(t, newDev(), Options{FolioSize: folio})
		f := fs.OpenInode(t, "f")
		var ref check.RefFile
		defer cov.add(fs, t)
		for i, o := range ops {
			if err := applyOp(t, fs, f, &ref, o); err != nil {
				failure = fmt.Errorf("op %d (%v): %w", i, o, err)
				return
			}
			got := readAll(t, nopTB{}, f)
			if m := ref.Compare(got); m != nil {
				failure = fmt.Errorf("op %d (%v): %v", i, o, m)
				return
			}
			if err := fs.Check(t); err != nil {
				failure = fmt.Errorf("op %d (%v): %w", i, o, err)
				return
			}
			if o.kind == "remount" {
				if err := fs.CheckCleared(t); err != nil {
					failure = fmt.Errorf("op %d (%v): %w", i, o, err)
					return
				}
			}
		}
	})
	if !res.OK() && failure == nil {
		failure = fmt.Errorf("run: %v", res)
	}
	return failure
}

// applyOp performs o on the model and on the reference.
func applyOp(t *lab.Thread, fs *FS, f *Inode, ref *check.RefFile, o propOp) error {
	size := ref.Size()
	switch o.kind {
	case "pwrite":
		data := fill(o.fill, int(o.n))
		n, err := f.Pwrite(t, vfs.Buffer{Data: data, StallAt: vfs.NoOffset, FaultAt: o.fault}, o.off)
		want := o.n
		if o.fault != vfs.NoOffset {
			want = o.fault
		}
		if int64(n) > want || (err == nil) != (int64(n) == o.n) {
			return fmt.Errorf("pwrite returned %d, %v", n, err)
		}
		if n > 0 {
			if o.off > size {
				ref.Extend(o.off)
			}
			ref.Write(data[:n], o.off)
		}
	case "pread":
		p := make([]byte, o.n)
		n, err := f.Pread(t, p, o.off)
		if err != nil {
			return err
		}
		if m := ref.CompareRange(p[:n], o.off, size); m != nil {
			return m
		}
		if want := max(0, min(o.off+o.n, size)-o.off); int64(n) != want {
			return fmt.Errorf("pread returned %d, want %d", n, want)
		}
	case "map-store", "map-load":
		if size == 0 {
			return nil
		}
		off := o.off % size
		n := min(o.n, size-off)
		if o.kind == "map-store" {
			data := fill(o.fill, int(n))
			if err := f.MapStore(t, data, off); err != nil {
				return err
			}
			ref.Write(data, off)
			return nil
		}
		p := make([]byte, n)
		if err := f.MapLoad(t, p, off); err != nil {
			return err
		}
		if m := ref.CompareRange(p, off, size); m != nil {
			return m
		}
	case "fallocate":
		if err := f.Fallocate(t, o.mode, o.off, o.n); err != nil {
			return err
		}
		switch o.mode {
		case vfs.FallocAllocate:
			ref.Extend(o.off + o.n)
		case vfs.FallocPunch:
			ref.Zero(o.off, o.n, false)
		case vfs.FallocZero:
			ref.Zero(o.off, o.n, true)
		case vfs.FallocZeroKeepSize:
			ref.Zero(o.off, o.n, false)
		}
	case "truncate":
		if err := f.Truncate(t, o.off); err != nil {
			return err
		}
		ref.Truncate(o.off)
	case "fsync":
		return f.Fsync(t)
	case "sync-range":
		return f.SyncRange(t, o.off, o.n)
	case "fadvise":
		return f.FadviseDontneed(t, o.off, o.n)
	case "reclaim":
		return f.Reclaim(t, o.off, o.n)
	case "drop-caches":
		return fs.DropCaches(t)
	case "remount":
		return fs.Remount(t)
	default:
		panic(o.kind)
	}
	return nil
}

// nopTB swallows readAll's reports; runOps compares itself.
type nopTB struct{ testing.TB }

func (nopTB) Errorf(string, ...any) {}

func TestPropertySequences(t *testing.T) {
	total := propOps()
	if raceEnabled && os.Getenv("IOMAPLAB_PROP_OPS") == "" {
		total /= 5 // the race detector makes each op ~10x slower
	}
	for _, folio := range []int64{4096, 64 << 10, 2 << 20} {
		t.Run(fmt.Sprintf("folio=%d", folio), func(t *testing.T) {
			var cov coverage
			// rapid runs 100 sequences by default (-rapid.checks): size
			// them so that the run totals about IOMAPLAB_PROP_OPS ops.
			perSeq := max(2, total/100)
			ran := 0
			rapid.Check(t, func(rt *rapid.T) {
				ops := rapid.SliceOfN(rapid.Custom(drawOp), perSeq, perSeq*3/2).Draw(rt, "ops")
				ran += len(ops)
				if err := runOps(ops, folio, &cov); err != nil {
					rt.Fatal(err)
				}
			})
			if t.Failed() {
				return
			}
			if m := cov.missing(); len(m) > 0 {
				t.Errorf("transitions never exercised: %v", m)
			}
			t.Logf("%d ops; coverage: %+v", ran, cov)
		})
	}
}
