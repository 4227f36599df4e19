package xfs

import (
	"testing"

	"iomaplab/blockdev"
	"iomaplab/check"
	"iomaplab/lab"
	"iomaplab/pagecache"
	"iomaplab/vfs"
)

// fsyncCloneRace is the sequence behind fsx's write-unowned false alarm
// under correct (4 threads, clones inside a thread's slice racing another
// thread's fsync): fsync of f converts f's COW reservation over [0, 256k)
// at folio 0 and caches that COW mapping, then parks at map_blocks of
// folio 1. A clone onto one block of that range, past the pass's first
// batch, writes the block back through the COW fork (the staging block
// moves to the data fork), drops the folio and frees the block; a pwrite
// dirties the block again, in a new folio, over a new COW reservation (the
// block is shared with g now). 6.18's xfs_imap_valid keeps a COW mapping
// valid while it covers the offset, so what keeps fsync off the freed
// block is writeback_iter: a WB_SYNC_ALL pass writes only the folios it
// tagged TOWRITE when it began. It returns the ownership violations, the
// data and fsck verdicts after a remount, and whether the new folio was
// still dirty when fsync returned.
func fsyncCloneRace(t *testing.T, seed uint64) (violations []blockdev.Violation, dataOK bool, checkErr error, leftDirty bool) {
	w := controlled(seed, lab.Rule{Point: "iomap.wb.map_blocks", Thread: "syncer", Hit: 2, Action: lab.Park})
	var fref, gref check.RefFile
	var fgot, ggot []byte
	res := w.Run(func(lt *lab.Thread) {
		dev := newDev()
		fs := Mount(lt, dev, Options{CowExtSize: 1 << 20})
		f, g := fs.OpenInode(lt, "f"), fs.OpenInode(lt, "g")
		const size = 256 << 10
		const dst = (pagecache.WritebackBatch + 1) * pagecache.PageSize
		old, data, store := fill(0x59, size), fill(0x57, size), fill(0x41, 16)
		if _, err := f.Pwrite(lt, vfs.Plain(old), 0); err != nil {
			t.Errorf("pwrite: %v", err)
		}
		if err := f.Fsync(lt); err != nil {
			t.Errorf("fsync: %v", err)
		}
		if err := g.CloneRange(lt, f, 0, 0, size); err != nil {
			t.Errorf("clone f to g: %v", err)
		}
		gref.Write(old, 0)
		if _, err := f.Pwrite(lt, vfs.Plain(data), 0); err != nil {
			t.Errorf("pwrite: %v", err)
		}
		fref.Write(data, 0)
		var grp group
		grp.Go(lt, "syncer", func(lt *lab.Thread) {
			if err := f.Fsync(lt); err != nil {
				t.Errorf("fsync: %v", err)
			}
		})
		grp.Go(lt, "cloner", func(lt *lab.Thread) {
			lt.AwaitParked("syncer")
			if err := f.CloneRange(lt, g, 0, dst, pagecache.PageSize); err != nil {
				t.Errorf("clone g to f: %v", err)
			}
			fref.Write(old[:pagecache.PageSize], dst)
			if _, err := f.Pwrite(lt, vfs.Plain(store), dst); err != nil {
				t.Errorf("pwrite: %v", err)
			}
			fref.Write(store, dst)
			lt.Release("syncer")
		})
		grp.Wait(lt)
		if fo := f.io.Cache.Lookup(lt, dst); fo != nil {
			leftDirty = fo.Dirty()
		}
		violations = dev.Violations(lt)
		if err := fs.Remount(lt); err != nil {
			t.Errorf("remount: %v", err)
		}
		fgot, ggot = readAll(lt, t, f), readAll(lt, t, g)
		checkErr = fs.CheckCleared(lt)
	})
	mustOK(t, res)
	return violations, fref.Compare(fgot) == nil && gref.Compare(ggot) == nil, checkErr, leftDirty
}

func TestFsyncCloneRace(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		viol, ok, err, dirty := fsyncCloneRace(t, seed)
		if len(viol) > 0 || !ok || err != nil || !dirty {
			t.Fatalf("seed %d: violations %v, data ok %v, check %v, new folio left dirty by fsync %v", seed, viol, ok, err, dirty)
		}
	}
}
