package fsx

import (
	"reflect"
	"testing"

	"iomaplab/check"
)

// TestVerifyRanges: a file up to fullVerify is read whole; past it, the
// reads cover every touched span, are sorted and disjoint, add at most
// holeSamples pages, and are the same for the same seed and epoch.
func TestVerifyRanges(t *testing.T) {
	small := &refFile{}
	small.ref.Write([]byte{1}, fullVerify-1)
	big := &refFile{}
	big.ref.Write(make([]byte, 10000), 5<<30)
	big.ref.Write([]byte{1}, 1<<40-1)
	big.ref.Zero(3<<30, 1<<20, false)
	h := &harness{cfg: &Config{Options: Defaults()}, refs: []*refFile{small, big}}
	if got := h.verifyRanges(0); !reflect.DeepEqual(got, [][2]int64{{0, fullVerify}}) {
		t.Fatalf("small file: %v, want it whole", got)
	}
	rs := h.verifyRanges(1)
	var read int64
	for i, r := range rs {
		if r[0] >= r[1] || i > 0 && r[0] <= rs[i-1][1] || r[1] > big.ref.Size() {
			t.Fatalf("ranges not sorted, disjoint, non-empty below EOF: %v", rs)
		}
		read += r[1] - r[0]
	}
	covered := func(off, end int64) bool {
		for _, r := range rs {
			if r[0] <= off && end <= r[1] {
				return true
			}
		}
		return false
	}
	for off, end := range big.ref.Spans() {
		if !covered(off, end) {
			t.Fatalf("span [%d, %d) not read: %v", off, end, rs)
		}
	}
	spans := int64(3*check.PageSize + 4*check.PageSize) // the write's pages, the zeroed range's edges, the last page
	if read > spans+holeSamples*check.PageSize {
		t.Fatalf("reads %d bytes, want at most %d", read, spans+holeSamples*check.PageSize)
	}
	if again := h.verifyRanges(1); !reflect.DeepEqual(again, rs) {
		t.Fatal("same seed and epoch, different ranges")
	}
	h.epoch++
	if next := h.verifyRanges(1); reflect.DeepEqual(next, rs) {
		t.Fatal("the next epoch samples the same holes")
	}
}
