package xfs

import (
	"strings"
	"sync/atomic"
	"testing"

	"iomaplab/blockdev"
	"iomaplab/check"
	"iomaplab/extent"
	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// withFile runs fn on a freshly mounted model holding a 16 KiB file that
// has been written back, so its blocks are allocated and written.
func withFile(t *testing.T, v variant.Variant, fn func(lt *lab.Thread, fs *FS, f *Inode, ref *check.RefFile)) *lab.Result {
	w := controlled(1)
	return w.Run(func(lt *lab.Thread) {
		fs := Mount(lt, newDev(), Options{Variant: v})
		f := fs.OpenInode(lt, "f")
		var ref check.RefFile
		data := fill(0x41, 16<<10)
		if _, err := f.Pwrite(lt, vfs.Plain(data), 0); err != nil {
			t.Fatalf("pwrite: %v", err)
		}
		ref.Write(data, 0)
		if err := f.Fsync(lt); err != nil {
			t.Fatalf("fsync: %v", err)
		}
		if err := fs.Check(lt); err != nil {
			t.Fatalf("clean model fails fsck: %v", err)
		}
		fn(lt, fs, f, &ref)
	})
}

func firstWritten(t *testing.T, lt *lab.Thread, f *Inode) extent.Extent {
	for _, e := range f.Extents(lt) {
		if e.State == extent.Written {
			return e
		}
	}
	t.Fatal("no written extent")
	return extent.Extent{}
}

func TestOracleCatchesCorruptBlock(t *testing.T) {
	mustOK(t, withFile(t, variant.Correct, func(lt *lab.Thread, fs *FS, f *Inode, ref *check.RefFile) {
		e := firstWritten(t, lt, f)
		if err := fs.dev.(interface {
			WriteRaw(*lab.Thread, uint64, []byte) error
		}).WriteRaw(lt, e.PBlk+1, fill(0xee, bs)); err != nil {
			t.Fatal(err)
		}
		if err := fs.Remount(lt); err != nil {
			t.Fatal(err)
		}
		m := ref.Compare(readAll(lt, t, f))
		if m == nil || m.Off != bs {
			t.Errorf("data oracle missed a corrupted block: %v", m)
		}
	}))
}

func TestOracleCatchesLeakedReservation(t *testing.T) {
	mustOK(t, withFile(t, variant.Correct, func(lt *lab.Thread, fs *FS, f *Inode, ref *check.RefFile) {
		if err := fs.Space().Reserve(lt, 1); err != nil {
			t.Fatal(err)
		}
		if err := fs.Check(lt); err == nil || !strings.Contains(err.Error(), "reservations") {
			t.Errorf("reservation oracle missed a leak: %v", err)
		}
		if err := fs.Remount(lt); err != nil {
			t.Fatal(err)
		}
		if err := fs.CheckCleared(lt); err == nil {
			t.Error("reservations-cleared oracle missed a leak after sync and evict")
		}
	}))
}

func TestOracleCatchesDoubleOwnedBlock(t *testing.T) {
	mustOK(t, withFile(t, variant.Correct, func(lt *lab.Thread, fs *FS, f *Inode, ref *check.RefFile) {
		e := firstWritten(t, lt, f)
		fs.dev.Own(lt, e.PBlk, 1, 99, 0)
		err := fs.Check(lt)
		if err == nil || !strings.Contains(err.Error(), "block ownership") {
			t.Errorf("ownership oracle missed a double-owned block: %v", err)
		}
	}))
}

// A delalloc extent left behind inside EOF at eviction is
// reserved_not_cleared (past EOF, xfs_free_eofblocks would trim it).
func TestOracleCatchesDelallocAtEviction(t *testing.T) {
	mustOK(t, withFile(t, variant.Correct, func(lt *lab.Thread, fs *FS, f *Inode, ref *check.RefFile) {
		if err := f.Truncate(lt, 1<<20); err != nil {
			t.Fatal(err)
		}
		// Behind the model's back: delalloc with no dirty page cache over it.
		f.ilock.Lock(lt)
		if err := fs.space.Reserve(lt, 2); err != nil {
			t.Fatal(err)
		}
		f.df.Set(extent.Extent{Range: extent.Range{Start: 100, End: 102}, State: extent.Delalloc})
		f.ilock.Unlock(lt)
		if err := fs.Check(lt); err != nil {
			t.Fatalf("accounted delalloc is not an fsck error: %v", err)
		}
		if err := fs.Remount(lt); err != nil {
			t.Fatal(err)
		}
		if err := fs.CheckCleared(lt); err == nil || !strings.Contains(err.Error(), "reserved_not_cleared") {
			t.Errorf("reservations-cleared oracle missed orphaned delalloc: %v", err)
		}
	}))
}

// cookie-before-insert makes every fresh delalloc mapping stale at its
// first folio: the protocol oracle fails the run.
func TestProtocolOracleCatchesCookieBeforeInsert(t *testing.T) {
	for _, v := range []variant.Variant{variant.Correct, variant.CookieBeforeInsert} {
		w := controlled(1)
		res := w.Run(func(lt *lab.Thread) {
			fs := Mount(lt, newDev(), Options{Variant: v})
			f := fs.OpenInode(lt, "f")
			if _, err := f.Pwrite(lt, vfs.Plain(fill(1, 8<<10)), 0); err != nil {
				t.Errorf("pwrite: %v", err)
			}
		})
		caught := res.Outcome == lab.Failed && strings.Contains(res.Message, "protocol")
		if caught != (v == variant.CookieBeforeInsert) {
			t.Errorf("%v: %v", v, res)
		}
	}
}

// In free mode the I/O completion daemon converts extents concurrently
// with the writer's lockless validity checks: the protocol oracle must not
// call those stale verdicts spurious (it did, before it confirmed under
// ILOCK).
func TestProtocolOracleFreeMode(t *testing.T) {
	size := int64(64 << 20)
	if raceEnabled {
		size = 16 << 20
	}
	for range 2 {
		res := lab.NewFree().Run(func(lt *lab.Thread) {
			fs := Mount(lt, blockdev.NewMemory(uint64(size/bs)+1024), Options{})
			f := fs.OpenInode(lt, "f")
			if err := f.Fallocate(lt, vfs.FallocAllocate, 0, size); err != nil {
				t.Error(err)
				return
			}
			var stop atomic.Bool
			var g group
			g.Go(lt, "flusher", func(lt *lab.Thread) {
				for !stop.Load() {
					_ = f.SyncRange(lt, 0, 0)
				}
			})
			for off := int64(0); off < size; off += 64 << 10 {
				if _, err := f.Pwrite(lt, vfs.Plain(fill(1, 64<<10)), off); err != nil {
					t.Error(err)
					break
				}
			}
			stop.Store(true)
			g.Wait(lt)
			if err := fs.Check(lt); err != nil {
				t.Error(err)
			}
		})
		mustOK(t, res)
	}
}
