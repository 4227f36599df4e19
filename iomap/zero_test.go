package iomap

import (
	"errors"
	"math"
	"syscall"
	"testing"

	"iomaplab/lab"
	"iomaplab/pagecache"
)

// TestZeroRangeOverflow: a range whose end overflows int64 is EFBIG and a
// negative offset EINVAL, before any mapping is asked for; a range that
// that fits is zeroed as usual.
func TestZeroRangeOverflow(t *testing.T) {
	for _, tc := range []struct {
		pos, length int64
		want        error
		begins      int
	}{
		{math.MaxInt64 - 10, 11, syscall.EFBIG, 0},
		{1, math.MaxInt64, syscall.EFBIG, 0},
		{-1, 10, syscall.EINVAL, 0},
		{1<<40 - 10, 10, nil, 1},
		{0, pagecache.PageSize, nil, 1},
	} {
		in, fs := newInode(), &fakeFS{}
		var err error
		res := controlled(1).Run(func(lt *lab.Thread) {
			err = ZeroRange(lt, in, fs, nil, tc.pos, tc.length)
		})
		if !res.OK() || !errors.Is(err, tc.want) || err == nil && tc.want != nil || fs.begins != tc.begins {
			t.Errorf("ZeroRange(%d, %d): %v, %d mappings, %v; want %v, %d", tc.pos, tc.length, err, fs.begins, res, tc.want, tc.begins)
		}
	}
}
