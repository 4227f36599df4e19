package extent_test

import (
	"fmt"

	"iomaplab/extent"
	"iomaplab/lab"
)

// Example walks one file block range through delayed allocation as an fs
// model does: reserve and insert delalloc at write time (iomap_begin),
// allocate and convert at writeback (map_blocks), punch and give back.
func Example() {
	space := extent.NewSpace(1000)
	var ilock lab.RWMutex // the fork lock: the fs model owns it
	fork := extent.NewMap()
	lab.NewFree().Run(func(t *lab.Thread) {
		// Buffered write into a hole, blocks [10, 14).
		r := extent.BlockRange(10*extent.BlockSize, 4*extent.BlockSize)
		ilock.Lock(t)
		if hole := fork.Lookup(r.Start); hole.State == extent.Hole {
			if err := space.Reserve(t, r.Len()); err != nil {
				panic(err) // ENOSPC: the write fails
			}
			fork.Set(extent.Extent{Range: r, State: extent.Delalloc})
		}
		cookie := fork.Seq() // sampled under the same exclusive hold
		ilock.Unlock(t)

		// Writeback converts the delalloc extent, one allocated run at a time.
		ilock.Lock(t)
		d := fork.Lookup(r.Start)
		off := d.Start
		for _, run := range space.AllocReserved(t, d.Len(), 0) {
			fork.Convert(extent.Range{Start: off, End: off + run.Len()}, extent.Delalloc, extent.Written, run.Start)
			off += run.Len()
		}
		ilock.Unlock(t)
		fmt.Println("cookie still valid:", cookie == fork.Seq())

		// Punch [11, 13): free the blocks of the removed pieces.
		ilock.Lock(t)
		for _, p := range fork.Remove(extent.Range{Start: 11, End: 13}) {
			if p.State.Physical() {
				space.Free(t, p.PBlk, p.Len())
			} else if p.State == extent.Delalloc {
				space.Unreserve(t, p.Len())
			}
		}
		fmt.Print(fork)
		ilock.Unlock(t)
		fmt.Printf("%+v\n", space.Stats(t))
	})
	// Output:
	// cookie still valid: false
	// extent.Map seq=3 extents=2 delalloc=0
	//   [10, 11) written@0
	//   [11, 13) hole
	//   [13, 14) written@3
	// {Total:1000 Free:998 Used:2 Reserved:0 FreeExtents:2}
}
