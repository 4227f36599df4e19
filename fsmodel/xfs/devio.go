package xfs

import (
	"iomaplab/blockdev"
	"iomaplab/lab"
)

// devReader is iomap's read path onto the block device (submit_bio_wait).
type devReader struct{ dev blockdev.Dev }

func (d devReader) ReadAt(t *lab.Thread, p []byte, addr int64) error {
	return d.dev.Read(t, uint64(addr)/bs, p)
}
