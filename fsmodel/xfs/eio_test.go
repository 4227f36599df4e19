package xfs

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"iomaplab/blockdev"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// Injected I/O errors surface as EIO from fsync (once) and from reads, and
// leave the model consistent.
func TestEIO(t *testing.T) {
	mustOK(t, lab.NewFree().Run(func(lt *lab.Thread) {
		dev := newDev()
		fs := Mount(lt, dev, Options{})
		f := fs.OpenInode(lt, "f")
		if err := f.Fallocate(lt, vfs.FallocAllocate, 0, 16<<10); err != nil {
			t.Fatal(err)
		}
		e := f.Extents(lt)[0]
		dev.InjectError(lt, e.PBlk+1, blockdev.OpWrite, 1)
		if _, err := f.Pwrite(lt, vfs.Plain(fill(3, 16<<10)), 0); err != nil {
			t.Fatal(err)
		}
		if err := f.Fsync(lt); !errors.Is(err, unix.EIO) {
			t.Errorf("fsync after a failed write: %v, want EIO", err)
		}
		if err := f.Fsync(lt); err != nil {
			t.Errorf("second fsync: %v, want nil (the error is reported once)", err)
		}
		// The failed ioend was not converted: the range still reads as zeroes.
		if _, err := f.Pwrite(lt, vfs.Plain(fill(4, 4<<10)), 16<<10); err != nil {
			t.Fatal(err)
		}
		if err := f.Fsync(lt); err != nil {
			t.Fatal(err)
		}
		if err := f.Reclaim(lt, 0, 0); err != nil {
			t.Fatal(err)
		}
		w := f.Extents(lt)
		dev.InjectError(lt, w[len(w)-1].PBlk, blockdev.OpRead, 1)
		if _, err := f.Pread(lt, make([]byte, 100), 16<<10); !errors.Is(err, unix.EIO) {
			t.Errorf("pread of a failing block: %v, want EIO", err)
		}
		if err := fs.Check(lt); err != nil {
			t.Error(err)
		}
	}))
}
