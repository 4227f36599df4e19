package xfs

import (
	"testing"

	"iomaplab/check"
	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// xfs559 is fstests xfs/559 in the model (docs/design.md's write-stale-unwritten):
// a 40 KiB unwritten file whose last block holds 0x58 in the page cache;
// a writer maps [0, 36865) as one unwritten extent and stalls at the
// prefault of its second chunk; meanwhile the last block is written back
// (its unwritten extent converted, if_seq bumped) and reclaimed. When the
// writer resumes, its cached UNWRITTEN mapping is stale: used as is, it
// zeroes the re-read last folio and loses the 0x58.
//
// It returns whether the data after remount matched the reference, and how
// many iomap_invalid tracepoints fired.
func xfs559(t *testing.T, v variant.Variant, seed uint64) (dataOK bool, invalid int) {
	w := controlled(seed)
	var ref check.RefFile
	var got []byte
	res := w.Run(func(lt *lab.Thread) {
		fs := Mount(lt, newDev(), Options{Variant: v})
		f := fs.OpenInode(lt, "f")
		if err := f.Fallocate(lt, vfs.FallocAllocate, 0, 40<<10); err != nil {
			t.Errorf("fallocate: %v", err)
		}
		ref.Extend(40 << 10)
		if err := fs.Remount(lt); err != nil {
			t.Errorf("remount: %v", err)
		}
		if _, err := f.Pwrite(lt, vfs.Plain(fill(0x58, 1)), 40959); err != nil {
			t.Errorf("pwrite: %v", err)
		}
		ref.Write(fill(0x58, 1), 40959)
		wdata := fill(0x57, 36865)
		ref.Write(wdata, 0)
		var g group
		g.Go(lt, "writer", func(lt *lab.Thread) {
			n, err := f.Pwrite(lt, vfs.Buffer{Data: wdata, StallAt: 4096, FaultAt: vfs.NoOffset}, 0)
			if n != len(wdata) || err != nil {
				t.Errorf("writer: %d, %v", n, err)
			}
		})
		g.Go(lt, "flusher", func(lt *lab.Thread) {
			lt.AwaitParked("writer")
			if err := f.SyncRange(lt, 36<<10, 4<<10); err != nil {
				t.Errorf("sync-range: %v", err)
			}
			if err := f.Reclaim(lt, 36<<10, 4<<10); err != nil {
				t.Errorf("reclaim: %v", err)
			}
			lt.Release("writer")
		})
		g.Wait(lt)
		if err := fs.Remount(lt); err != nil {
			t.Errorf("remount: %v", err)
		}
		got = readAll(lt, t, f)
		if err := fs.Check(lt); err != nil {
			t.Errorf("fsck: %v", err)
		}
	})
	if !res.OK() {
		for _, r := range w.Trace().Records() {
			t.Log(r.Who, r.Kind, r.Name, r.Fields)
		}
	}
	mustOK(t, res)
	return ref.Compare(got) == nil, w.Trace().Count("iomap_invalid")
}

func TestXFS559(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		ok, inv := xfs559(t, variant.Correct, seed)
		if !ok || inv == 0 {
			t.Fatalf("correct, seed %d: data ok %v, iomap_invalid %d", seed, ok, inv)
		}
		for _, v := range []variant.Variant{variant.NoValidate, variant.NoSeqBumpOnConvert} {
			if ok, _ := xfs559(t, v, seed); ok {
				t.Fatalf("%v, seed %d: data intact, the mutant escaped", v, seed)
			}
		}
	}
}
