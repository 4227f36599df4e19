package ext4

import (
	"bytes"
	"fmt"
	"testing"

	"iomaplab/extent"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// TestZeroEdgeLeavesUnwrittenAlone: zero range's edge zeroing
// (__ext4_block_zero_page_range) dirties only a block whose buffer is
// mapped. An unwritten edge block that no write went through stays
// unwritten, as on 6.18 (measured: iomaplab kernel --diff,
// ext4-zero-range-writeback-explore leaves block 4 unwritten); an edge
// block holding dirty data is zeroed in place and written.
func TestZeroEdgeLeavesUnwrittenAlone(t *testing.T) {
	for _, tc := range []struct {
		name  string
		dirty bool // block 4 holds dirty data before the zero range
		want  extent.State
	}{{"unwritten edge", false, extent.Unwritten}, {"dirty edge", true, extent.Written}} {
		t.Run(tc.name, func(t *testing.T) {
			run(t, func(th *lab.Thread) {
				fs := New(th, Options{Blocks: 64})
				f, _ := fs.Open(th, "f")
				f.Truncate(th, 64<<10)
				want := make([]byte, 64<<10)
				if tc.dirty {
					data := bytes.Repeat([]byte{0x62}, 4096)
					f.Pwrite(th, vfs.Plain(data), 16<<10)
					copy(want[16<<10:], data)
				}
				if err := f.Fallocate(th, vfs.FallocZeroKeepSize, 14<<10, 4<<10); err != nil {
					th.Fail("zero range: " + err.Error())
				}
				clear(want[14<<10 : 18<<10])
				if err := fs.ReservationsCleared(th); err != nil {
					th.Fail(err.Error())
				}
				got := make([]byte, len(want))
				if n, err := f.Pread(th, got, 0); n != len(want) || err != nil || !bytes.Equal(got, want) {
					th.Fail("read back differs after remount")
				}
				if e := f.(*File).inode(th).ext.Lookup(4); e.State != tc.want {
					th.Fail(fmt.Sprintf("block 4 is %v after remount, want %v", e.State, tc.want))
				}
			})
		})
	}
}
