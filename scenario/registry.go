package scenario

// The engine's names a scenario may use, kept in one place. A test in
// scenario/model reads the engine's source (t.Tracepoint and t.Point calls
// in iomap/, fsmodel/, blockdev/) and fails when this registry and the
// engine disagree, so a new tracepoint or point must be added here.

// Tracepoints are the model engine's tracepoint names: what `trace NAME`
// may count. A name outside this list is a parse error.
var Tracepoints = []string{
	// iomap (iomap/buffered_write.go, iter.go, writeback.go)
	"iomap_invalid", "iomap_stale_reached", "iomap_remap", "iomap_livelock",
	"wb_iomap_invalid", "wb_stale_reached",
	// xfs (fsmodel/xfs)
	"wb_cow_iomap_invalid", "wb_cow_stale_reached", "wb_cow_map_stale_reached", "da_reserve", "da_release",
	"cow_reserve", "cow_remap", "protocol_violation", "reserved_not_cleared",
	"xfs_iomap_prealloc_size", "xfs_free_eofblocks",
	// ext4 (fsmodel/ext4)
	"da_update_reserve", "ext4_allocate_blocks", "ext4_da_map_race_reached",
	"ext4_es_insert_delayed_block", "ext4_es_insert_extent", "ext4_es_lookup_extent",
	"ext4_ext_convert", "ext4_free_blocks", "ext4_page_mkwrite",
	// block device (blockdev)
	"block_io_error", "block_ownership_violation",
}

// point is one injection point: where the model engine reaches it.
type point struct {
	name string
	// fs says on which mounts the model reaches the point: "xfs", "ext4"
	// (both ext4 paths), "ext4-legacy", "ext4-delalloc" (either ext4 path,
	// not nodelalloc), "ext4-nodelalloc" (ext4's iomap path with
	// nodelalloc), "iomap" (xfs and ext4's iomap path) or "any".
	fs string
	// ops are the scenario ops during which a scenario thread can reach
	// the point (a park with thread=T needs one of them in T); nil when
	// only an engine daemon reaches it.
	ops []OpKind
	// daemons are the engine daemons that reach the point.
	daemons []string
	// holds says what a thread parked at the point holds (locks.go).
	holds parkKind
}

// writebackOps are the ops that may write back on the caller's thread (a
// pwrite past EOF too: xfs zeroes the gap with iomap_zero_range, which may
// write back a dirty range first).
var writebackOps = []OpKind{OpFsync, OpSyncRange, OpFadviseDontneed, OpRemount, OpPunch, OpZero, OpTruncate, OpFallocate, OpReflink, OpPwrite}

// writeBeginOps are the ops that go through iomap_write_begin: a write, and
// on xfs iomap_zero_range and iomap_truncate_page (punch and zero at
// sub-block edges, truncate, reflink past the destination's EOF).
var writeBeginOps = []OpKind{OpPwrite, OpPunch, OpZero, OpTruncate, OpReflink}

var points = []point{
	{"iomap.write.after_begin", "iomap", []OpKind{OpPwrite}, nil, parkInWrite},
	{"iomap.write.prefault", "iomap", []OpKind{OpPwrite}, nil, parkInWrite},
	{"iomap.write.before_valid", "iomap", writeBeginOps, nil, parkInWriteFolio},
	{"iomap.write.after_valid", "iomap", writeBeginOps, nil, parkInWriteFolio},
	{"ext4.write.prefault", "ext4-legacy", []OpKind{OpPwrite}, nil, parkInWrite},
	{"iomap.wb.map_blocks", "iomap", writebackOps, []string{"flusher"}, parkInWriteback},
	{"xfs.alloc.convert", "xfs", writebackOps, []string{"flusher"}, parkInWriteback},
	{"xfs.ioend.convert", "xfs", nil, []string{"io-completion"}, parkInIoend},
	{"ext4.da_map.after_lookup", "ext4-delalloc", []OpKind{OpPwrite, OpMapStore}, nil, parkInDaMap},
	{"ext4.da_map.before_insert", "ext4-delalloc", []OpKind{OpPwrite, OpMapStore}, nil, parkInDaMap},
	{"ext4.iomap_get_blocks.after_lookup", "ext4-nodelalloc", []OpKind{OpPwrite, OpMapStore}, nil, parkInGetBlocks},
	{"iomap.zero.after_begin", "xfs", []OpKind{OpPwrite, OpPunch, OpZero, OpTruncate}, nil, parkInFsOp},
	{"falloc.allocated", "any", []OpKind{OpFallocate}, nil, parkInFsOp},
	{"falloc.after_invalidate", "any", []OpKind{OpPunch, OpZero}, nil, parkInFsOp},
	{"truncate.before_pagecache", "any", []OpKind{OpTruncate}, nil, parkInFsOp},
	{"truncate.after_pagecache", "any", []OpKind{OpTruncate}, nil, parkInFsOp},
	{"xfs.truncate.cancel_cow", "xfs", []OpKind{OpTruncate}, nil, parkInFsOp},
	{"reclaim.evict", "any", []OpKind{OpReclaim, OpFadviseDontneed, OpDropCaches}, []string{"kswapd"}, parkInReclaim},
	{"ext4.wb.map_blocks", "ext4-legacy", writebackOps, nil, parkInWritebackMap},
	{"iomap.iter", "iomap", nil, DaemonNames, parkUnknown},
	{"blockdev.submit", "any", nil, DaemonNames, parkUnknown},
	{"blockdev.complete", "any", nil, DaemonNames, parkUnknown},
}

// Points are the injection points inject lines may name.
var Points = func() []string {
	var names []string
	for _, p := range points {
		names = append(names, p.name)
	}
	return names
}()

func lookupPoint(name string) (point, bool) {
	for _, p := range points {
		if p.name == name {
			return p, true
		}
	}
	return point{}, false
}

// reaches reports whether the model reaches the point on a mount of spec.
func (p point) reaches(spec FSSpec) bool {
	switch p.fs {
	case "xfs", "ext4":
		return spec.Type == p.fs
	case "ext4-legacy":
		return spec.Type == "ext4" && !spec.Iomap
	case "ext4-delalloc":
		return spec.Type == "ext4" && !spec.NoDelalloc
	case "ext4-nodelalloc":
		return spec.Type == "ext4" && spec.Iomap && spec.NoDelalloc
	case "iomap":
		return spec.Type == "xfs" || spec.Type == "ext4" && spec.Iomap
	case "any":
		return true
	}
	return false
}
