package ext4

import (
	"bytes"
	"testing"

	"iomaplab/extent"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// TestIomapShortWriteDropsStaleDelalloc is v4 patch 08/23's short-write
// handling on the delalloc path: a write over a hole that faults after
// 5000 bytes drops the delayed block it mapped but never reached and
// releases its reservation; the two blocks it wrote into stay delayed and
// reserved under their dirty folios, and reach the disk.
func TestIomapShortWriteDropsStaleDelalloc(t *testing.T) {
	data := bytes.Repeat([]byte{0x63}, 3*extent.BlockSize)
	var delayed, reserved uint64
	var n int
	var got []byte
	run(t, func(th *lab.Thread) {
		fs := New(th, Options{Blocks: 64, IOMAP: true})
		vf, _ := fs.Open(th, "f")
		f := vf.(*File)
		n, _ = f.Pwrite(th, vfs.Buffer{Data: data, StallAt: vfs.NoOffset, FaultAt: 5000}, 0)
		in := f.inode(th)
		delayed = in.esDelayedIn(th, extent.Range{Start: 0, End: 3})
		reserved = in.reservedBlocks(th)
		if err := fs.CheckReservations(th); err != nil {
			th.Fail(err.Error())
		}
		if err := fs.ReservationsCleared(th); err != nil {
			th.Fail(err.Error())
		}
		got = make([]byte, 3*extent.BlockSize)
		m, _ := f.Pread(th, got, 0)
		got = got[:m]
	})
	if n != 5000 || delayed != 2 || reserved != 2 {
		t.Fatalf("short write: %d bytes, %d delayed blocks, %d reserved (want 5000, 2, 2)", n, delayed, reserved)
	}
	if !bytes.Equal(got, data[:5000]) {
		t.Fatalf("after remount: %d bytes read, want the 5000 copied", len(got))
	}
}
