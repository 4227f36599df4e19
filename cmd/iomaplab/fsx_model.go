package main

import (
	"fmt"
	"os"

	"iomaplab/blockdev"
	"iomaplab/fsmodel/ext4"
	"iomaplab/fsmodel/variant"
	"iomaplab/fsmodel/xfs"
	"iomaplab/fsx"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// openModelTarget mounts a fresh model (--fs xfs, ext4, or ext4-iomap for
// ext4's iomap buffered-write path) on a block device of its own for each
// run (inside the run's world), with the --variant's mutations. --device
// file (the default) backs it with a sparse file in $TMPDIR, unlinked at
// once and closed when the next run mounts or the target closes; --device
// memory with memory. The device is
// small unless --dev-mib says otherwise (twice the files' maximum size plus
// 4 MiB), so freed blocks are soon reused and a stale reference to one shows
// as bad data. The model's own oracles (fsck, block ownership, reservations)
// run after every remount and, with nothing left reserved, after the final
// one.
func openModelTarget(f *fsxFlags, opt fsx.Options) (*fsxTarget, error) {
	v, err := variant.Parse(f.variant)
	if err != nil {
		return nil, asBadInput(err)
	}
	blocks, err := modelDevBlocks(f, opt)
	if err != nil {
		return nil, err
	}
	var check func(t *lab.Thread, final bool) error
	var dev blockdev.Dev // the last run's device
	closeDev := func() {
		if dev != nil {
			dev.Close()
			dev = nil
		}
	}
	return &fsxTarget{
		mount: func(t *lab.Thread) (vfs.FS, error) {
			closeDev()
			if f.device == "memory" {
				dev = blockdev.NewMemory(blocks)
			} else {
				file, err := blockdev.NewTempFile(os.TempDir(), blocks)
				if err != nil {
					return nil, fmt.Errorf("model device: %v", err)
				}
				dev = file
			}
			if f.fs == "xfs" {
				fs := xfs.Mount(t, dev, xfs.Options{Variant: v})
				check = func(t *lab.Thread, final bool) error {
					if final {
						return fs.CheckCleared(t)
					}
					return fs.Check(t)
				}
				return fs, nil
			}
			fs := ext4.New(t, ext4.Options{Dev: dev, Variant: v, IOMAP: f.fs == "ext4-iomap"})
			check = func(t *lab.Thread, final bool) error {
				if err := fs.Fsck(t); err != nil {
					return err
				}
				if final {
					return fs.ReservationsCleared(t)
				}
				return fs.CheckReservations(t)
			}
			return fs, nil
		},
		check: func(t *lab.Thread, final bool) error { return check(t, final) },
		close: closeDev,
	}, nil
}

// Model device limits: a memory device holds every block in memory, and a
// sparse backing file may not pass the host filesystem's file size limit
// (16 TiB on ext4 with 4 KiB blocks); fsx never writes more than a tiny
// part of either.
const (
	maxMemoryDevBytes = 4 << 30
	maxFileDevBytes   = 8 << 40
)

// modelDevBlocks is the model device's size for a run with opt (a replayed
// log's own options, else the flags'): --dev-mib, else twice the files'
// maximum size (and the probe file's) plus 4 MiB, capped at 8 TiB for a
// backing file; a memory device over 4 GiB is refused.
func modelDevBlocks(f *fsxFlags, opt fsx.Options) (uint64, error) {
	files := uint64(opt.Files) + 1 // and the probe file
	bytes := 2*files*uint64(opt.MaxFileSize) + 4<<20
	if f.devMiB > 0 {
		bytes = uint64(f.devMiB) << 20
	}
	if f.device == "memory" && bytes > maxMemoryDevBytes {
		return 0, badInput("--device memory would hold a %d MiB device in memory (over the %d MiB limit): use --device file (sparse), or a smaller -l, --files or --dev-mib", bytes>>20, maxMemoryDevBytes>>20)
	}
	return min(bytes, maxFileDevBytes) / blockdev.BlockSize, nil
}
