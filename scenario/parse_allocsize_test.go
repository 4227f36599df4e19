package scenario

import (
	"errors"
	"testing"
)

// The fs line's allocsize= (XFS's mount option: fixed speculative
// preallocation, 4k turns it off): accepted on xfs as a power of two from 4k
// to 1g, rejected elsewhere with file:line:col.
func TestParseAllocSize(t *testing.T) {
	for src, want := range map[string]int64{
		"scenario t\nfs xfs allocsize=4k\nthread a: pwrite f 0 4k\n": 4096,
		"scenario t\nfs xfs allocsize=1g\nthread a: pwrite f 0 4k\n": 1 << 30,
		"scenario t\nfs xfs\nthread a: pwrite f 0 4k\n":              0,
	} {
		sc, err := Parse("ok.scn", []byte(src))
		if err != nil {
			t.Errorf("%q: %v", src, err)
			continue
		}
		if sc.FS.AllocSize != want {
			t.Errorf("%q: AllocSize %d, want %d", src, sc.FS.AllocSize, want)
		}
	}
	for src, want := range map[string]string{
		"scenario t\nfs ext4 allocsize=64k\nthread a: fsync f\n":            "e.scn:2:9: fs option allocsize is for xfs",
		"scenario t\nfs xfs allocsize=96k\nthread a: fsync f\n":             "e.scn:2:8: allocsize=96k: the preallocation size is a power of two from 4k to 1g",
		"scenario t\nfs xfs allocsize=2k\nthread a: fsync f\n":              "e.scn:2:8: allocsize=2k: the preallocation size is a power of two from 4k to 1g",
		"scenario t\nfs xfs allocsize=2g\nthread a: fsync f\n":              "e.scn:2:8: allocsize=2g: the preallocation size is a power of two from 4k to 1g",
		"scenario t\nfs xfs allocsize=lots\nthread a: fsync f\n":            "e.scn:2:8: allocsize: ",
		"scenario t\nfs xfs allocsize=4k allocsize=8k\nthread a: fsync f\n": "e.scn:2:21: fs option allocsize given twice",
	} {
		_, err := Parse("e.scn", []byte(src))
		var list ErrorList
		if !errors.As(err, &list) {
			t.Errorf("%q: got %v, want an ErrorList", src, err)
			continue
		}
		if got := list[0].Error(); len(got) < len(want) || got[:len(want)] != want {
			t.Errorf("%q:\n got %s\nwant %s", src, got, want)
		}
	}
}
