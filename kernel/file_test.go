package kernel

import (
	"bytes"
	"errors"
	"syscall"
	"testing"

	"iomaplab/check"
	"iomaplab/vfs"
)

// The vfs surface over real descriptors, checked against the reference
// model, across a Remount (files stay usable).
func TestFileOverDescriptors(t *testing.T) {
	_, _, fsys := scratchFS(t, "xfs")
	vf, err := fsys.Open(nil, "f")
	if err != nil {
		t.Fatal(err)
	}
	f := vf.(*File)
	ref := &check.RefFile{}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	data := fill('A', 40*kib)
	n, err := f.Pwrite(nil, vfs.Plain(data), 0)
	must(err)
	ref.Write(data[:n], 0)
	must(f.Fallocate(nil, vfs.FallocPunch, 8*kib, 8*kib))
	ref.Zero(8*kib, 8*kib, false)
	must(f.Fallocate(nil, vfs.FallocAllocate, 64*kib, 64*kib))
	ref.Extend(128 * kib)
	must(f.Fallocate(nil, vfs.FallocZero, 120*kib, 16*kib))
	ref.Zero(120*kib, 16*kib, true)
	must(f.MapStore(nil, []byte("mapped"), 100*kib))
	ref.Write([]byte("mapped"), 100*kib)
	must(f.SyncRange(nil, 0, 0))
	must(f.Reclaim(nil, 0, 0))
	must(f.Truncate(nil, 130*kib))
	ref.Truncate(130 * kib)
	// A short write: the source page at 8 KiB is PROT_NONE.
	n, err = f.Pwrite(nil, vfs.Buffer{Data: fill('B', 16*kib), StallAt: vfs.NoOffset, FaultAt: 8 * kib}, 0)
	if int64(n) != 8*kib || err != nil && !errors.Is(err, syscall.EFAULT) {
		t.Fatalf("faulting write = %d, %v; want 8 KiB", n, err)
	}
	ref.Write(fill('B', 8*kib), 0)
	must(fsys.Remount(nil))
	size, err := f.Size(nil)
	must(err)
	got := make([]byte, size)
	_, err = f.Pread(nil, got, 0)
	must(err)
	if m := ref.Compare(got); m != nil {
		t.Fatalf("after remount: %v", m)
	}
	p := make([]byte, 6)
	must(f.MapLoad(nil, p, 100*kib))
	if !bytes.Equal(p, []byte("mapped")) {
		t.Fatalf("MapLoad = %q", p)
	}
}
