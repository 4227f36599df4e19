package check

import (
	"bytes"
	"testing"

	"iomaplab/vfs"
)

// TestFallocate applies each fallocate mode to an 8-byte file of ones and
// checks the size and bytes the reference then holds.
func TestFallocate(t *testing.T) {
	for _, tc := range []struct {
		mode vfs.FallocMode
		off  int64
		want []byte
	}{
		{vfs.FallocAllocate, 6, []byte{1, 1, 1, 1, 1, 1, 1, 1, 0, 0}},
		{vfs.FallocKeepSize, 6, []byte{1, 1, 1, 1, 1, 1, 1, 1}},
		{vfs.FallocPunch, 6, []byte{1, 1, 1, 1, 1, 1, 0, 0}},
		{vfs.FallocZero, 6, []byte{1, 1, 1, 1, 1, 1, 0, 0, 0, 0}},
		{vfs.FallocZeroKeepSize, 6, []byte{1, 1, 1, 1, 1, 1, 0, 0}},
		{vfs.FallocZero, 2, []byte{1, 1, 0, 0, 0, 0, 1, 1}},
	} {
		var r RefFile
		r.Write(bytes.Repeat([]byte{1}, 8), 0)
		r.Fallocate(tc.mode, tc.off, 4)
		if got := contents(&r); !bytes.Equal(got, tc.want) {
			t.Errorf("%v at %d: %v, want %v", tc.mode, tc.off, got, tc.want)
		}
	}
}
