// Package variant holds the engine's mutation switches: each re-introduces
// one known stale-mapping bug so that the race lab can prove it finds it.
// The zero Variant is Correct, the default everywhere; only the lab sets
// others.
package variant

import (
	"fmt"
	"strings"
)

// Variant is a set of mutations.
type Variant uint

// The mutations, one line each.
const (
	// Correct is the kernel's behaviour: no mutation.
	Correct Variant = 0
	// NoValidate: iomap_write_begin's ->iomap_valid check always passes.
	NoValidate Variant = 1 << iota
	// WBNoValidate: writeback reuses its cached mapping without revalidating it.
	WBNoValidate
	// NoSeqBumpOnConvert: delalloc->real (writeback) and unwritten->written
	// (I/O completion) conversions do not bump the fork's sequence counter.
	NoSeqBumpOnConvert
	// CookieBeforeInsert: iomap_begin samples the cookie before inserting the
	// new delalloc extent, so every fresh delalloc mapping is born stale.
	CookieBeforeInsert
	// PunchIgnoresDirty: delalloc release after a short write punches the
	// whole unused range, also under dirty folios (pre-6.2 iomap; generic/346).
	PunchIgnoresDirty
	// ZeroSkipsDirtyUnwritten: zero range skips unwritten mappings even when
	// the page cache over them is dirty (no flush-and-stale).
	ZeroSkipsDirtyUnwritten
	// Ext4NoRecheck: ext4_da_map_blocks inserts delalloc without repeating the
	// extent-status lookup under i_data_sem (the seed's pre-fix code).
	Ext4NoRecheck
	// WBNoCowValidate: XFS writeback revalidates a cached data-fork mapping
	// against the data fork's sequence only, not the COW fork's
	// (xfs_imap_valid without its cow_seq check): a COW reservation made
	// after the mapping was cached does not redirect writeback, which
	// writes shared blocks in place (fstests xfs/558).
	WBNoCowValidate
	// WBTrustCowMap: XFS writeback keeps a cached COW (shared) mapping
	// valid while it covers the offset, without checking the COW fork's
	// sequence, as xfs_imap_valid reads in 6.12.118 (fs/xfs/xfs_aops.c:
	// "If this is a COW mapping, it is sufficient to check that the
	// mapping covers the offset"). The 6.18 kernel on the lab machine
	// checks it (docs/design.md, "COW mappings are revalidated"). A
	// truncate that cancels the staging blocks behind a running pass,
	// then a write that dirties the cut range again past the pass's
	// first writeback_iter batch, sends that folio to freed blocks: the
	// write is lost, as measured on Debian's 6.12.118 (4 of 600 races;
	// 6.18: 0 of 400).
	WBTrustCowMap
	// ShortCopyStale: __iomap_write_begin zeroes only the parts of a block
	// outside the write before marking it uptodate, so when the copy from
	// the user buffer comes up short (a fault) __iomap_write_end accepts it
	// and the uncopied rest of the write's range in that block keeps the
	// folio's previous contents: recycled memory, another file's data
	// (iomap from v4.19 until the stable fix "iomap: don't mark unwritten
	// parts of a folio uptodate", in 6.12.118; measured leaking on Debian's
	// 6.1.192: docs/findings.md). Correct zeroes the whole block.
	ShortCopyStale
	// Ext4NoDaMapSeq drops ext4 iomap v4 patch 06/23 ("ext4: pass out
	// extent seq counter when mapping da blocks"): ext4_da_map_blocks no
	// longer hands out the i_es_seq it sampled with its extent status
	// lookup, so ext4_iomap_buffered_write_begin takes the cookie when it
	// builds the iomap, after the lookup. A conversion that lands between
	// the two (writeback's unwritten -> written at I/O completion) is then
	// invisible to ext4_iomap_valid.
	Ext4NoDaMapSeq
	// Ext4NoMapSeq drops the cookie that ext4_map_blocks passes out in
	// map->m_seq ("ext4: pass out extent seq counter when mapping blocks",
	// Zhang Yi, 23 Sep 2025), on which ext4 iomap v4's non-delalloc write
	// path (patch 08/23, ext4_iomap_buffered_write_ops) relies:
	// ext4_iomap_buffered_write_begin takes the cookie when it builds the
	// iomap, after ext4_iomap_get_blocks' lookup, and misses a conversion
	// in between, as Ext4NoDaMapSeq does on the delalloc path.
	Ext4NoMapSeq
	// Ext4Linux68 is the legacy ext4 model as Linux 6.8 has it wherever
	// 6.18 differs, the kernel of the seed thread (docs/design.md
	// "Fidelity"): ext4_da_map_blocks inserts without the re-check under
	// i_data_sem (0ea6560abb3b came in 6.10: it implies Ext4NoRecheck);
	// ext4_zero_range preallocates the rounded-out range holding i_rwsem
	// only and takes invalidate_lock just around the whole blocks, and
	// ext4_punch_hole writes the range back before it takes i_rwsem (both
	// before Zhang Yi's fallocate rework in 6.15: 43d0105e2c75, 53471e0bedad,
	// 2890e5e0f49e); and ext4_ext_map_blocks settles delalloc reservations
	// from the blocks it allocates (before 6.12 moved that into
	// ext4_es_insert_extent), so a delayed block over an allocated one
	// keeps its reservation for good ("i_reserved_data_blocks (1) not
	// cleared!").
	Ext4Linux68
)

var names = []struct {
	v    Variant
	name string
}{
	{NoValidate, "no-validate"},
	{WBNoValidate, "wb-no-validate"},
	{NoSeqBumpOnConvert, "no-seq-bump-on-convert"},
	{CookieBeforeInsert, "cookie-before-insert"},
	{PunchIgnoresDirty, "punch-ignores-dirty"},
	{ZeroSkipsDirtyUnwritten, "zero-skips-dirty-unwritten"},
	{Ext4NoRecheck, "ext4-no-recheck"},
	{WBNoCowValidate, "wb-no-cow-validate"},
	{WBTrustCowMap, "wb-trust-cow-map"},
	{ShortCopyStale, "short-copy-stale"},
	{Ext4NoDaMapSeq, "ext4-no-da-map-seq"},
	{Ext4NoMapSeq, "ext4-no-map-seq"},
	{Ext4Linux68, "ext4-6.8"},
}

// Has reports whether v includes mutation m.
func (v Variant) Has(m Variant) bool { return v&m != 0 }

// Names returns "correct" and every mutation's name, in a fixed order.
func Names() []string {
	out := []string{"correct"}
	for _, n := range names {
		out = append(out, n.name)
	}
	return out
}

// Parse parses "correct", a mutation name, or names joined by '+'.
func Parse(s string) (Variant, error) {
	if s == "" || s == "correct" {
		return Correct, nil
	}
	var v Variant
	for _, part := range strings.Split(s, "+") {
		found := false
		for _, n := range names {
			if n.name == part {
				v |= n.v
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown variant %q (known: %s)", part, strings.Join(Names(), ", "))
		}
	}
	return v, nil
}

func (v Variant) String() string {
	if v == Correct {
		return "correct"
	}
	var parts []string
	for _, n := range names {
		if v.Has(n.v) {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, "+")
}
