package xfs

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"iomaplab/blockdev"
	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// reflinked runs fn on a model holding f (16 KiB of 0x41, written back in
// one extent) and g, a whole-file clone of f.
func reflinked(t *testing.T, opts Options, fn func(lt *lab.Thread, fs *FS, f, g *Inode)) {
	t.Helper()
	mustOK(t, controlled(1).Run(func(lt *lab.Thread) {
		fs := Mount(lt, newDev(), opts)
		f, g := fs.OpenInode(lt, "f"), fs.OpenInode(lt, "g")
		if _, err := f.Pwrite(lt, vfs.Plain(fill(0x41, 16<<10)), 0); err != nil {
			t.Fatal(err)
		}
		if err := f.Fsync(lt); err != nil {
			t.Fatal(err)
		}
		if err := g.CloneRange(lt, f, 0, 0, 0); err != nil {
			t.Fatalf("clone: %v", err)
		}
		mustCheck(t, lt, fs)
		fn(lt, fs, f, g)
	}))
}

func mustCheck(t *testing.T, lt *lab.Thread, fs *FS) {
	t.Helper()
	if err := fs.Check(lt); err != nil {
		t.Fatalf("fsck: %v", err)
	}
}

func wantData(t *testing.T, lt *lab.Thread, f *Inode, want []byte) {
	t.Helper()
	if got := readAll(lt, t, f); !bytes.Equal(got, want) {
		t.Fatalf("%s: data differs (%d bytes, want %d); first bytes %x", f.Name(), len(got), len(want), got[:min(len(got), 8)])
	}
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// TestReflinkCowWrite: a clone shares every block; a partial overwrite of
// f reserves COW delalloc rounded out to the extent size hint, reads the
// shared block for the rest of the block, writes back to a staging block
// and remaps it at completion, leaving g's data and the rest of the sharing
// alone; remount drops the COW preallocation.
func TestReflinkCowWrite(t *testing.T) {
	reflinked(t, Options{}, func(lt *lab.Thread, fs *FS, f, g *Inode) {
		p := f.Extents(lt)[0].PBlk
		if got := fmt.Sprint(fs.space.Refs(lt)); got != fmt.Sprintf("[[%d, %d) x2]", p, p+4) {
			t.Fatalf("refcounts after clone: %s", got)
		}
		fs.DropCaches(lt)
		wantData(t, lt, g, fill(0x41, 16<<10)) // read through the shared blocks
		if _, err := f.Pwrite(lt, vfs.Plain(fill(0x42, 100)), 5000); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(f.CowExtents(lt)); got != "[[0, 32) delalloc]" {
			t.Errorf("COW fork after the write: %s, want the default 32-block hint", got)
		}
		mustCheck(t, lt, fs)
		if err := f.Fsync(lt); err != nil {
			t.Fatal(err)
		}
		mustCheck(t, lt, fs)
		want := cat(fill(0x41, 5000), fill(0x42, 100), fill(0x41, 16<<10-5100))
		wantData(t, lt, f, want)
		wantData(t, lt, g, fill(0x41, 16<<10))
		refs := fmt.Sprint(fs.space.Refs(lt))
		if wantRefs := fmt.Sprintf("[[%d, %d) x2 [%d, %d) x2]", p, p+1, p+2, p+4); refs != wantRefs {
			t.Errorf("refcounts after the COW: %s, want %s (block 1 unshared)", refs, wantRefs)
		}
		if e := f.Extents(lt); len(e) != 3 || e[1].PBlk == p+1 {
			t.Errorf("f's block 1 was not remapped: %v", e)
		}
		if fs.Stats.CowRemapped.Load() != 1 {
			t.Errorf("CowRemapped %d", fs.Stats.CowRemapped.Load())
		}
		if err := fs.Remount(lt); err != nil {
			t.Fatal(err)
		}
		if err := fs.CheckCleared(lt); err != nil {
			t.Fatal(err)
		}
		if c := f.CowExtents(lt); len(c) != 0 {
			t.Errorf("COW fork after remount: %v", c)
		}
		if used := fs.space.Stats(lt).Used; used != 5 {
			t.Errorf("%d blocks used after remount, want 5 (4 shared + f's new block 1)", used)
		}
		wantData(t, lt, f, want)
		wantData(t, lt, g, fill(0x41, 16<<10))
	})
}

// TestReflinkUnshareFrees: overwriting, punching and truncating both files
// brings every refcount back to 1 and frees every block.
func TestReflinkUnshareFrees(t *testing.T) {
	reflinked(t, Options{CowExtSize: 16 << 10}, func(lt *lab.Thread, fs *FS, f, g *Inode) {
		if _, err := g.Pwrite(lt, vfs.Plain(fill(0x47, 16<<10)), 0); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(g.CowExtents(lt)); got != "[[0, 4) delalloc]" {
			t.Errorf("COW fork with a 16k hint: %s", got)
		}
		if err := g.Fsync(lt); err != nil {
			t.Fatal(err)
		}
		mustCheck(t, lt, fs)
		if refs := fs.space.Refs(lt); len(refs) != 0 {
			t.Errorf("refcounts after g overwrote everything: %v", refs)
		}
		wantData(t, lt, f, fill(0x41, 16<<10))
		wantData(t, lt, g, fill(0x47, 16<<10))
		// Share again, then drop f's references by punch and truncate.
		if err := f.CloneRange(lt, g, 0, 0, 0); err != nil {
			t.Fatal(err)
		}
		if got := fs.space.Stats(lt).Used; got != 4 {
			t.Errorf("re-clone: %d blocks used, want 4 (f's old blocks freed)", got)
		}
		if err := f.Fallocate(lt, vfs.FallocPunch, 0, 8<<10); err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(lt, 0); err != nil {
			t.Fatal(err)
		}
		mustCheck(t, lt, fs)
		if refs := fs.space.Refs(lt); len(refs) != 0 {
			t.Errorf("refcounts after f let go: %v", refs)
		}
		if err := g.Truncate(lt, 0); err != nil {
			t.Fatal(err)
		}
		if err := fs.Remount(lt); err != nil {
			t.Fatal(err)
		}
		if err := fs.CheckCleared(lt); err != nil {
			t.Fatal(err)
		}
		if st := fs.space.Stats(lt); st.Used != 0 || fs.dev.OwnedBlocks(lt) != 0 {
			t.Errorf("after both truncates: %+v, %d owned", st, fs.dev.OwnedBlocks(lt))
		}
	})
}

// TestCloneRangeChecks: misaligned or out-of-range clones are EINVAL; a
// partial clone shares only its blocks, and the shared mapping's cookie
// carries both forks' sequences.
func TestCloneRangeChecks(t *testing.T) {
	reflinked(t, Options{}, func(lt *lab.Thread, fs *FS, f, g *Inode) {
		h := fs.OpenInode(lt, "h")
		for _, c := range [][3]int64{{1, 0, 4096}, {0, 0, 20 << 10}, {0, 0, 100}} {
			if err := h.CloneRange(lt, f, c[0], c[1], c[2]); err == nil {
				t.Errorf("CloneRange%v succeeded", c)
			}
		}
		if err := h.CloneRange(lt, f, 8<<10, 4<<10, 8<<10); err != nil {
			t.Fatal(err)
		}
		if size, _ := h.Size(lt); size != 12<<10 {
			t.Errorf("h size %d", size)
		}
		wantData(t, lt, h, cat(fill(0, 4<<10), fill(0x41, 8<<10)))
		mustCheck(t, lt, fs)
		p := f.Extents(lt)[0].PBlk
		if got := fmt.Sprint(fs.space.Refs(lt)); got != fmt.Sprintf("[[%d, %d) x2 [%d, %d) x3]", p, p+2, p+2, p+4) {
			t.Errorf("refcounts: %s", got)
		}
		m, err := h.write.Begin(lt, 4<<10, 4096, 0)
		if err != nil || m.Flags&0x2 == 0 || m.Cookie != h.CowSeq()<<32|h.Seq() {
			t.Errorf("shared write mapping %v (err %v), cow seq %d, data seq %d", m, err, h.CowSeq(), h.Seq())
		}
	})
}

// TestWriteInPlaceToSharedBlockIsReported is the oracle self-test: a data
// write that lands in place on a shared block is a block-ownership
// violation that fsck reports, even though the writer owns the block.
func TestWriteInPlaceToSharedBlockIsReported(t *testing.T) {
	reflinked(t, Options{}, func(lt *lab.Thread, fs *FS, f, g *Inode) {
		p := f.Extents(lt)[0].PBlk
		fs.dev.Write(lt, p+2, fill(0x99, bs), blockdev.Owner{Ino: uint64(f.Ino()), FBlk: 2})
		err := fs.Check(lt)
		if err == nil || !strings.Contains(err.Error(), "write-shared") {
			t.Fatalf("fsck after a write in place to a shared block: %v", err)
		}
		wantData(t, lt, g, fill(0x41, 16<<10)) // the write was rejected
	})
}

// TestFsckCatchesUnrecordedSharing: two files mapping one block without a
// refcount record is still "owned twice".
func TestFsckCatchesUnrecordedSharing(t *testing.T) {
	reflinked(t, Options{}, func(lt *lab.Thread, fs *FS, f, g *Inode) {
		p := f.Extents(lt)[0].PBlk
		fs.space.Release(lt, p, 1) // the refcount forgets one owner of block p
		err := fs.Check(lt)
		if err == nil || !strings.Contains(err.Error(), "owned twice") {
			t.Fatalf("fsck: %v", err)
		}
	})
}

// TestWritebackCowSeq is xfs/558's race, directed: writeback caches a
// data-fork mapping over blocks 0-3 of f, whose blocks 2-3 g shares, and
// parks at folio 1; a write to blocks 2-3 reserves COW delalloc over the
// whole hint-sized range. Resumed, writeback must see the COW fork's new
// seq (wb_cow_iomap_invalid) and write through the COW fork; without that
// check (wb-no-cow-validate) it writes the shared blocks in place.
func TestWritebackCowSeq(t *testing.T) {
	for _, v := range []variant.Variant{variant.Correct, variant.WBNoCowValidate} {
		var viol error
		var dataOK bool
		w := controlled(1, lab.Rule{Point: "iomap.wb.map_blocks", Thread: "syncer", Hit: 2, Action: lab.Park})
		r := w.Run(func(lt *lab.Thread) {
			fs := Mount(lt, newDev(), Options{Variant: v, CowExtSize: 1 << 20})
			f, g := fs.OpenInode(lt, "f"), fs.OpenInode(lt, "g")
			f.Pwrite(lt, vfs.Plain(fill(0x59, 16<<10)), 0)
			f.Fsync(lt)
			g.CloneRange(lt, f, 0, 0, 0)
			g.Fallocate(lt, vfs.FallocPunch, 0, 8<<10) // g keeps blocks 2-3 shared
			f.Pwrite(lt, vfs.Plain(fill(0x57, 8<<10)), 0)
			var grp group
			grp.Go(lt, "syncer", func(u *lab.Thread) { f.SyncRange(u, 0, 16<<10) })
			lt.AwaitParked("syncer")
			f.Pwrite(lt, vfs.Plain(fill(0x56, 8<<10)), 8<<10)
			lt.Release("syncer")
			grp.Wait(lt)
			f.Fsync(lt)
			fs.Remount(lt)
			dataOK = bytes.Equal(readAll(lt, t, f), cat(fill(0x57, 8<<10), fill(0x56, 8<<10))) &&
				bytes.Equal(readAll(lt, t, g), cat(fill(0, 8<<10), fill(0x59, 8<<10)))
			viol = fs.CheckCleared(lt)
		})
		switch {
		case v == variant.Correct:
			mustOK(t, r)
			if viol != nil || !dataOK {
				t.Errorf("correct: data right %v, oracles: %v", dataOK, viol)
			}
			if n := r.Trace.Count("wb_cow_iomap_invalid"); n < 1 {
				t.Errorf("correct: wb_cow_iomap_invalid fired %d times", n)
			}
		default:
			if viol == nil || !strings.Contains(viol.Error(), "write-shared") || dataOK {
				t.Errorf("%v: data right %v (the rejected write loses f's blocks 2-3), oracles: %v", v, dataOK, viol)
			}
			if r.Trace.Count("wb_cow_stale_reached") < 1 {
				t.Errorf("%v: the stale COW check was never reached", v)
			}
		}
	}
}

// TestReflinkConcurrent races writes, mmap stores, writeback and cache
// drops on both sides of a clone under controlled random schedules (1m COW
// hint: every write lands in one COW extent): every oracle must stay quiet
// (protocol included, whose shared-cookie test sees both forks) and both
// files must hold what their disjoint writers wrote.
func TestReflinkConcurrent(t *testing.T) {
	seeds := uint64(40)
	if testing.Short() {
		seeds = 10
	}
	for seed := uint64(1); seed <= seeds; seed++ {
		var f, g *Inode
		var fs *FS
		var checkErr error
		var gotF, gotG []byte
		r := controlled(seed).Run(func(lt *lab.Thread) {
			fs = Mount(lt, newDev(), Options{CowExtSize: 1 << 20})
			f, g = fs.OpenInode(lt, "f"), fs.OpenInode(lt, "g")
			f.Pwrite(lt, vfs.Plain(fill(0x59, 64<<10)), 0)
			f.Fsync(lt)
			g.CloneRange(lt, f, 0, 0, 0)
			var grp group
			grp.Go(lt, "a", func(u *lab.Thread) {
				f.Pwrite(u, vfs.Plain(fill(0x61, 16<<10)), 0)
				f.Fsync(u)
				f.MapStore(u, fill(0x63, 4<<10), 32<<10)
			})
			grp.Go(lt, "b", func(u *lab.Thread) {
				f.Pwrite(u, vfs.Plain(fill(0x62, 16<<10)), 16<<10)
				f.SyncRange(u, 0, 64<<10)
			})
			grp.Go(lt, "c", func(u *lab.Thread) {
				g.Pwrite(u, vfs.Plain(fill(0x67, 32<<10)), 0)
				g.Fsync(u)
			})
			grp.Go(lt, "d", func(u *lab.Thread) {
				f.FadviseDontneed(u, 0, 0)
				g.Reclaim(u, 0, 0)
			})
			grp.Wait(lt)
			if err := fs.Remount(lt); err != nil {
				checkErr = err
				return
			}
			gotF, gotG = readAll(lt, t, f), readAll(lt, t, g)
			checkErr = fs.CheckCleared(lt)
		})
		if !r.OK() || checkErr != nil {
			t.Fatalf("seed %d: %v; oracles: %v", seed, r, checkErr)
		}
		wantF := cat(fill(0x61, 16<<10), fill(0x62, 16<<10), fill(0x63, 4<<10), fill(0x59, 28<<10))
		wantG := cat(fill(0x67, 32<<10), fill(0x59, 32<<10))
		if !bytes.Equal(gotF, wantF) || !bytes.Equal(gotG, wantG) {
			t.Fatalf("seed %d: data differs (f ok %v, g ok %v)", seed, bytes.Equal(gotF, wantF), bytes.Equal(gotG, wantG))
		}
	}
}
