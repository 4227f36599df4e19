package blockdev_test

import (
	"bytes"
	"fmt"

	"iomaplab/blockdev"
	"iomaplab/lab"
)

// Example is the shape of writeback through an fs model: own the blocks at
// allocation, submit with a completion callback (XFS's ioend work), wait for
// the inode's I/O at fsync; and what the ownership oracle does with a write
// through a stale mapping to a block the file no longer owns.
func Example() {
	dev := blockdev.NewMemory(64)
	const ino = 7
	lab.NewFree().Run(func(t *lab.Thread) {
		t.GoDaemon("io-completion", dev.RunCompletions)
		dev.Own(t, 20, 2, ino, 0) // file blocks 0, 1 live at pblk 20, 21

		data := bytes.Repeat([]byte{0x57}, 2*blockdev.BlockSize)
		dev.Submit(t, &blockdev.Bio{
			Op: blockdev.OpWrite, PBlk: 20, Data: data, Owner: blockdev.Owner{Ino: ino, FBlk: 0},
			End: func(t *lab.Thread, b *blockdev.Bio) {
				fmt.Println("ioend on", t.Name(), "err", b.Err) // convert unwritten here
			},
		})
		dev.WaitInode(t, ino, 0, ^uint64(0)) // fsync

		dev.Disown(t, 21, 1) // punch file block 1
		dev.Write(t, 21, data[:blockdev.BlockSize], blockdev.Owner{Ino: ino, FBlk: 1})
		for _, v := range dev.Violations(t) {
			fmt.Println(v)
		}
	})
	// Output:
	// ioend on io-completion err <nil>
	// write-unowned: pblk 21 claimed by ino 7 fblk 1, owned by nobody (thread main)
}
