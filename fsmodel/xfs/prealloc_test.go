package xfs

import (
	"bytes"
	"testing"

	"iomaplab/blockdev"
	"iomaplab/extent"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// delallocPastEOF is the number of delalloc blocks of f past its EOF block.
func delallocPastEOF(t *lab.Thread, f *Inode) uint64 {
	var n uint64
	eof := uint64(roundUp(f.io.Size()) / bs)
	for _, e := range f.Extents(t) {
		if e.State == extent.Delalloc && e.End > eof {
			n += e.End - max(e.Start, eof)
		}
	}
	return n
}

// blocksPastEOF is the number of mapped (delalloc or real) blocks of f
// past its EOF block.
func blocksPastEOF(t *lab.Thread, f *Inode) uint64 {
	var n uint64
	eof := uint64(roundUp(f.io.Size()) / bs)
	for _, e := range f.Extents(t) {
		if e.State != extent.Hole && e.End > eof {
			n += e.End - max(e.Start, eof)
		}
	}
	return n
}

// Speculative preallocation as Linux 6.18 sizes it: none while the file is
// smaller than 64k, then twice the extent before the write, aligned to
// 64k; trimmed at eviction (remount), with every reservation returned.
func TestPreallocSizesAndTrim(t *testing.T) {
	mustOK(t, lab.NewFree().Run(func(lt *lab.Thread) {
		fs := Mount(lt, blockdev.NewMemory(4096), Options{})
		f := fs.OpenInode(lt, "f")
		if _, err := f.Pwrite(lt, vfs.Plain(fill('a', 64<<10)), 0); err != nil {
			t.Fatal(err)
		}
		if n := delallocPastEOF(lt, f); n != 0 {
			t.Fatalf("a write to an empty file preallocated %d blocks (a file under 64k gets none)", n)
		}
		if _, err := f.Pwrite(lt, vfs.Plain(fill('b', 4<<10)), 64<<10); err != nil {
			t.Fatal(err)
		}
		// Extent before the write: 16 delalloc blocks -> 32, from block 16
		// (64k-aligned last byte) to 48; the write itself ends at 17.
		if n := delallocPastEOF(lt, f); n != 31 {
			t.Fatalf("delalloc past EOF after an extending write: %d blocks, want 31 (extents %v)", n, f.Extents(lt))
		}
		if got := fs.Stats.Prealloc.Load(); got != 31 {
			t.Errorf("Stats.Prealloc = %d, want 31", got)
		}
		if err := fs.Check(lt); err != nil {
			t.Fatal(err)
		}
		// The next extending write lands in the preallocation: no new
		// reservation, no new preallocation.
		if _, err := f.Pwrite(lt, vfs.Plain(fill('c', 4<<10)), 68<<10); err != nil {
			t.Fatal(err)
		}
		if got := fs.Stats.Prealloc.Load(); got != 31 {
			t.Errorf("a write into the preallocation preallocated again: Stats.Prealloc = %d", got)
		}
		if n := delallocPastEOF(lt, f); n != 30 {
			t.Errorf("delalloc past EOF: %d blocks, want 30", n)
		}
		// Reads stop at EOF.
		p := make([]byte, 64<<10)
		if n, _ := f.Pread(lt, p, 72<<10); n != 0 {
			t.Errorf("read at EOF returned %d bytes", n)
		}
		if err := fs.Remount(lt); err != nil {
			t.Fatal(err)
		}
		if n := blocksPastEOF(lt, f); n != 0 {
			t.Errorf("%d blocks past EOF after eviction (extents %v)", n, f.Extents(lt))
		}
		if fs.Stats.EOFBlocksFreed.Load() == 0 {
			t.Error("eviction freed no post-EOF blocks")
		}
		if err := fs.CheckCleared(lt); err != nil {
			t.Error(err)
		}
		want := append(append(fill('a', 64<<10), fill('b', 4<<10)...), fill('c', 4<<10)...)
		if got := readAll(lt, t, f); !bytes.Equal(got, want) {
			t.Error("data differs after remount")
		}
	}))
}

// The preallocation grows with the file: after a run of extending writes
// and fsyncs, the next preallocation is twice the written extent.
func TestPreallocGrowsWithFile(t *testing.T) {
	mustOK(t, lab.NewFree().Run(func(lt *lab.Thread) {
		fs := Mount(lt, blockdev.NewMemory(4096), Options{})
		f := fs.OpenInode(lt, "f")
		if _, err := f.Pwrite(lt, vfs.Plain(fill('a', 256<<10)), 0); err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(lt, 256<<10); err != nil {
			t.Fatal(err)
		}
		if err := f.Fsync(lt); err != nil {
			t.Fatal(err)
		}
		// One written extent of 64 blocks ends at the write: 128 blocks
		// from the aligned block 64.
		if _, err := f.Pwrite(lt, vfs.Plain(fill('b', 1)), 256<<10); err != nil {
			t.Fatal(err)
		}
		if n := delallocPastEOF(lt, f); n != 127 {
			t.Errorf("delalloc past EOF: %d blocks, want 127 (extents %v)", n, f.Extents(lt))
		}
		// A write after a hole past EOF gets the minimum (64k) only.
		g := fs.OpenInode(lt, "g")
		if err := g.Truncate(lt, 1<<20); err != nil {
			t.Fatal(err)
		}
		if _, err := g.Pwrite(lt, vfs.Plain(fill('c', 1)), 2<<20); err != nil {
			t.Fatal(err)
		}
		if n := delallocPastEOF(lt, g); n != 15 {
			t.Errorf("g: delalloc past EOF after a hole: %d blocks, want 15 (extents %v)", n, g.Extents(lt))
		}
		if err := fs.Remount(lt); err != nil {
			t.Fatal(err)
		}
		if err := fs.CheckCleared(lt); err != nil {
			t.Error(err)
		}
	}))
}

// allocsize=4k turns speculative preallocation off; allocsize=1m fixes it
// at 1 MiB, also for small files: the first 4k write reserves blocks
// [0, 256), and the 31 writes after it land inside that reservation.
func TestPreallocAllocSize(t *testing.T) {
	for _, tc := range []struct {
		allocsize int64
		want      uint64
	}{{4096, 0}, {1 << 20, 256 - 32}} {
		mustOK(t, lab.NewFree().Run(func(lt *lab.Thread) {
			fs := Mount(lt, blockdev.NewMemory(4096), Options{AllocSize: tc.allocsize})
			f := fs.OpenInode(lt, "f")
			for off := int64(0); off < 128<<10; off += 4 << 10 {
				if _, err := f.Pwrite(lt, vfs.Plain(fill('a', 4<<10)), off); err != nil {
					t.Fatal(err)
				}
			}
			if n := delallocPastEOF(lt, f); n != tc.want {
				t.Errorf("allocsize=%d: delalloc past EOF %d blocks, want %d (extents %v)", tc.allocsize, n, tc.want, f.Extents(lt))
			}
			if err := fs.Remount(lt); err != nil {
				t.Fatal(err)
			}
			if err := fs.CheckCleared(lt); err != nil {
				t.Error(err)
			}
		}))
	}
}

// Free space throttles the preallocation: on a nearly full device the
// preallocation shrinks and never takes the last free blocks.
func TestPreallocThrottledByFreeSpace(t *testing.T) {
	mustOK(t, lab.NewFree().Run(func(lt *lab.Thread) {
		fs := Mount(lt, blockdev.NewMemory(1024), Options{})
		f := fs.OpenInode(lt, "f")
		// 1000 of 1024 blocks used: 24 free, under 3% (30 blocks).
		if err := f.Fallocate(lt, vfs.FallocAllocate, 0, 1000*bs); err != nil {
			t.Fatal(err)
		}
		g := fs.OpenInode(lt, "g")
		if _, err := g.Pwrite(lt, vfs.Plain(fill('a', 64<<10)), 0); err != nil {
			t.Fatal(err)
		}
		if err := g.Fsync(lt); err != nil {
			t.Fatal(err)
		}
		// 8 free blocks: 16 blocks before the write -> 32, shifted by
		// 2+1+1+1 = 5 -> 1, then the 64k minimum (16), which the retry
		// without preallocation drops when the space is not there.
		if _, err := g.Pwrite(lt, vfs.Plain(fill('b', 4<<10)), 64<<10); err != nil {
			t.Fatal(err)
		}
		if n := delallocPastEOF(lt, g); n != 0 {
			t.Errorf("delalloc past EOF on a full device: %d blocks (extents %v)", n, g.Extents(lt))
		}
		if err := fs.Check(lt); err != nil {
			t.Error(err)
		}
	}))
}

// Zeroing over preallocated delalloc past EOF: extending the file (a write
// past EOF, a truncate up) converts the delalloc past the EOF block to
// unwritten blocks instead of dirtying folios past EOF, so the gap reads
// zeroes, before and after a remount.
func TestPreallocExtendOverDelalloc(t *testing.T) {
	for _, op := range []string{"pwrite", "truncate"} {
		mustOK(t, lab.NewFree().Run(func(lt *lab.Thread) {
			fs := Mount(lt, blockdev.NewMemory(4096), Options{})
			f := fs.OpenInode(lt, "f")
			if _, err := f.Pwrite(lt, vfs.Plain(fill('a', 64<<10)), 0); err != nil {
				t.Fatal(err)
			}
			if _, err := f.Pwrite(lt, vfs.Plain(fill('b', 100)), 64<<10); err != nil {
				t.Fatal(err)
			}
			if delallocPastEOF(lt, f) == 0 {
				t.Fatal("no preallocation to zero over")
			}
			switch op {
			case "pwrite":
				_, err := f.Pwrite(lt, vfs.Plain(fill('c', 10)), 100<<10)
				if err != nil {
					t.Fatal(err)
				}
			case "truncate":
				if err := f.Truncate(lt, 100<<10+10); err != nil {
					t.Fatal(err)
				}
			}
			if fs.Stats.ZeroConvertDelay.Load() == 0 {
				t.Errorf("%s: zeroing did not convert the delalloc past EOF (extents %v)", op, f.Extents(lt))
			}
			want := append(fill('a', 64<<10), fill('b', 100)...)
			want = append(want, make([]byte, 100<<10-len(want))...)
			if op == "pwrite" {
				want = append(want, fill('c', 10)...)
			} else {
				want = append(want, make([]byte, 10)...)
			}
			for _, when := range []string{"before", "after"} {
				if got := readAll(lt, t, f); !bytes.Equal(got, want) {
					t.Errorf("%s: data %s remount differs", op, when)
				}
				if err := fs.Remount(lt); err != nil {
					t.Fatal(err)
				}
			}
			if err := fs.CheckCleared(lt); err != nil {
				t.Error(err)
			}
		}))
	}
}

// XFS_DIFLAG_PREALLOC: a file fallocate was used on keeps its real blocks
// past EOF at eviction and loses only its delalloc there.
func TestFreeEOFBlocksKeepsFallocated(t *testing.T) {
	mustOK(t, lab.NewFree().Run(func(lt *lab.Thread) {
		fs := Mount(lt, blockdev.NewMemory(4096), Options{})
		f := fs.OpenInode(lt, "f")
		if err := f.Fallocate(lt, vfs.FallocKeepSize, 0, 256<<10); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Pwrite(lt, vfs.Plain(fill('a', 4<<10)), 0); err != nil {
			t.Fatal(err)
		}
		if err := fs.Remount(lt); err != nil {
			t.Fatal(err)
		}
		if n := blocksPastEOF(lt, f); n != 63 {
			t.Errorf("fallocated blocks past EOF after eviction: %d, want 63 (extents %v)", n, f.Extents(lt))
		}
		if err := fs.CheckCleared(lt); err != nil {
			t.Error(err)
		}
	}))
}
