package vfstest_test

import (
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"iomaplab/blockdev"
	"iomaplab/check"
	"iomaplab/fsmodel/xfs"
	"iomaplab/internal/vfstest"
	"iomaplab/lab"
	"iomaplab/vfs"
)

var gen = vfstest.Gen{
	Kinds:     []string{"pwrite", "pread", "map-store", "map-load", "fallocate", "zero-range", "truncate", "clone"},
	BlockSize: 4096,
	MaxFile:   64 << 10,
	MaxLen:    8 * 4096,
}

// Every drawn op stays inside the file bound, with a kind from Kinds (a
// zero-range comes out as a fallocate in a zero mode) and a source fault
// inside the write; with BlockFaults the fault lands on a block boundary.
func TestDrawStaysInBounds(t *testing.T) {
	for _, blockFaults := range []bool{false, true} {
		g := gen
		g.BlockFaults = blockFaults
		rapid.Check(t, func(rt *rapid.T) {
			o := g.Draw(rt)
			if !slices.Contains(g.Kinds, o.Kind) {
				rt.Fatalf("kind %q not in %v", o.Kind, g.Kinds)
			}
			if o.Kind == "truncate" {
				if o.Off < 0 || o.Off > g.MaxFile {
					rt.Fatalf("%v: size outside [0, %d]", o, g.MaxFile)
				}
				return
			}
			if o.Off < 0 || o.N < 1 || o.Off+o.N > g.MaxFile {
				rt.Fatalf("%v: outside [0, %d)", o, g.MaxFile)
			}
			if o.Kind == "clone" && (o.Off%g.BlockSize != 0 || o.Src%g.BlockSize != 0 || o.N%g.BlockSize != 0 || o.Src < 0 || o.Src >= g.MaxFile) {
				rt.Fatalf("%v: clone not block aligned or its source outside the file bound", o)
			}
			if o.Fault != vfs.NoOffset {
				if o.Kind != "pwrite" || o.Fault < 0 || o.Fault >= o.N {
					rt.Fatalf("%v: fault outside the write", o)
				}
				if blockFaults && o.Fault > 0 && (o.Off+o.Fault)%g.BlockSize != 0 {
					rt.Fatalf("%v: fault not on a block boundary", o)
				}
			}
		})
	}
}

// corrupting flips one byte of every read at or over offset bad.
type corrupting struct {
	vfs.File
	bad int64
}

func (c corrupting) Pread(t *lab.Thread, p []byte, off int64) (int, error) {
	n, err := c.File.Pread(t, p, off)
	if i := c.bad - off; i >= 0 && i < int64(n) {
		p[i] ^= 0xff
	}
	return n, err
}

// The Runner compares every read with the reference: a target whose reads
// return one wrong byte fails at the first read that covers it, and the
// failure names that op. The same ops on the honest target pass.
func TestRunnerCatchesABadByte(t *testing.T) {
	ops := []vfstest.Op{
		{Kind: "pwrite", Off: 0, N: 3 * 4096, Fill: 0x41, Fault: vfs.NoOffset},
		{Kind: "pread", Off: 0, N: 4096},
		{Kind: "pread", Off: 4096, N: 4096},
	}
	for _, bad := range []bool{false, true} {
		var failure error
		res := lab.NewFree().Run(func(t *lab.Thread) {
			fs := xfs.Mount(t, blockdev.NewMemory(1024), xfs.Options{})
			var f vfs.File = fs.OpenInode(t, "f")
			if bad {
				f = corrupting{File: f, bad: 5000}
			}
			r := vfstest.Runner{FS: fs, File: f, Ref: &check.RefFile{}}
			failure = r.Run(t, ops)
		})
		if !res.OK() {
			t.Fatalf("run: %v", res)
		}
		switch {
		case !bad && failure != nil:
			t.Errorf("honest target failed: %v", failure)
		case bad && (failure == nil || !strings.HasPrefix(failure.Error(), "op 2 (pread 4096 4096)")):
			t.Errorf("corrupted read: %v; want a failure at op 2", failure)
		}
	}
}

// A clone within the file copies the reference's bytes: reads of the
// destination after it, and after a write to the source, agree; a clone
// whose source runs past EOF is cut there or skipped.
func TestRunnerClone(t *testing.T) {
	ops := []vfstest.Op{
		{Kind: "pwrite", Off: 0, N: 2 * 4096, Fill: 0x41, Fault: vfs.NoOffset},
		{Kind: "pwrite", Off: 4096, N: 100, Fill: 0x42, Fault: vfs.NoOffset},
		{Kind: "clone", Src: 0, Off: 16 << 10, N: 3 * 4096}, // cut to the 2 source blocks
		{Kind: "pwrite", Off: 0, N: 10, Fill: 0x43, Fault: vfs.NoOffset},
		{Kind: "clone", Src: 12 << 10, Off: 0, N: 4096}, // a source in the hole: clones the hole
		{Kind: "clone", Src: 64 << 10, Off: 0, N: 4096}, // past EOF: skipped
		{Kind: "pread", Off: 0, N: 24 << 10},
	}
	var failure error
	var size int64
	res := lab.NewFree().Run(func(t *lab.Thread) {
		fs := xfs.Mount(t, blockdev.NewMemory(1024), xfs.Options{})
		f := fs.OpenInode(t, "f")
		ref := &check.RefFile{}
		r := vfstest.Runner{FS: fs, File: f, Ref: ref, Verify: func(t *lab.Thread, _ vfstest.Op) error { return fs.Check(t) }}
		failure = r.Run(t, ops)
		size = ref.Size()
	})
	if !res.OK() || failure != nil {
		t.Fatalf("run: %v, %v", res, failure)
	}
	if size != 24<<10 {
		t.Errorf("reference size %d, want 24k", size)
	}
}
