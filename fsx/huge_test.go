package fsx_test

import (
	"testing"

	"iomaplab/blockdev"
	"iomaplab/fsmodel/variant"
	"iomaplab/fsmodel/xfs"
	"iomaplab/fsx"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// xfsOnSparseFile mounts the XFS model with variant v on a sparse device
// file big enough for two files of -l 1T.
func xfsOnSparseFile(t *testing.T, v variant.Variant) func(*lab.Thread) (vfs.FS, error) {
	dev, err := blockdev.NewTempFile(t.TempDir(), 2*2*fsx.MaxFileSize/blockdev.BlockSize+1024)
	if err != nil {
		t.Skipf("no sparse device file: %v", err)
	}
	t.Cleanup(func() { dev.Close() })
	return func(lt *lab.Thread) (vfs.FS, error) { return xfs.Mount(lt, dev, xfs.Options{Variant: v}), nil }
}

// TestMaxFileSize1T runs fsx at the largest -l on the XFS model: the
// reference model is sparse and the checks at remount and at the end read
// what the ops touched plus sampled holes, so the run verifies a bounded
// number of bytes (less than the ops could have written, not the terabyte
// the file spans); and the short-copy-stale mutation is still caught.
func TestMaxFileSize1T(t *testing.T) {
	o := fsx.Defaults()
	o.Seed, o.Ops, o.MaxFileSize, o.ShortEvery = 1, 1500, fsx.MaxFileSize, 4
	res, err := fsx.Run(fsx.Config{Options: o, Mount: xfsOnSparseFile(t, variant.Correct)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failure != nil {
		t.Fatalf("seed %d: correct model failed at -l 1T: %s", o.Seed, res.Failure.Summary())
	}
	// Each op touches at most MaxOpSize bytes and two pages at its edges;
	// each check also reads 64 sampled pages, and there are two final ones.
	most := (o.Ops+2)*(o.MaxOpSize+2*4096+64*4096) + 2*(64<<20)
	if res.BytesVerified == 0 || res.BytesVerified > most {
		t.Fatalf("verified %d bytes, want 1..%d", res.BytesVerified, most)
	}
	bad, err := fsx.Run(fsx.Config{Options: o, Mount: xfsOnSparseFile(t, variant.ShortCopyStale)})
	if err != nil {
		t.Fatal(err)
	}
	if bad.Failure == nil {
		t.Fatalf("seed %d: short-copy-stale not caught at -l 1T", o.Seed)
	}
	t.Logf("correct: %d ops, %d bytes verified; short-copy-stale: %s", res.Ops, res.BytesVerified, bad.Failure.Summary())
}
