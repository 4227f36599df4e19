package xfs

import (
	"testing"

	"iomaplab/blockdev"
	"iomaplab/check"
	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// truncateCowWriteback is the catalogue's truncate-cow-writeback: f's 256k
// are dirty over blocks g shares; writeback converts the COW reservation,
// caches that COW mapping at folio 0 and parks in map_blocks at folio 1.
// Truncate to 140k cancels the staging blocks past it and drops folios
// 35-63; a write dirties 140k-148k again over a data-fork hole, past the
// pass's first writeback_iter batch (31 folios), so the resumed pass meets
// those folios: its cached COW mapping still covers them but names freed
// staging blocks, and only the COW fork's sequence (bumped by the cancel)
// says so.
func truncateCowWriteback(t *testing.T, v variant.Variant, seed uint64) (viol []blockdev.Violation, dataOK bool, checkErr error) {
	w := controlled(seed, lab.Rule{Point: "iomap.wb.map_blocks", Thread: "wb", Hit: 2, Action: lab.Park})
	var ref check.RefFile
	var got []byte
	res := w.Run(func(lt *lab.Thread) {
		dev := newDev()
		fs := Mount(lt, dev, Options{Variant: v, CowExtSize: 1 << 20})
		f, g := fs.OpenInode(lt, "f"), fs.OpenInode(lt, "g")
		write := func(lt *lab.Thread, b byte, off, n int64) {
			p := fill(b, int(n))
			if _, err := f.Pwrite(lt, vfs.Plain(p), off); err != nil {
				t.Errorf("pwrite: %v", err)
			}
			ref.Write(p, off)
		}
		write(lt, 0x59, 0, 256<<10)
		if err := f.Fsync(lt); err != nil {
			t.Errorf("fsync: %v", err)
		}
		if err := g.CloneRange(lt, f, 0, 0, 0); err != nil {
			t.Errorf("clone: %v", err)
		}
		write(lt, 0x57, 0, 256<<10)
		var grp group
		grp.Go(lt, "wb", func(lt *lab.Thread) {
			if err := f.SyncRange(lt, 0, 256<<10); err != nil {
				t.Errorf("sync-range: %v", err)
			}
		})
		grp.Go(lt, "tr", func(lt *lab.Thread) {
			lt.AwaitParked("wb")
			if err := f.Truncate(lt, 140<<10); err != nil {
				t.Errorf("truncate: %v", err)
			}
			ref.Truncate(140 << 10)
			write(lt, 0x41, 140<<10, 8<<10)
			lt.Release("wb")
		})
		grp.Wait(lt)
		viol = dev.Violations(lt)
		if err := fs.Remount(lt); err != nil {
			t.Errorf("remount: %v", err)
		}
		got = readAll(lt, t, f)
		checkErr = fs.CheckCleared(lt)
	})
	mustOK(t, res)
	return viol, ref.Compare(got) == nil, checkErr
}

// TestTruncateCowWriteback: clean as on 6.18; the wb-trust-cow-map mutation
// (6.12's xfs_imap_valid, which trusts a COW mapping that covers the
// offset) writes the freed staging blocks (a false alarm the model raised
// under correct while it followed 6.12 here).
func TestTruncateCowWriteback(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		if viol, ok, err := truncateCowWriteback(t, variant.Correct, seed); len(viol) > 0 || !ok || err != nil {
			t.Fatalf("correct, seed %d: violations %v, data ok %v, check %v", seed, viol, ok, err)
		}
		viol, _, _ := truncateCowWriteback(t, variant.WBTrustCowMap, seed)
		if len(viol) == 0 || viol[0].Kind != blockdev.WriteUnowned {
			t.Fatalf("wb-trust-cow-map, seed %d: ownership oracle did not fire: %v", seed, viol)
		}
	}
}
