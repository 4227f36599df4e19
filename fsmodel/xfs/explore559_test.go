package xfs

import (
	"testing"

	"iomaplab/check"
	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// explore559 is xfs/559 without await/release: the writer races the
// background flusher and reclaim daemons under a random schedule.
func explore559(t *testing.T, v variant.Variant, seed uint64) (dataOK bool) {
	var ref check.RefFile
	var got []byte
	w := controlled(seed)
	res := w.Run(func(lt *lab.Thread) {
		fs := Mount(lt, newDev(), Options{Variant: v, Flusher: true, Reclaimer: true})
		f := fs.OpenInode(lt, "f")
		_ = f.Fallocate(lt, vfs.FallocAllocate, 0, 40<<10)
		_, _ = f.Pwrite(lt, vfs.Plain(fill(0x58, 1)), 40959)
		ref.Extend(40 << 10)
		ref.Write(fill(0x58, 1), 40959)
		data := fill(0x57, 36865)
		ref.Write(data, 0)
		var g group
		g.Go(lt, "writer", func(lt *lab.Thread) { _, _ = f.Pwrite(lt, vfs.Plain(data), 0) })
		g.Wait(lt)
		_ = fs.Remount(lt)
		got = readAll(lt, t, f)
	})
	mustOK(t, res)
	return ref.Compare(got) == nil
}

func TestExplore559(t *testing.T) {
	const budget = 2000
	for seed := uint64(1); seed <= 200; seed++ {
		if !explore559(t, variant.Correct, seed) {
			t.Fatalf("correct, seed %d: data corrupted", seed)
		}
	}
	for _, v := range []variant.Variant{variant.NoValidate, variant.NoSeqBumpOnConvert} {
		found := uint64(0)
		for seed := uint64(1); seed <= budget && found == 0; seed++ {
			if !explore559(t, v, seed) {
				found = seed
			}
		}
		if found == 0 {
			t.Errorf("%v: not caught in %d random schedules", v, budget)
		}
		t.Logf("%v: caught at schedule %d", v, found)
	}
}
