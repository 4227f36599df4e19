package ext4

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"golang.org/x/sys/unix"

	"iomaplab/blockdev"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// ENOSPC: delayed allocation reserves at write (and fault) time, so once
// every block is reserved a write, a page fault on a hole and fallocate all
// fail with ENOSPC; what was reserved still reaches the disk.
func TestENOSPC(t *testing.T) {
	for _, io := range []bool{false, true} {
		run(t, func(th *lab.Thread) {
			fs := New(th, Options{Blocks: 8, IOMAP: io})
			f, _ := fs.Open(th, "f")
			if n, err := f.Pwrite(th, vfs.Plain(bytes.Repeat([]byte{1}, 32<<10)), 0); n != 32<<10 || err != nil {
				th.Fail(fmt.Sprintf("filling pwrite: %d, %v", n, err))
			}
			n, err := f.Pwrite(th, vfs.Plain([]byte{1}), 32<<10)
			if n != 0 || !errors.Is(err, unix.ENOSPC) {
				th.Fail(fmt.Sprintf("iomap=%v pwrite: %d, %v; want 0 and ENOSPC", io, n, err))
			}
			if err := f.MapStore(th, []byte{2}, 100); err != nil {
				th.Fail("map store over a reserved block: " + err.Error())
			}
			if err := f.Fsync(th); err != nil {
				th.Fail(err.Error())
			}
			g, _ := fs.Open(th, "g")
			if err := g.Fallocate(th, vfs.FallocAllocate, 0, 4096); !errors.Is(err, unix.ENOSPC) {
				th.Fail("fallocate on a full device succeeded")
			}
			if err := g.Truncate(th, 4096); err != nil {
				th.Fail(err.Error())
			}
			if err := g.MapStore(th, []byte{3}, 0); !errors.Is(err, unix.ENOSPC) {
				th.Fail("page_mkwrite on a full device succeeded")
			}
			if err := errors.Join(fs.Fsck(th), fs.ReservationsCleared(th)); err != nil {
				th.Fail(err.Error())
			}
			p := make([]byte, 2)
			if _, err := f.Pread(th, p, 99); err != nil || !bytes.Equal(p, []byte{1, 2}) {
				th.Fail("data after remount")
			}
		})
	}
}

// EIO: a failed writeback reaches the next fsync once; the block is not
// converted, so after remount it reads as zeroes (unwritten).
func TestWritebackEIO(t *testing.T) {
	run(t, func(th *lab.Thread) {
		dev := blockdev.NewMemory(16)
		fs := New(th, Options{Dev: dev})
		vf, _ := fs.Open(th, "f")
		f := vf.(*File)
		f.Pwrite(th, vfs.Plain(bytes.Repeat([]byte{7}, 4096)), 0)
		// The first allocation of an empty device is at pblk 0.
		dev.InjectError(th, 0, blockdev.OpWrite, 1)
		if err := f.Fsync(th); !errors.Is(err, unix.EIO) {
			th.Fail("fsync after a failed write did not report EIO")
		}
		if err := f.Fsync(th); err != nil {
			th.Fail("the error was reported twice")
		}
		if len(fs.Log(th)) == 0 {
			th.Fail("no I/O error in the log")
		}
		if err := errors.Join(fs.Fsck(th), fs.ReservationsCleared(th)); err != nil {
			th.Fail(err.Error())
		}
		p := make([]byte, 4096)
		if n, _ := f.Pread(th, p, 0); n != 4096 || !bytes.Equal(p, make([]byte, 4096)) {
			th.Fail("the lost write reads back")
		}
	})
}

// EFBIG: logical block numbers are 32 bits (s_maxbytes).
func TestEFBIG(t *testing.T) {
	run(t, func(th *lab.Thread) {
		fs := New(th, Options{Blocks: 8})
		f, _ := fs.Open(th, "f")
		if _, err := f.Pwrite(th, vfs.Plain([]byte{1}), maxBytes); !errors.Is(err, unix.EFBIG) {
			th.Fail("pwrite at s_maxbytes")
		}
		if n, err := f.Pwrite(th, vfs.Plain([]byte{1, 2}), maxBytes-1); n != 1 || err != nil {
			th.Fail(fmt.Sprintf("pwrite across s_maxbytes: %d, %v", n, err))
		}
		if err := f.Truncate(th, maxBytes+1); !errors.Is(err, unix.EFBIG) {
			th.Fail("truncate past s_maxbytes")
		}
		if err := f.Fallocate(th, vfs.FallocKeepSize, maxBytes-4096, 8192); !errors.Is(err, unix.EFBIG) {
			th.Fail("fallocate past s_maxbytes")
		}
		if err := errors.Join(fs.Fsck(th), fs.ReservationsCleared(th)); err != nil {
			th.Fail(err.Error())
		}
	})
}
