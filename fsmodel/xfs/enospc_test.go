package xfs

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"iomaplab/blockdev"
	"iomaplab/check"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// A full device: writes fail with ENOSPC once the delalloc reservation of a
// whole write cannot be had (as xfs_bmapi_reserve_delalloc does, without
// shrinking the request), what was written survives a remount, and no
// reservation leaks. Speculative preallocation is off (allocsize=4k): with
// it, the third write would reserve the rest of the device past EOF and
// the sixth come back short (TestPreallocThrottledByFreeSpace covers that).
func TestENOSPC(t *testing.T) {
	mustOK(t, lab.NewFree().Run(func(lt *lab.Thread) {
		fs := Mount(lt, blockdev.NewMemory(64), Options{AllocSize: 4096})
		f := fs.OpenInode(lt, "f")
		data := fill(7, 48<<10)
		var ref check.RefFile
		off := int64(0)
		for ; ; off += int64(len(data)) {
			n, err := f.Pwrite(lt, vfs.Plain(data), off)
			if err != nil {
				if !errors.Is(err, unix.ENOSPC) || n != 0 {
					t.Fatalf("pwrite at %d: %d, %v", off, n, err)
				}
				break
			}
			ref.Write(data, off)
		}
		if off != 5*int64(len(data)) {
			t.Errorf("ENOSPC at %d, want after 5 writes of 12 blocks on 64 blocks", off)
		}
		if err := fs.Remount(lt); err != nil {
			t.Fatal(err)
		}
		if m := ref.Compare(readAll(lt, t, f)); m != nil {
			t.Error(m)
		}
		if err := fs.CheckCleared(lt); err != nil {
			t.Error(err)
		}
		if err := f.Fallocate(lt, vfs.FallocKeepSize, 1<<20, 1<<20); !errors.Is(err, unix.ENOSPC) {
			t.Errorf("fallocate past the free space: %v", err)
		}
		if err := fs.Check(lt); err != nil {
			t.Error(err)
		}
	}))
}
