package pagecache

import (
	"testing"

	"iomaplab/lab"
)

func run(t *testing.T, fn func(lt *lab.Thread)) {
	t.Helper()
	if res := lab.NewFree().Run(fn); !res.OK() {
		t.Fatal(res)
	}
}

// populate fills c with n uptodate page-sized folios from offset 0,
// calling prep on each (locked) before it is unlocked.
func populate(lt *lab.Thread, c *Cache, n int64, prep func(i int64, f *Folio)) {
	for i := range n {
		f := c.GetLocked(lt, i*PageSize, true)
		f.SetUptodate(0, PageSize)
		prep(i, f)
		f.Unlock(lt)
	}
}

func TestReclaimSkipsDirtyAndWriteback(t *testing.T) {
	run(t, func(lt *lab.Thread) {
		c := New(PageSize)
		populate(lt, c, 3, func(i int64, f *Folio) {
			switch i {
			case 1:
				f.MarkDirty(0, 10)
			case 2:
				f.StartWriteback()
			}
		})
		if n := c.Reclaim(lt, 0, 3*PageSize); n != 1 {
			t.Errorf("reclaimed %d folios, want 1 (clean, idle)", n)
		}
		f := c.Lookup(lt, 2*PageSize)
		f.EndWriteback(lt)
		if n := c.Reclaim(lt, 0, 3*PageSize); n != 1 || c.Len(lt) != 1 {
			t.Errorf("after writeback ended: reclaimed %d, %d left", n, c.Len(lt))
		}
	})
}

func TestWritebackRefsAndWriteProtect(t *testing.T) {
	run(t, func(lt *lab.Thread) {
		c := New(PageSize)
		f := c.GetLocked(lt, 0, true)
		f.SetUptodate(0, PageSize)
		f.MarkDirty(0, PageSize)
		f.SetWritable()
		if !f.ClearDirtyForIO() || f.Writable() || !f.WriteProtected() {
			t.Fatal("clear_dirty_for_io must write-protect a writable folio")
		}
		f.StartWriteback()
		f.GetWriteback()
		f.EndWriteback(lt) // the bias
		if !f.Writeback() {
			t.Fatal("writeback ended with an ioend range outstanding")
		}
		f.EndWriteback(lt)
		if f.Writeback() {
			t.Fatal("writeback did not end")
		}
		f.WaitWriteback(lt)
		f.Unlock(lt)
	})
}

func TestTruncateRangePartialLargeFolio(t *testing.T) {
	run(t, func(lt *lab.Thread) {
		c := New(4 * BlockSize)
		f := c.GetLocked(lt, 0, true)
		for i := range f.Data {
			f.Data[i] = 0xaa
		}
		f.SetUptodate(0, f.Size)
		f.MarkDirty(0, f.Size)
		f.dirty.Store(false) // pretend it was written back, blocks still marked
		f.dirtyBlk = blockBits{}
		f.Unlock(lt)
		// Drop bytes [100, 2 blocks + 10): block 1 wholly, blocks 0 and 2 partly.
		c.TruncateRange(lt, 100, 2*BlockSize+10)
		f = c.GetLocked(lt, 0, false)
		defer f.Unlock(lt)
		if f.Data[99] != 0xaa || f.Data[100] != 0 || f.Data[2*BlockSize+9] != 0 || f.Data[2*BlockSize+10] != 0xaa {
			t.Error("partial blocks not zeroed exactly over the range")
		}
		if !f.BlockUptodate(0) || f.BlockUptodate(1) || !f.BlockUptodate(2) || !f.BlockUptodate(3) {
			t.Error("only the wholly covered block may lose its uptodate bit")
		}
	})
}
