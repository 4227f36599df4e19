package ext4

import (
	"fmt"

	"github.com/google/btree"

	"iomaplab/extent"
)

// esStatus is an extent-status entry's status (EXTENT_STATUS_WRITTEN,
// _UNWRITTEN, _DELAYED, _HOLE). Its numeric value is what tracepoints carry
// in their status field; esNone (0) means "no entry".
type esStatus uint8

const (
	esNone esStatus = iota
	esHole
	esDelayed
	esUnwritten
	esWritten
)

func (s esStatus) String() string {
	return [...]string{"none", "hole", "delayed", "unwritten", "written"}[s]
}

// physical reports whether entries of status s map physical blocks.
func (s esStatus) physical() bool { return s == esUnwritten || s == esWritten }

// esEntry is one extent-status entry (struct extent_status): file blocks
// [Start, End) in one status; PBlk is the physical block of Start for
// written and unwritten entries, 0 otherwise.
type esEntry struct {
	extent.Range
	status esStatus
	pblk   uint64
}

func (e esEntry) String() string {
	if e.status.physical() {
		return fmt.Sprintf("%v %v@%d", e.Range, e.status, e.pblk)
	}
	return fmt.Sprintf("%v %v", e.Range, e.status)
}

// clip returns the part of e inside r, pblk adjusted.
func (e esEntry) clip(r extent.Range) esEntry {
	c := esEntry{Range: e.Intersect(r), status: e.status}
	if e.status.physical() {
		c.pblk = e.pblk + (c.Start - e.Start)
	}
	return c
}

// esTree is an inode's extent status tree (struct ext4_es_tree): a cache of
// the on-disk extent tree (written, unwritten entries and holes that lookups
// found) plus the delayed-allocation entries that exist nowhere else. Blocks
// with no entry are unknown: a lookup must consult the on-disk tree.
//
// Locking: the owner holds i_es_lock (shared for lookup and walk, exclusive
// for insert, cache and remove). Entries never overlap; neighbours are not
// merged (the kernel merges only opportunistically).
type esTree struct {
	t *btree.BTreeG[esEntry] // by Start
}

func newESTree() esTree {
	return esTree{t: btree.NewG(8, func(a, b esEntry) bool { return a.Start < b.Start })}
}

func esKey(lblk uint64) esEntry { return esEntry{Range: extent.Range{Start: lblk, End: lblk}} }

// lookup returns the entry holding lblk (__es_tree_search).
func (es esTree) lookup(lblk uint64) (esEntry, bool) {
	var found esEntry
	ok := false
	es.t.DescendLessOrEqual(esKey(lblk), func(e esEntry) bool {
		found, ok = e, e.Contains(lblk)
		return false
	})
	return found, ok
}

// overlapping returns the entries sharing a block with r, unclipped, in order.
func (es esTree) overlapping(r extent.Range) []esEntry { return extent.Overlapping(es.t, r, esKey) }

// remove deletes r from the tree, splitting entries that straddle its ends,
// and returns the removed pieces clipped to r, in order (__es_remove_extent).
func (es esTree) remove(r extent.Range) []esEntry {
	var removed []esEntry
	for _, e := range es.overlapping(r) {
		es.t.Delete(e)
		if e.Start < r.Start {
			es.t.ReplaceOrInsert(e.clip(extent.Range{Start: e.Start, End: r.Start}))
		}
		if r.End < e.End {
			es.t.ReplaceOrInsert(e.clip(extent.Range{Start: r.End, End: e.End}))
		}
		removed = append(removed, e.clip(r))
	}
	return removed
}

// insert maps e.Range to e, replacing whatever entries were there, and
// returns the replaced pieces (__es_remove_extent + __es_insert_extent).
func (es esTree) insert(e esEntry) []esEntry {
	old := es.remove(e.Range)
	es.t.ReplaceOrInsert(e)
	return old
}

// cache inserts e only over the blocks of e.Range that have no entry
// (ext4_es_cache_extent: caching what a lookup found never overrides a
// newer entry, e.g. a delayed one).
func (es esTree) cache(e esEntry) {
	pos := e.Start
	var gaps []extent.Range
	for _, o := range es.overlapping(e.Range) {
		if pos < o.Start {
			gaps = append(gaps, extent.Range{Start: pos, End: o.Start})
		}
		pos = max(pos, o.End)
	}
	if pos < e.End {
		gaps = append(gaps, extent.Range{Start: pos, End: e.End})
	}
	for _, g := range gaps {
		es.t.ReplaceOrInsert(e.clip(g))
	}
}

// all returns every entry in order.
func (es esTree) all() []esEntry {
	var out []esEntry
	es.t.Ascend(func(e esEntry) bool {
		out = append(out, e)
		return true
	})
	return out
}

// delayedIn counts the delayed blocks inside r (ext4_es_delayed_clu with a
// cluster of one block).
func (es esTree) delayedIn(r extent.Range) uint64 {
	var n uint64
	for _, e := range es.overlapping(r) {
		if e.status == esDelayed {
			n += e.clip(r).Len()
		}
	}
	return n
}
