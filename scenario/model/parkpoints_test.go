package model

import (
	"testing"

	"iomaplab/lab"
	"iomaplab/scenario"
)

// Every park point a park-at may name on an op is reached by that op on the
// model: a scenario that parks there and awaits the park completes clean,
// with the thread parked at that point once. A point the op never reached
// would leave the await waiting for a thread that returned (a scenario
// error), so the registry's claims (scenario.Points, the ops of each) are
// checked against the engine, not only its names.
func TestParkAtPointsAreReached(t *testing.T) {
	for _, c := range []struct{ fs, setup, op, point string }{
		{"xfs", "fsync f", "fallocate f 0 64k", "falloc.allocated"},
		{"ext4", "fsync f", "fallocate f 0 64k", "falloc.allocated"},
		{"xfs", "pwrite f 0 64k", "punch f 8k 16k", "falloc.after_invalidate"},
		{"xfs", "pwrite f 0 64k", "zero f 8k 16k", "falloc.after_invalidate"},
		{"ext4", "pwrite f 0 64k", "punch f 8k 16k", "falloc.after_invalidate"},
		{"ext4", "pwrite f 0 64k", "zero f 8k 16k", "falloc.after_invalidate"},
		{"xfs", "pwrite f 0 64k", "truncate f 10k", "truncate.before_pagecache"},
		{"xfs", "pwrite f 0 64k", "truncate f 10k", "truncate.after_pagecache"},
		{"xfs", "pwrite f 0 64k", "truncate f 10k", "xfs.truncate.cancel_cow"},
		{"ext4", "pwrite f 0 64k", "truncate f 10k", "truncate.before_pagecache"},
		{"ext4", "pwrite f 0 64k", "truncate f 10k", "truncate.after_pagecache"},
		{"xfs", "pwrite f 0 64k ; fsync f", "reclaim f 0 64k", "reclaim.evict"},
		{"ext4", "pwrite f 0 64k ; fsync f", "fadvise-dontneed f 0 64k", "reclaim.evict"},
		{"ext4", "pwrite f 0 64k", "fsync f", "ext4.wb.map_blocks"},
		{"xfs", "pwrite f 0 64k", "sync-range f 0 64k", "iomap.wb.map_blocks"},
		{"ext4 iomap", "pwrite f 0 64k", "fsync f", "iomap.wb.map_blocks"},
		{"ext4 legacy", "fsync f", "pwrite f 0 8k", "ext4.write.prefault"},
		{"ext4 iomap", "fsync f", "pwrite f 0 8k", "iomap.iter"},
		{"xfs", "fsync f", "zero f 0 6k", "iomap.iter"},
	} {
		src := "scenario p\nfs " + c.fs + "\nsetup " + c.setup + "\nthread a: " + c.op + " park-at=" + c.point + " as here\nthread b: await a.parked(here) ; release a.here\n"
		sc, err := scenario.Parse("p.scn", []byte(src))
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		for seed := uint64(1); seed <= 3; seed++ {
			v := run(t, sc, "correct", lab.NewRandom(seed))
			if v.Violated() || v.ScenarioError != nil || len(v.OpErrors) > 0 || !v.Result.OK() {
				t.Errorf("%s on %s, seed %d: %v", c.op, c.fs, seed, v)
				break
			}
			parks := 0
			for _, r := range v.Result.Trace.Records() {
				if r.Kind == lab.KindPark && r.Who == "a" && r.Name == c.point {
					parks++
				}
			}
			if parks != 1 {
				t.Errorf("%s on %s, seed %d: parked %d times at %s", c.op, c.fs, seed, parks, c.point)
			}
		}
	}
}
