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
	Kinds:     []string{"pwrite", "pread", "map-store", "map-load", "fallocate", "zero-range", "truncate"},
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
