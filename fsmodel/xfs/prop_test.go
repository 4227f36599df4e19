package xfs

import (
	"fmt"
	"testing"

	"iomaplab/check"
	"iomaplab/internal/vfstest"
	"iomaplab/lab"
)

// propGen draws the property test's operations.
var propGen = vfstest.Gen{
	Kinds: []string{"pwrite", "pwrite", "pwrite", "pread", "map-store", "map-store", "map-load",
		"fallocate", "fallocate", "truncate", "fsync", "sync-range", "fadvise", "reclaim", "drop-caches", "remount", "clone"},
	BlockSize: bs,
	MaxFile:   192 << 10,
	MaxLen:    12 * bs,
}

// coverage sums the transition counters over every run.
type coverage struct {
	holeToDelalloc, delallocToUnwritten, unwrittenToWritten int64
	punch, zero, truncDown, truncUp, reclaim, wrprotMkwrite int64
	stale, remounts                                         int64
	reflinks, cowReserved, cowRemapped                      int64
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
	c.reflinks += s.Reflinks.Load()
	c.cowReserved += s.CowReserved.Load()
	c.cowRemapped += s.CowRemapped.Load()
	for _, ip := range fs.Inodes(t) {
		c.wrprotMkwrite += ip.io.Stats.MkwriteAfterWB.Load()
	}
}

func (c *coverage) Missing() []string {
	var out []string
	for _, x := range []struct {
		name string
		n    int64
	}{
		{"hole->delalloc", c.holeToDelalloc}, {"delalloc->unwritten", c.delallocToUnwritten},
		{"unwritten->written", c.unwrittenToWritten}, {"punch", c.punch}, {"zero", c.zero},
		{"truncate down", c.truncDown}, {"truncate up", c.truncUp}, {"reclaim", c.reclaim},
		{"write-protect -> page_mkwrite", c.wrprotMkwrite}, {"remount", c.remounts},
		{"reflink", c.reflinks}, {"COW reservation", c.cowReserved}, {"COW remap", c.cowRemapped},
	} {
		if x.n == 0 {
			out = append(out, x.name)
		}
	}
	return out
}

// runOps applies ops to a fresh model and the reference, checking data, size
// and the fsck oracles after every op; it returns the first failure.
func runOps(ops []vfstest.Op, folio int64, cov *coverage) (failure error) {
	w := lab.NewFree()
	res := w.Run(func(t *lab.Thread) {
		fs := Mount(t, newDev(), Options{FolioSize: folio})
		f := fs.OpenInode(t, "f")
		var ref check.RefFile
		defer cov.add(fs, t)
		r := vfstest.Runner{FS: fs, File: f, Ref: &ref, Verify: func(t *lab.Thread, o vfstest.Op) error {
			got := readAll(t, nopTB{}, f)
			if m := ref.Compare(got); m != nil {
				return m
			}
			if err := fs.Check(t); err != nil {
				return err
			}
			if o.Kind == "remount" {
				return fs.CheckCleared(t)
			}
			return nil
		}}
		failure = r.Run(t, ops)
	})
	if !res.OK() && failure == nil {
		failure = fmt.Errorf("run: %v", res)
	}
	return failure
}

// nopTB swallows readAll's reports; runOps compares itself.
type nopTB struct{ testing.TB }

func (nopTB) Errorf(string, ...any) {}

func TestPropertySequences(t *testing.T) {
	total, set := vfstest.Budget(10000)
	if raceEnabled && !set {
		total /= 5 // the race detector makes each op ~10x slower
	}
	for _, folio := range []int64{4096, 64 << 10, 2 << 20} {
		t.Run(fmt.Sprintf("folio=%d", folio), func(t *testing.T) {
			var cov coverage
			vfstest.Property(t, propGen, total, &cov, func(ops []vfstest.Op) error {
				return runOps(ops, folio, &cov)
			})
		})
	}
}
