package pagecache

import (
	"fmt"

	"github.com/google/btree"

	"iomaplab/lab"
)

// Cache is one inode's page cache (struct address_space).
type Cache struct {
	folioSize int64

	xa   lab.Mutex             // i_pages lock: guards index and free
	idx  *btree.BTreeG[*Folio] // folios by Pos
	free [][]byte              // recycled folio buffers (a pre-faulted pool)
	// wbWait is the wait queue of folio_wait_writeback for this cache's folios.
	wbWait lab.Event
}

// maxFree bounds the recycled buffer pool.
const maxFree = 64

// New returns an empty cache whose folios are folioSize bytes: a power of two
// from PageSize to MaxFolioSize.
func New(folioSize int64) *Cache {
	if folioSize < PageSize || folioSize > MaxFolioSize || folioSize&(folioSize-1) != 0 {
		panic(fmt.Sprintf("pagecache: bad folio size %d", folioSize))
	}
	return &Cache{
		folioSize: folioSize,
		xa:        lab.Mutex{Name: "i_pages"},
		idx:       btree.NewG(8, func(a, b *Folio) bool { return a.Pos < b.Pos }),
		wbWait:    lab.Event{Name: "folio_wait_writeback"},
	}
}

// FolioSize is the size of every folio of the cache.
func (c *Cache) FolioSize() int64 { return c.folioSize }

// FolioPos rounds pos down to the start of the folio that holds it.
func (c *Cache) FolioPos(pos int64) int64 { return pos &^ (c.folioSize - 1) }

// Lookup returns the folio holding pos, unlocked, or nil (filemap_get_folio).
func (c *Cache) Lookup(t *lab.Thread, pos int64) *Folio {
	c.xa.Lock(t)
	defer c.xa.Unlock(t)
	f, _ := c.idx.Get(&Folio{Pos: c.FolioPos(pos)})
	return f
}

// GetLocked returns the folio holding pos, locked, creating it (with no
// uptodate block; its memory holds garbage, as a fresh page does, until
// read, zeroed or written) if create is set; nil if it is absent and
// create is not set (__filemap_get_folio with FGP_LOCK [|FGP_CREAT]).
func (c *Cache) GetLocked(t *lab.Thread, pos int64, create bool) *Folio {
	for {
		c.xa.Lock(t)
		key := &Folio{Pos: c.FolioPos(pos)}
		f, ok := c.idx.Get(key)
		if !ok {
			if !create {
				c.xa.Unlock(t)
				return nil
			}
			f = c.allocLocked(key.Pos)
			// A new folio is locked before it is visible, as
			// filemap_add_folio does; TryLock cannot fail on it.
			if !f.Lock.TryLock(t) {
				panic("pagecache: new folio already locked")
			}
			c.idx.ReplaceOrInsert(f)
			c.xa.Unlock(t)
			return f
		}
		c.xa.Unlock(t)
		f.Lock.Lock(t)
		//mutant:pagecache-get-locked-recheck true
		if !f.removed.Load() {
			return f
		}
		f.Lock.Unlock(t) // truncated or reclaimed under us: look again
	}
}

func (c *Cache) allocLocked(pos int64) *Folio {
	var data []byte
	if n := len(c.free); n > 0 {
		data, c.free = c.free[n-1], c.free[:n-1]
	} else {
		data = make([]byte, c.folioSize)
	}
	return &Folio{Pos: pos, Size: c.folioSize, Data: data, cache: c,
		Lock: lab.BitLock{Mutex: lab.Mutex{Name: "folio_lock"}}}
}

// Prefault fills the recycled buffer pool with n folio buffers, touched, so
// that benchmarks measure copies rather than page faults of fresh memory.
func (c *Cache) Prefault(t *lab.Thread, n int) {
	c.xa.Lock(t)
	defer c.xa.Unlock(t)
	for len(c.free) < n {
		b := make([]byte, c.folioSize)
		for i := 0; i < len(b); i += PageSize {
			b[i] = 1
		}
		c.free = append(c.free, b)
	}
}

// Remove deletes a locked folio from the cache (__filemap_remove_folio).
// Like the kernel's, it does not refuse a folio under writeback: its
// callers wait for writeback first (truncate_inode_pages_range's
// folio_wait_writeback) or skip such folios (reclaim), and a caller that
// did not would let the I/O in flight land in blocks the remover then
// frees, which the ownership and data oracles see. The ioends already hold
// the folio's bytes, and EndWriteback still clears the flag.
// Preconditions: folio locked and clean.
func (c *Cache) Remove(t *lab.Thread, f *Folio) {
	if f.dirty.Load() {
		panic(fmt.Sprintf("pagecache: remove of dirty %v", f))
	}
	c.xa.Lock(t)
	c.idx.Delete(f)
	f.removed.Store(true)
	if len(c.free) < maxFree {
		c.free = append(c.free, f.Data)
	}
	c.xa.Unlock(t)
	f.Data = nil
}

// Next returns the first folio that ends after start and begins before end,
// unlocked, or nil, filtered by sel (Dirty is a walk of the dirty tag).
func (c *Cache) Next(t *lab.Thread, start, end int64, sel Select) *Folio {
	c.xa.Lock(t)
	defer c.xa.Unlock(t)
	var found *Folio
	c.idx.AscendGreaterOrEqual(&Folio{Pos: c.FolioPos(start)}, func(f *Folio) bool {
		if f.Pos >= end {
			return false
		}
		switch sel {
		case Dirty:
			if !f.dirty.Load() {
				return true
			}
		case DirtyOrWriteback:
			if !f.dirty.Load() && !f.writeback.Load() {
				return true
			}
		case Writeback:
			if !f.writeback.Load() {
				return true
			}
		}
		found = f
		return false
	})
	return found
}

// Select filters Next.
type Select int

const (
	// Any selects every folio.
	Any Select = iota
	// Dirty selects folios with PG_dirty (PAGECACHE_TAG_DIRTY).
	Dirty
	// DirtyOrWriteback selects folios that are dirty or under writeback.
	DirtyOrWriteback
	// Writeback selects folios under writeback (PAGECACHE_TAG_WRITEBACK).
	Writeback
)

// Len is the number of folios in the cache.
func (c *Cache) Len(t *lab.Thread) int {
	c.xa.Lock(t)
	defer c.xa.Unlock(t)
	return c.idx.Len()
}

// Folios returns the cached folios overlapping [start, end), in order, unlocked.
func (c *Cache) Folios(t *lab.Thread, start, end int64) []*Folio {
	c.xa.Lock(t)
	defer c.xa.Unlock(t)
	var out []*Folio
	c.idx.AscendGreaterOrEqual(&Folio{Pos: c.FolioPos(start)}, func(f *Folio) bool {
		if f.Pos >= end {
			return false
		}
		out = append(out, f)
		return true
	})
	return out
}
