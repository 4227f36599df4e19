package kernel

import (
	"bytes"
	"errors"
	"path/filepath"
	"syscall"
	"testing"

	"iomaplab/lab"
	"iomaplab/vfs"
)

// FICLONE on XFS and btrfs: the clone reads the source's bytes, including
// ones still dirty in the page cache when it was taken; a write to either
// file afterwards changes only that file. ext4 has no reflink: EOPNOTSUPP.
// On XFS a file created in a directory with a cowextsize hint inherits it.
func TestCloneRange(t *testing.T) {
	for _, fstype := range []string{"xfs", "btrfs", "ext4"} {
		t.Run(fstype, func(t *testing.T) {
			_, s, fs := scratchFS(t, fstype)
			if fstype == "xfs" {
				if err := setCowExtSize(s.Mnt, mib); err != nil {
					t.Fatal(err)
				}
			}
			src, err := fs.OpenFile("src")
			if err != nil {
				t.Fatal(err)
			}
			dst, err := fs.OpenFile("dst")
			if err != nil {
				t.Fatal(err)
			}
			var th *lab.Thread // the kernel target ignores it
			if _, err := src.Pwrite(th, vfs.Buffer{Data: fill(0x11, 64*kib), StallAt: vfs.NoOffset, FaultAt: vfs.NoOffset}, 0); err != nil {
				t.Fatal(err)
			}
			err = dst.CloneRange(th, src, 0, 0, 0)
			if fstype == "ext4" {
				if !errors.Is(err, syscall.EOPNOTSUPP) {
					t.Fatalf("clone on ext4: %v, want EOPNOTSUPP", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := dst.Pwrite(th, vfs.Buffer{Data: fill(0x22, 4*kib), StallAt: vfs.NoOffset, FaultAt: vfs.NoOffset}, 8*kib); err != nil {
				t.Fatal(err)
			}
			want := fill(0x11, 64*kib)
			for _, f := range []*File{src, dst} {
				got := make([]byte, 64*kib)
				if n, err := f.Pread(th, got, 0); err != nil || n != len(got) {
					t.Fatalf("%s: pread %d, %v", f.Name(), n, err)
				}
				if f == dst {
					copy(want[8*kib:], fill(0x22, 4*kib))
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s: contents differ after clone and write", f.Name())
				}
			}
			if fstype == "xfs" {
				if n, err := cowExtSize(filepath.Join(s.Mnt, "src")); err != nil || n != mib {
					t.Errorf("src's cowextsize hint %d, %v; want %d inherited", n, err, mib)
				}
				if err := setCowExtSize(s.Mnt, 0); err != nil {
					t.Fatal(err)
				}
				if n, err := cowExtSize(s.Mnt); err != nil || n != 0 {
					t.Errorf("cleared hint reads %d, %v", n, err)
				}
			}
		})
	}
}
