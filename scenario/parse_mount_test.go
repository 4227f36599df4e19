package scenario

import (
	"errors"
	"strings"
	"testing"
)

// TestParseExt4MountOptions: ext4 iomap v4 patch 23/23's buffered_iomap and
// nobuffered_iomap, their older spellings iomap and legacy, and nodelalloc.
func TestParseExt4MountOptions(t *testing.T) {
	for _, c := range []struct {
		fs                string
		iomap, nodelalloc bool
	}{
		{"fs ext4", false, false},
		{"fs ext4 buffered_iomap", true, false},
		{"fs ext4 iomap", true, false},
		{"fs ext4 nobuffered_iomap", false, false},
		{"fs ext4 legacy", false, false},
		{"fs ext4 buffered_iomap nodelalloc", true, true},
		{"fs ext4 nodelalloc iomap", true, true},
	} {
		sc, err := Parse("ok.scn", []byte("scenario t\n"+c.fs+"\nthread a: pwrite f 0 1\n"))
		if err != nil {
			t.Errorf("%s: %v", c.fs, err)
			continue
		}
		if sc.FS.Iomap != c.iomap || sc.FS.NoDelalloc != c.nodelalloc {
			t.Errorf("%s: Iomap %v NoDelalloc %v, want %v %v", c.fs, sc.FS.Iomap, sc.FS.NoDelalloc, c.iomap, c.nodelalloc)
		}
	}
}

// TestParseExt4MountOptionErrors pins the message and line:col of each
// mistake with the ext4 mount options, and of a park at a point the
// chosen allocation mode never reaches.
func TestParseExt4MountOptionErrors(t *testing.T) {
	const ext4nd = "scenario t\nfs ext4 buffered_iomap nodelalloc\n"
	for _, c := range []struct{ src, want string }{
		{"scenario t\nfs xfs buffered_iomap\nthread a: fsync f\n", "e.scn:2:8: fs option buffered_iomap is for ext4 (xfs always uses iomap)"},
		{"scenario t\nfs xfs nodelalloc\nthread a: fsync f\n", "e.scn:2:8: fs option nodelalloc is for ext4"},
		{"scenario t\nfs ext4 nodelalloc\nthread a: fsync f\n", "e.scn:2:9: fs option nodelalloc needs buffered_iomap: the model's legacy ext4 path is delalloc only"},
		{"scenario t\nfs ext4 legacy nodelalloc\nthread a: fsync f\n", "e.scn:2:16: fs option nodelalloc needs buffered_iomap"},
		{"scenario t\nfs ext4 buffered_iomap nobuffered_iomap\nthread a: fsync f\n", "e.scn:2:24: fs options buffered_iomap (iomap) and nobuffered_iomap (legacy) exclude each other"},
		{"scenario t\nfs ext4 iomap buffered_iomap\nthread a: fsync f\n", "e.scn:2:15: fs option buffered_iomap given twice"},
		{"scenario t\nfs ext4 nodelalloc=1\nthread a: fsync f\n", "e.scn:2:9: unknown fs option \"nodelalloc=1\" (want folio=SIZE"},
		{ext4nd + "inject ext4.da_map.after_lookup park thread=w hit=1\nthread w: pwrite f 0 1\nthread b: await w.stalled ; release w\n",
			"e.scn:3:1: ext4.da_map.after_lookup is not on the path of fs ext4 iomap nodelalloc in the model (ext4 with delalloc only): a park there never fires"},
		{"scenario t\nfs ext4 buffered_iomap\ninject ext4.iomap_get_blocks.after_lookup park thread=w hit=1\nthread w: pwrite f 0 1\nthread b: await w.stalled ; release w\n",
			"e.scn:3:1: ext4.iomap_get_blocks.after_lookup is not on the path of fs ext4 iomap in the model (ext4 iomap with nodelalloc only): a park there never fires"},
		{ext4nd + "inject ext4.iomap_get_blocks.after_lookup park thread=w hit=1\nthread w: pwrite f 0 1\nthread b: await w.stalled ; truncate f 0 ; release w\n",
			"e.scn:5:29: truncate in thread b would deadlock: w is parked (line 3) and truncate takes i_rwsem on ext4, which the parked thread holds in pwrite (ext4_iomap_get_blocks)"},
	} {
		_, err := Parse("e.scn", []byte(c.src))
		var list ErrorList
		if !errors.As(err, &list) {
			t.Errorf("%q: got %v, want an ErrorList", c.src, err)
			continue
		}
		if !strings.HasPrefix(list[0].Error(), c.want) {
			t.Errorf("%q:\n got %s\nwant %s", c.src, err, c.want)
		}
	}
}

// TestParseGetBlocksParkWindow: parked in ext4_iomap_get_blocks a write
// holds i_rwsem but no folio yet, so writeback and reclaim of its range
// may run in the window (the race of ext4-v4-nodelalloc-write-begin-convert).
func TestParseGetBlocksParkWindow(t *testing.T) {
	src := "scenario t\nfs ext4 buffered_iomap nodelalloc\nsetup pwrite f 0 4k\n" +
		"inject ext4.iomap_get_blocks.after_lookup park thread=w hit=1\n" +
		"thread w: pwrite f 100 10\nthread b: await w.stalled ; fsync f ; reclaim f 0 4k ; map-load f 0 1 ; release w\n"
	if _, err := Parse("ok.scn", []byte(src)); err != nil {
		t.Fatal(err)
	}
}
