package scenario

import (
	"fmt"
	"slices"
	"strings"
)

// write is one op's effect on a file's bytes as the data oracle sees it:
// bytes [off, end) became val at some instant inside the op's interval
// [start, finish] on the run's clock.
type write struct {
	start, finish int64
	off, end      int64
	val           byte
}

// history is every write to one file, for the data oracle's second look:
// the reference model applies ops in the order they returned, which is one
// valid order; when the file differs from it, a byte is still right if it
// holds the value of some write that covers it and that no other covering
// write follows entirely (starts after it finished): the last writer of
// the byte in some order consistent with real time.
type history []write

// allowed returns the values byte b may hold at the end of the run; a byte
// no write covers may only be zero.
func (h history) allowed(b int64) []byte {
	var vals []byte
	covered := false
	for i, x := range h {
		if b < x.off || b >= x.end {
			continue
		}
		covered = true
		last := true
		for j, y := range h {
			if j != i && b >= y.off && b < y.end && y.start > x.finish {
				last = false
				break
			}
		}
		if last && !slices.Contains(vals, x.val) {
			vals = append(vals, x.val)
		}
	}
	if !covered {
		return []byte{0}
	}
	return vals
}

func formatBytes(vals []byte) string {
	s := make([]string, len(vals))
	for i, v := range vals {
		s[i] = fmt.Sprintf("0x%02x", v)
	}
	return strings.Join(s, " or ")
}
