package ext4

import "iomaplab/lab"

// RaceWindows counts, in a run's trace, the ext4_da_map_blocks race windows
// that another thread's allocation hit. A window opens at a thread's
// lockless extent status lookup for blocks B = [lblk, lblk+len) (tracepoint
// ext4_es_lookup_extent, then point ext4.da_map.after_lookup) and, once the
// thread passed point ext4.da_map.before_insert, closes when it takes
// i_data_sem exclusively to insert the delayed block (and, in the fixed
// code, to look again). It was hit if another thread made a block of B of
// the same inode something other than a hole inside it: published an allocated
// (unwritten or written) extent status entry (tracepoint
// ext4_es_insert_extent: ext4_map_blocks makes an allocation visible to
// lookups there, still under i_data_sem, right after ext4_allocate_blocks:
// fallocate in the seed's race), or inserted delayed blocks (tracepoint
// ext4_es_insert_delayed_block: the other side of the iomap
// write-vs-page_mkwrite race). That is the race's interleaving reached,
// whatever the variant did with it: reachability evidence, not a verdict.
// Points and locks are in the trace of controlled worlds (or free ones with
// Config.RecordLocks).
func RaceWindows(recs []lab.Record) int {
	type window struct {
		ino, lblk, n    int64
		open, inserting bool
		hit             bool
	}
	var windows []*window // by thread ID
	at := func(id int) *window {
		for len(windows) <= id {
			windows = append(windows, nil)
		}
		return windows[id]
	}
	n := 0
	for _, r := range recs {
		switch {
		case r.Kind == lab.KindTrace && r.Name == "ext4_es_lookup_extent":
			ino, _ := r.Get("ino")
			lblk, _ := r.Get("lblk")
			n, _ := r.Get("len")
			at(r.Thread)
			windows[r.Thread] = &window{ino: ino, lblk: lblk, n: n}
		case r.Kind == lab.KindPoint && r.Name == "ext4.da_map.after_lookup":
			if w := at(r.Thread); w != nil {
				w.open = true
			}
		case r.Kind == lab.KindPoint && r.Name == "ext4.da_map.before_insert":
			if w := at(r.Thread); w != nil && w.open {
				w.inserting = true
			}
		case r.Kind == lab.KindTrace && (r.Name == "ext4_es_insert_extent" || r.Name == "ext4_es_insert_delayed_block"):
			if st, _ := r.Get("status"); r.Name == "ext4_es_insert_extent" && !esStatus(st).physical() {
				continue
			}
			ino, _ := r.Get("ino")
			lblk, _ := r.Get("lblk")
			length, _ := r.Get("len")
			for id, w := range windows {
				if id != r.Thread && w != nil && w.open && w.ino == ino && lblk < w.lblk+w.n && w.lblk < lblk+length {
					w.hit = true
				}
			}
		case r.Kind == lab.KindLock && r.Name == "i_data_sem":
			if w := at(r.Thread); w != nil && w.inserting {
				if w.hit {
					n++
				}
				windows[r.Thread] = nil
			}
		}
	}
	return n
}
