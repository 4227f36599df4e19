package ext4

import (
	"bytes"
	"testing"

	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// The legacy paths follow Linux 6.18 by default and 6.8 under
// variant.Ext4Linux68 where the two differ (docs/design.md "Fidelity").
// Each test here runs both and checks what tells them apart.

// mkwriteVsZeroRange races A's store through a shared mapping into the hole
// at block 1 against B's KEEP_SIZE zero range of [5000, 6000), which
// preallocates block 1 unwritten because its edges are not block aligned.
func mkwriteVsZeroRange(v variant.Variant) func(o *raceOutcome) func(th *lab.Thread) {
	want := make([]byte, 8192)
	copy(want[4096:], storeData)
	return func(o *raceOutcome) func(th *lab.Thread) {
		return raceBody(Options{Variant: v}, o,
			func(th *lab.Thread, f vfs.File) { f.Truncate(th, 8192) },
			func(th *lab.Thread, f vfs.File) {
				if err := f.MapStore(th, storeData, 4096); err != nil {
					th.Fail("map store: " + err.Error())
				}
			},
			func(th *lab.Thread, f vfs.File) {
				if err := f.Fallocate(th, vfs.FallocZeroKeepSize, 5000, 1000); err != nil {
					th.Fail("zero range: " + err.Error())
				}
			}, want)
	}
}

// TestZeroRangeHoldsInvalidateLock: 6.18's ext4_zero_range preallocates
// its edges under invalidate_lock (ext4_fallocate, 2890e5e0f49e), so
// page_mkwrite's lookup-to-insert window is never hit, with or without the
// re-check; 6.8's preallocates holding i_rwsem only, so the window is hit
// and, without the re-check (which 6.8 lacks), a reservation leaks.
func TestZeroRangeHoldsInvalidateLock(t *testing.T) {
	for _, tc := range []struct {
		v         variant.Variant
		wantLeaks bool
	}{{variant.Correct, false}, {variant.Ext4NoRecheck, false}, {variant.Ext4Linux68, true}} {
		for _, name := range []string{"random", "pct3"} {
			t.Run(tc.v.String()+"/"+name, func(t *testing.T) {
				outs := exploreRace(t, strategies(t)[name](), raceBudget, mkwriteVsZeroRange(tc.v))
				var c tally
				for i, o := range outs {
					c.add(o)
					if !o.data {
						t.Errorf("schedule %d: data differs after remount", i)
					}
					if !tc.wantLeaks && (o.leaked() || o.fsck != nil || o.resv != nil || o.windows != 0) {
						t.Errorf("schedule %d: leaked %q fsck %v resv %v windows %d", i, o.notCleared, o.fsck, o.resv, o.windows)
					}
				}
				t.Log(c)
				if tc.wantLeaks && (c.leaks == 0 || c.windows == 0) {
					t.Errorf("no schedule leaked a reservation through the window")
				}
			})
		}
	}
}

// TestPunchDropsDirtyWithoutWriteback: 6.18's ext4_punch_hole drops the
// dirty page cache of the range without writing it back (43d0105e2c75), so
// punching the middle of a freshly written delalloc range allocates only
// the two blocks around it, at the remount's writeback; 6.8 writes the
// punched range back first, allocating two more blocks it then frees.
// Either way
// the punched range reads as zeroes, the rest keeps its data and no
// reservation is left.
func TestPunchDropsDirtyWithoutWriteback(t *testing.T) {
	for _, tc := range []struct {
		v          variant.Variant
		wantAllocs int
	}{{variant.Correct, 2}, {variant.Ext4Linux68, 4}} {
		t.Run(tc.v.String(), func(t *testing.T) {
			r := run(t, func(th *lab.Thread) {
				fs := New(th, Options{Blocks: 64, Variant: tc.v})
				f, _ := fs.Open(th, "f")
				data := bytes.Repeat([]byte{0x61}, 16384)
				if n, err := f.Pwrite(th, vfs.Plain(data), 0); n != len(data) || err != nil {
					th.Fail("pwrite failed")
				}
				if err := f.Fallocate(th, vfs.FallocPunch, 4096, 8192); err != nil {
					th.Fail("punch: " + err.Error())
				}
				if err := fs.ReservationsCleared(th); err != nil {
					th.Fail(err.Error())
				}
				want := bytes.Clone(data)
				clear(want[4096:12288])
				got := make([]byte, len(data))
				if n, err := f.Pread(th, got, 0); n != len(data) || err != nil || !bytes.Equal(got, want) {
					th.Fail("read back differs after remount")
				}
				if err := fs.Fsck(th); err != nil {
					th.Fail(err.Error())
				}
			})
			if allocs := r.Trace.Count("ext4_allocate_blocks"); allocs != tc.wantAllocs {
				t.Errorf("%d block allocations, want %d", allocs, tc.wantAllocs)
			}
		})
	}
}
