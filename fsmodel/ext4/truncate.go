package ext4

import (
	"math"

	"iomaplab/extent"
	"iomaplab/lab"
)

// truncate is ext4_setattr's size change as Linux 6.18 has it. Growing
// only sets i_size, under i_rwsem: the kernel also takes invalidate_lock,
// and since c7fc0366c656 zeroes the old EOF block's tail (ext4_block_truncate_page
// at the old size), which in the model already reads as zeroes (a store
// through a mapping past i_size faults here). Shrinking, under
// i_rwsem and invalidate_lock exclusive: set i_size, truncate_pagecache,
// zero the new EOF block's tail (ext4_block_truncate_page), then
// ext4_truncate under i_data_sem: drop the extent status entries past EOF
// (releasing delayed reservations) and free the blocks.
func (in *inode) truncate(t *lab.Thread, size int64) error {
	in.iRwsem.Lock(t)
	defer in.iRwsem.Unlock(t)
	if size >= in.io.Size() {
		if err := in.zeroEOFTail(t, size); err != nil {
			return err
		}
		in.io.SetSize(size)
		return nil
	}
	//mutant:ext4-truncate-invalidate-lock delete
	in.invalidateLock.Lock(t)
	//mutant:ext4-truncate-invalidate-lock delete
	defer in.invalidateLock.Unlock(t)
	in.io.SetSize(size)
	t.Point("truncate.before_pagecache")
	//mutant:ext4-truncate-pagecache delete
	in.cache.TruncateRange(t, size, math.MaxInt64)
	t.Point("truncate.after_pagecache")
	if size%extent.BlockSize != 0 {
		if err := in.blockZeroRange(t, size, size-size%extent.BlockSize+extent.BlockSize); err != nil {
			return err
		}
	}
	past := extent.Range{Start: extent.BlockRange(0, size).End, End: extent.MaxBlock}
	in.iDataSem.Lock(t)
	defer in.iDataSem.Unlock(t)
	in.esRemoveExtent(t, past)
	in.removeSpace(t, past)
	return nil
}
