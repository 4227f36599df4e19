package xfs

import (
	"testing"

	"iomaplab/check"
	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// shortWriteKeepsDirty is generic/346's bug in the model: a write reserves
// NEW delalloc over [0, 16k) of a sparse file and stalls at its second
// chunk; an mmap store dirties folio 2 over that delalloc; the write then
// faults and ends short. Releasing the unused delalloc must keep block 2's,
// or writeback finds a hole under dirty data and the store is lost.
func shortWriteKeepsDirty(t *testing.T, v variant.Variant, seed uint64) bool {
	w := controlled(seed)
	var ref check.RefFile
	var got []byte
	mustOK(t, w.Run(func(lt *lab.Thread) {
		fs := Mount(lt, newDev(), Options{Variant: v})
		f := fs.OpenInode(lt, "f")
		if err := f.Truncate(lt, 16<<10); err != nil {
			t.Errorf("truncate: %v", err)
		}
		ref.Truncate(16 << 10)
		data := fill(0x57, 16<<10)
		var g group
		g.Go(lt, "writer", func(lt *lab.Thread) {
			n, err := f.Pwrite(lt, vfs.Buffer{Data: data, StallAt: 4096, FaultAt: 4096}, 0)
			if n != 4096 || err == nil {
				t.Errorf("writer: %d, %v; want a 4096-byte short write", n, err)
			}
		})
		g.Go(lt, "mapper", func(lt *lab.Thread) {
			lt.AwaitParked("writer")
			if err := f.MapStore(lt, fill(0x6d, 8), 8<<10); err != nil {
				t.Errorf("map-store: %v", err)
			}
			lt.Release("writer")
		})
		g.Wait(lt)
		ref.Write(data[:4096], 0)
		ref.Write(fill(0x6d, 8), 8<<10)
		if err := fs.Remount(lt); err != nil {
			t.Errorf("remount: %v", err)
		}
		got = readAll(lt, t, f)
		if err := fs.CheckCleared(lt); err != nil {
			t.Errorf("check: %v", err)
		}
	}))
	return ref.Compare(got) == nil
}

func TestShortWriteKeepsDirtyDelalloc(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		if !shortWriteKeepsDirty(t, variant.Correct, seed) {
			t.Fatalf("correct, seed %d: data lost", seed)
		}
		if shortWriteKeepsDirty(t, variant.PunchIgnoresDirty, seed) {
			t.Fatalf("punch-ignores-dirty, seed %d: mutant escaped", seed)
		}
	}
}

// zeroDirtyUnwritten: zeroing part of a block whose unwritten extent lies
// under dirty page cache must flush, remap and zero the folio.
func zeroDirtyUnwritten(t *testing.T, v variant.Variant) bool {
	var ref check.RefFile
	var got []byte
	mustOK(t, lab.NewFree().Run(func(lt *lab.Thread) {
		fs := Mount(lt, newDev(), Options{Variant: v})
		f := fs.OpenInode(lt, "f")
		_ = f.Fallocate(lt, vfs.FallocAllocate, 0, 8<<10)
		_, _ = f.Pwrite(lt, vfs.Plain(fill(0xaa, 8<<10)), 0)
		_ = f.Fallocate(lt, vfs.FallocZeroKeepSize, 100, 200)
		ref.Write(fill(0xaa, 8<<10), 0)
		ref.Zero(100, 200, false)
		_ = fs.Remount(lt)
		got = readAll(lt, t, f)
	}))
	return ref.Compare(got) == nil
}

func TestZeroRangeDirtyUnwritten(t *testing.T) {
	if !zeroDirtyUnwritten(t, variant.Correct) {
		t.Fatal("correct: zero range lost")
	}
	if zeroDirtyUnwritten(t, variant.ZeroSkipsDirtyUnwritten) {
		t.Fatal("zero-skips-dirty-unwritten: mutant escaped")
	}
}
