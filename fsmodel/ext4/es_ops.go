package ext4

import (
	"iomaplab/extent"
	"iomaplab/lab"
)

// This file models fs/ext4/extents_status.c's entry points: each takes
// i_es_lock itself, and every change of an entry's status bumps i_es_seq
// under it (ext4_es_inc_seq, from the ext4 iomap series). Caching what the
// on-disk tree says (holes, extents found by lookups) changes no status and
// does not bump it.

// esLookup is ext4_es_lookup_extent: the entry holding lblk, under i_es_lock
// shared only (no i_data_sem: the "lockless" lookup of ext4_da_map_blocks).
func (in *inode) esLookup(t *lab.Thread, lblk uint64) (esEntry, bool) {
	e, ok, _ := in.esLookupSeq(t, lblk)
	return e, ok
}

// esLookupSeq is esLookup that also samples i_es_seq in the same i_es_lock
// hold (the ext4 iomap series' lookup with &map->m_seq): the validity
// cookie of a mapping made from the entry.
func (in *inode) esLookupSeq(t *lab.Thread, lblk uint64) (esEntry, bool, uint64) {
	in.iEsLock.RLock(t)
	defer in.iEsLock.RUnlock(t)
	e, ok := in.es.lookup(lblk)
	return e, ok, in.esSeq.Load()
}

// esNextEntry returns the start of the first entry after lblk, or
// extent.MaxBlock (ext4_es_find_extent_range from lblk+1).
func (in *inode) esNextEntry(t *lab.Thread, lblk uint64) uint64 {
	in.iEsLock.RLock(t)
	defer in.iEsLock.RUnlock(t)
	next := extent.MaxBlock
	in.es.t.AscendGreaterOrEqual(esKey(lblk+1), func(e esEntry) bool {
		next = e.Start
		return false
	})
	return next
}

// esInsert is ext4_es_insert_extent (Linux 6.18): map e.Range to e,
// replacing any entry, and return the replaced entries; 6.18 gives back the
// reservations of replaced delayed blocks in here (6.12), the model in its
// caller (extMapBlocks, which also keeps 6.8's accounting for
// variant.Ext4Linux68). Tracepoint ext4_es_insert_extent (ino, lblk,
// len, pblk, status) marks the moment a new mapping becomes visible to
// lockless lookups.
func (in *inode) esInsert(t *lab.Thread, e esEntry) []esEntry {
	in.iEsLock.Lock(t)
	old := in.es.insert(e)
	//mutant:ext4-es-seq-bump-insert delete
	in.esSeq.Add(1)
	in.iEsLock.Unlock(t)
	t.Tracepoint("ext4_es_insert_extent", lab.F("ino", int64(in.ino)), lab.F("lblk", int64(e.Start)),
		lab.F("len", int64(e.Len())), lab.F("pblk", int64(e.pblk)), lab.F("status", int64(e.status)))
	return old
}

// esCache is ext4_es_cache_extent: remember what the on-disk tree says for
// the blocks of e that have no entry.
func (in *inode) esCache(t *lab.Thread, e esEntry) {
	in.iEsLock.Lock(t)
	defer in.iEsLock.Unlock(t)
	in.es.cache(e)
}

// esInsertDelayed is ext4_es_insert_delayed_block (ext4_es_insert_delayed_extent
// for a range): the blocks of r become delayed, replacing whatever entries
// covered them. It emits tracepoint ext4_es_insert_delayed_block with the
// first allocated status it replaced (or hole/none), so a delayed insert
// over an unwritten entry (the seed's corruption) is visible.
func (in *inode) esInsertDelayed(t *lab.Thread, r extent.Range) {
	in.iEsLock.Lock(t)
	old := in.es.insert(esEntry{Range: r, status: esDelayed})
	//mutant:ext4-es-seq-bump-delayed delete
	in.esSeq.Add(1)
	in.iEsLock.Unlock(t)
	replaced := esNone
	for _, e := range old {
		if replaced == esNone || e.status.physical() && !replaced.physical() {
			replaced = e.status
		}
	}
	t.Tracepoint("ext4_es_insert_delayed_block", lab.F("ino", int64(in.ino)), lab.F("lblk", int64(r.Start)),
		lab.F("len", int64(r.Len())), lab.F("replaced", int64(replaced)))
	note(t, "  ext4_es_insert_delayed_block(%v) over %v", r, replaced)
}

// esRemoveExtent is ext4_es_remove_extent: drop every entry in r and release
// the reservations of the delayed blocks among them (ext4_da_release_space).
func (in *inode) esRemoveExtent(t *lab.Thread, r extent.Range) {
	in.iEsLock.Lock(t)
	old := in.es.remove(r)
	var delayed uint64
	for _, e := range old {
		if e.status == esDelayed {
			delayed += e.Len()
		}
	}
	if len(old) > 0 {
		//mutant:ext4-es-seq-bump-remove delete
		in.esSeq.Add(1)
	}
	in.iEsLock.Unlock(t)
	in.daReleaseSpace(t, r.Start, delayed)
}

// esDelayedIn counts the delayed blocks in r (ext4_es_delayed_clu).
func (in *inode) esDelayedIn(t *lab.Thread, r extent.Range) uint64 {
	in.iEsLock.RLock(t)
	defer in.iEsLock.RUnlock(t)
	return in.es.delayedIn(r)
}
