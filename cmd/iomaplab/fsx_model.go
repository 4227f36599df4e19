package main

import (
	"fmt"
	"os"

	"iomaplab/blockdev"
	"iomaplab/fsmodel/variant"
	"iomaplab/fsmodel/xfs"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// openModelTarget mounts a fresh XFS model on a memory block device for
// each run (inside the run's world), with the --variant's mutations. The
// device is small unless --dev-mib says otherwise (twice the files' maximum
// size plus 4 MiB), so freed blocks are soon reused and a stale reference to
// one shows as bad data. The
// model's own oracles (fsck, block ownership, reservations) run after every
// remount and, with nothing left reserved, after the final one.
func openModelTarget(f *fsxFlags) (*fsxTarget, int) {
	v, err := variant.Parse(f.variant)
	if err != nil {
		fmt.Fprintf(os.Stderr, "iomaplab fsx: %v\n", err)
		return nil, exitUsage
	}
	var fs *xfs.FS
	return &fsxTarget{
		mount: func(t *lab.Thread) (vfs.FS, error) {
			files := uint64(f.opt.Files) + 1 // and the probe file
			blocks := 2*files*uint64(f.opt.MaxFileSize)/blockdev.BlockSize + 1024
			if f.devMiB > 0 {
				blocks = uint64(f.devMiB) << 20 / blockdev.BlockSize
			}
			fs = xfs.Mount(t, blockdev.NewMemory(blocks), xfs.Options{Variant: v})
			return fs, nil
		},
		check: func(t *lab.Thread, final bool) error {
			if final {
				return fs.CheckCleared(t)
			}
			return fs.Check(t)
		},
		close: func() {},
	}, exitOK
}
