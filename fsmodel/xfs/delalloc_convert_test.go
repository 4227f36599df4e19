package xfs

import (
	"testing"

	"iomaplab/check"
	"iomaplab/extent"
	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// remapAfterConvert is the stale-block exposure fsx found with two threads
// (read, write, truncate and fsync only): a buffered write into a hole
// inside EOF reserves delalloc for blocks 0 and 1, writes block 0 and
// stalls before its second chunk; meanwhile fsync writes block 0 back, which
// converts the whole delalloc extent (blocks 0 and 1) and bumps if_seq. The
// writer's mapping is stale, so it maps block 1 again and now sees
// allocated blocks. Its write covers only the head of block 1, so
// __iomap_write_begin must zero the tail (UNWRITTEN); had the conversion
// made the blocks written (MAPPED inside EOF), it would read the tail from
// the device, which holds whatever the block held before (here 0xab junk on
// every block, standing for a freed block of an old file).
//
// It returns whether the file read back as the reference before and after a
// remount.
func remapAfterConvert(t *testing.T, seed uint64) bool {
	const junk, size, wlen = 0xab, 3 << 12, 0x1269
	w := controlled(seed)
	var ref check.RefFile
	var got, gotRemount []byte
	res := w.Run(func(lt *lab.Thread) {
		dev := newDev()
		for pblk := range dev.Blocks() {
			if err := dev.WriteRaw(lt, pblk, fill(junk, bs)); err != nil {
				t.Fatalf("junk block %d: %v", pblk, err)
			}
		}
		fs := Mount(lt, dev, Options{Variant: variant.Correct})
		f := fs.OpenInode(lt, "f")
		if err := f.Truncate(lt, size); err != nil {
			t.Errorf("truncate: %v", err)
		}
		ref.Truncate(size)
		wdata := fill(0x57, wlen)
		ref.Write(wdata, 0)
		var g group
		g.Go(lt, "writer", func(lt *lab.Thread) {
			n, err := f.Pwrite(lt, vfs.Buffer{Data: wdata, StallAt: bs, FaultAt: vfs.NoOffset}, 0)
			if n != wlen || err != nil {
				t.Errorf("writer: %d, %v", n, err)
			}
		})
		g.Go(lt, "fsync", func(lt *lab.Thread) {
			lt.AwaitParked("writer")
			if err := f.Fsync(lt); err != nil {
				t.Errorf("fsync: %v", err)
			}
			if e := f.Extents(lt); len(e) == 0 || e[0].State == extent.Delalloc {
				t.Errorf("fsync left block 0 delalloc: %v", e)
			}
			lt.Release("writer")
		})
		g.Wait(lt)
		got = readAll(lt, t, f)
		if err := fs.Remount(lt); err != nil {
			t.Errorf("remount: %v", err)
		}
		gotRemount = readAll(lt, t, f)
		if err := fs.Check(lt); err != nil {
			t.Errorf("fsck: %v", err)
		}
	})
	mustOK(t, res)
	if n := w.Trace().Count("iomap_invalid"); n == 0 {
		t.Fatalf("seed %d: the writer's mapping was never found stale", seed)
	}
	ok := true
	for _, c := range []struct {
		when string
		data []byte
	}{{"before remount", got}, {"after remount", gotRemount}} {
		if m := ref.Compare(c.data); m != nil {
			t.Errorf("seed %d, %s: %v", seed, c.when, m)
			ok = false
		}
	}
	return ok
}

func TestRemapAfterDelallocConvertZeroesBlockTail(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		if !remapAfterConvert(t, seed) {
			return
		}
	}
}
