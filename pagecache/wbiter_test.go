package pagecache

import (
	"slices"
	"testing"

	"iomaplab/lab"
)

// wbPass runs one writeback pass over c's first n folios and returns the
// positions it visited. At the first folio it calls during, as a racing
// thread would act between two folios of the pass.
func wbPass(lt *lab.Thread, c *Cache, n int64, syncAll bool, during func()) []int64 {
	var got []int64
	for f := range c.WritebackFolios(lt, 0, n*PageSize, syncAll) {
		got = append(got, f.Pos)
		f.ClearBlocksDirty(0, f.Size)
		f.dirty.Store(false)
		f.Unlock(lt)
		if len(got) == 1 {
			during()
		}
	}
	return got
}

// dirtyAt instantiates (or finds) the folio at pos and dirties it.
func dirtyAt(lt *lab.Thread, c *Cache, pos int64) {
	f := c.GetLocked(lt, pos, true)
	f.SetUptodate(0, PageSize)
	f.MarkDirty(0, PageSize)
	f.Unlock(lt)
}

// TestWritebackFoliosSyncAllSkipsLaterDirt checks tag_pages_for_writeback:
// a WB_SYNC_ALL pass writes the folios dirty when it began, not a folio
// dirtied after; a WB_SYNC_NONE pass writes both.
func TestWritebackFoliosSyncAllSkipsLaterDirt(t *testing.T) {
	for _, syncAll := range []bool{true, false} {
		run(t, func(lt *lab.Thread) {
			c := New(PageSize)
			populate(lt, c, 4, func(i int64, f *Folio) {
				if i != 3 {
					f.MarkDirty(0, PageSize)
				}
			})
			got := wbPass(lt, c, 4, syncAll, func() { dirtyAt(lt, c, 3*PageSize) })
			want := []int64{0, PageSize, 2 * PageSize, 3 * PageSize}
			if syncAll {
				want = want[:3]
			}
			if !slices.Equal(got, want) {
				t.Errorf("syncAll=%v: visited %v, want %v", syncAll, got, want)
			}
		})
	}
}

// TestWritebackFoliosBatch checks the batched lookup: a folio truncated
// after the pass looked its batch up is skipped, and one instantiated
// again at that index is not visited (the index moved past the batch); past
// the batch, a new folio is visited.
func TestWritebackFoliosBatch(t *testing.T) {
	run(t, func(lt *lab.Thread) {
		const n = WritebackBatch + 4
		c := New(PageSize)
		populate(lt, c, n, func(_ int64, f *Folio) { f.MarkDirty(0, PageSize) })
		truncate := func() {
			c.TruncateRange(lt, 2*PageSize, n*PageSize)
			dirtyAt(lt, c, 2*PageSize)              // inside the first batch's span
			dirtyAt(lt, c, WritebackBatch*PageSize) // past it
		}
		got := wbPass(lt, c, n, false, truncate)
		want := []int64{0, PageSize, WritebackBatch * PageSize}
		if !slices.Equal(got, want) {
			t.Errorf("visited %v, want %v", got, want)
		}
	})
}
