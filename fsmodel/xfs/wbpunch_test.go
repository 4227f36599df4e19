package xfs

import (
	"testing"

	"iomaplab/blockdev"
	"iomaplab/check"
	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/pagecache"
	"iomaplab/vfs"
)

// wbStalePunch is docs/design.md's writeback-stale-punch: writeback converts the
// delalloc under [0, 256k) at folio 0 and caches that mapping; it parks at
// map_blocks of folio 1. Meanwhile [punchOff, punchOff+24k) is punched
// (written back, dropped, its blocks freed) and an mmap store re-dirties
// its first folio over new delalloc. The punched range lies past the
// writeback pass's first batch lookup (pagecache.WritebackBatch folios),
// so the resumed pass finds the new folio in its next batch, as
// writeback_iter would. Without revalidation it writes that folio to the
// freed block that its cached mapping still names.
func wbStalePunch(t *testing.T, v variant.Variant, seed uint64) (violations []blockdev.Violation, dataOK bool, checkErr error, wbInvalid int) {
	w := controlled(seed, lab.Rule{Point: "iomap.wb.map_blocks", Thread: "flusher", Hit: 2, Action: lab.Park})
	var ref check.RefFile
	var got []byte
	res := w.Run(func(lt *lab.Thread) {
		dev := newDev()
		fs := Mount(lt, dev, Options{Variant: v})
		f := fs.OpenInode(lt, "f")
		const punchOff = (pagecache.WritebackBatch + 1) * pagecache.PageSize
		data := fill(0x61, 256<<10)
		if _, err := f.Pwrite(lt, vfs.Plain(data), 0); err != nil {
			t.Errorf("pwrite: %v", err)
		}
		ref.Write(data, 0)
		var g group
		g.Go(lt, "flusher", func(lt *lab.Thread) {
			if err := f.SyncRange(lt, 0, 0); err != nil {
				t.Errorf("sync-range: %v", err)
			}
		})
		g.Go(lt, "puncher", func(lt *lab.Thread) {
			lt.AwaitParked("flusher")
			if err := f.Fallocate(lt, vfs.FallocPunch, punchOff, 24<<10); err != nil {
				t.Errorf("punch: %v", err)
			}
			ref.Zero(punchOff, 24<<10, false)
			store := fill(0x62, 16)
			if err := f.MapStore(lt, store, punchOff); err != nil {
				t.Errorf("map-store: %v", err)
			}
			ref.Write(store, punchOff)
			lt.Release("flusher")
		})
		g.Wait(lt)
		violations = dev.Violations(lt)
		if err := fs.Remount(lt); err != nil {
			t.Errorf("remount: %v", err)
		}
		got = readAll(lt, t, f)
		checkErr = fs.CheckCleared(lt)
	})
	mustOK(t, res)
	return violations, ref.Compare(got) == nil, checkErr, w.Trace().Count("wb_iomap_invalid")
}

func TestWritebackStalePunch(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		viol, ok, err, inv := wbStalePunch(t, variant.Correct, seed)
		if len(viol) > 0 || !ok || err != nil || inv == 0 {
			t.Fatalf("correct, seed %d: violations %v, data ok %v, check %v, wb_iomap_invalid %d", seed, viol, ok, err, inv)
		}
		viol, _, _, _ = wbStalePunch(t, variant.WBNoValidate, seed)
		if len(viol) == 0 || viol[0].Kind != blockdev.WriteUnowned {
			t.Fatalf("wb-no-validate, seed %d: ownership oracle did not fire: %v", seed, viol)
		}
	}
}
