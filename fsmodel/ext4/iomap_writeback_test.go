package ext4

import (
	"bytes"
	"testing"

	"iomaplab/extent"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// TestIomapWritebackAllocatesByRange: on the iomap path (v4 patch 09/23)
// writeback allocates a delayed extent by the writeback range, not one
// folio at a time, as unwritten blocks that the end I/O worker converts;
// the legacy path allocates block by block.
func TestIomapWritebackAllocatesByRange(t *testing.T) {
	for _, io := range []bool{false, true} {
		data := bytes.Repeat([]byte{0x61}, 4*extent.BlockSize)
		var first extent.Extent
		var delayedLeft uint64
		var got []byte
		r := run(t, func(th *lab.Thread) {
			fs := New(th, Options{Blocks: 64, IOMAP: io})
			vf, _ := fs.Open(th, "f")
			f := vf.(*File)
			if n, err := f.Pwrite(th, vfs.Plain(data), 0); n != len(data) || err != nil {
				th.Fail("pwrite failed")
			}
			if err := f.SyncRange(th, 0, 2*extent.BlockSize); err != nil {
				th.Fail(err.Error())
			}
			in := f.inode(th)
			in.iDataSem.RLock(th)
			first = in.ext.Lookup(0)
			in.iDataSem.RUnlock(th)
			delayedLeft = in.esDelayedIn(th, extent.Range{Start: 0, End: 4})
			if err := fs.Fsck(th); err != nil {
				th.Fail(err.Error())
			}
			if err := fs.ReservationsCleared(th); err != nil {
				th.Fail(err.Error())
			}
			got = make([]byte, len(data))
			if n, _ := f.Pread(th, got, 0); n != len(data) {
				th.Fail("short read after remount")
			}
		})
		// Legacy: one allocation per block, 4 in all; iomap: one for the
		// 8k written back, one for the rest at remount.
		wantAllocs := 4
		if io {
			wantAllocs = 2
		}
		if first.State != extent.Written || first.Start != 0 || first.Len() < 2 || delayedLeft != 2 {
			t.Errorf("iomap=%v: after writing back 8k: first extent %v (want written, 2 blocks), %d delayed blocks left (want 2)",
				io, first, delayedLeft)
		}
		if n := r.Trace.Count("ext4_allocate_blocks"); n != wantAllocs {
			t.Errorf("iomap=%v: %d allocations, want %d", io, n, wantAllocs)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("iomap=%v: the data read back after remount differs", io)
		}
	}
}
