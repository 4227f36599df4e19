package ext4

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// raceOutcome is what one schedule of a two-thread race produced.
type raceOutcome struct {
	result     *lab.Result
	fsck       error    // at quiescence, before remount
	fsckAfter  error    // after remount
	resv       error    // CheckReservations at quiescence
	notCleared []string // after remount
	data       bool     // the file read back as expected after remount
	windows    int      // RaceWindows of the trace
	stale      int      // iomap_invalid tracepoints (iomap path)
	reached    int      // ext4_da_map_race_reached tracepoints
}

func (o raceOutcome) leaked() bool { return len(o.notCleared) > 0 }

// raceBody sets up a one-block file and runs actors a and b concurrently,
// then checks the oracles: fsck and reservations at quiescence, remount,
// the "not cleared!" log and the data.
func raceBody(opts Options, o *raceOutcome, setup func(th *lab.Thread, f vfs.File), a, b func(th *lab.Thread, f vfs.File), want []byte) func(th *lab.Thread) {
	return func(th *lab.Thread) {
		opts.Blocks = 32
		fs := New(th, opts)
		f, _ := fs.Open(th, "f")
		setup(th, f)
		var finished atomic.Int32
		var ev lab.Event
		for _, actor := range []struct {
			name string
			fn   func(th *lab.Thread, f vfs.File)
		}{{"A", a}, {"B", b}} {
			th.Go(actor.name, func(th *lab.Thread) {
				actor.fn(th, f)
				finished.Add(1)
				ev.Wake(th)
			})
		}
		ev.Wait(th, func() bool { return finished.Load() == 2 })
		o.fsck = fs.Fsck(th)
		o.resv = fs.CheckReservations(th)
		if err := fs.Remount(th); err != nil {
			th.Fail("remount: " + err.Error())
		}
		o.notCleared = fs.NotCleared(th)
		o.fsckAfter = fs.Fsck(th)
		got := make([]byte, len(want)+1)
		n, err := f.Pread(th, got, 0)
		o.data = err == nil && bytes.Equal(got[:n], want)
	}
}

// exploreRace runs budget schedules of strategy s and returns every outcome.
func exploreRace(t *testing.T, s lab.Strategy, budget int, body func(o *raceOutcome) func(th *lab.Thread)) []raceOutcome {
	t.Helper()
	var outs []raceOutcome
	for i := range budget {
		if !s.NewSchedule() {
			break
		}
		var o raceOutcome
		w := lab.NewWorld(lab.Config{Controlled: true, Strategy: s})
		o.result = w.Run(body(&o))
		if !o.result.OK() {
			t.Fatalf("schedule %d: %v", i, o.result)
		}
		o.windows = RaceWindows(o.result.Trace.Records())
		o.stale = o.result.Trace.Count("iomap_invalid")
		o.reached = o.result.Trace.Count("ext4_da_map_race_reached")
		// The model reports a window only when the hole it was about to
		// fill changed; RaceWindows sees any change in the requested
		// range, a superset (the hole may end before the range does).
		if o.reached > 0 && o.windows == 0 {
			t.Errorf("schedule %d: RaceWindows %d but %d ext4_da_map_race_reached", i, o.windows, o.reached)
		}
		outs = append(outs, o)
	}
	return outs
}

// seed returns the seed from IOMAPLAB_SEED, or def; the test logs it.
func seed(t *testing.T, def uint64) uint64 {
	if s := os.Getenv("IOMAPLAB_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("IOMAPLAB_SEED: %v", err)
		}
		def = v
	}
	t.Logf("seed %d (set IOMAPLAB_SEED to change)", def)
	return def
}

var storeData = bytes.Repeat([]byte{0x5a}, 64)

// mkwriteVsFallocate is the seed's race: A stores through a shared mapping
// into a hole (page_mkwrite -> ext4_da_map_blocks), B fallocates the same
// block (KEEP_SIZE, under i_rwsem only).
func mkwriteVsFallocate(v variant.Variant) func(o *raceOutcome) func(th *lab.Thread) {
	return raceFallocate(v, "map store", func(th *lab.Thread, f vfs.File) error {
		return f.MapStore(th, storeData, 0)
	})
}

// pwriteVsFallocate is the negative control: the buffered write holds
// i_rwsem, as fallocate does, so they cannot interleave inside
// ext4_da_map_blocks.
func pwriteVsFallocate(v variant.Variant) func(o *raceOutcome) func(th *lab.Thread) {
	return raceFallocate(v, "pwrite", func(th *lab.Thread, f vfs.File) error {
		_, err := f.Pwrite(th, vfs.Plain(storeData), 0)
		return err
	})
}

// raceFallocate races A, which stores storeData at offset 0 of a 4 KiB
// hole with store (named what in a failure), against B's KEEP_SIZE
// fallocate of the same block.
func raceFallocate(v variant.Variant, what string, store func(th *lab.Thread, f vfs.File) error) func(o *raceOutcome) func(th *lab.Thread) {
	want := append(bytes.Clone(storeData), make([]byte, 4096-len(storeData))...)
	return func(o *raceOutcome) func(th *lab.Thread) {
		return raceBody(Options{Variant: v}, o,
			func(th *lab.Thread, f vfs.File) { f.Truncate(th, 4096) },
			func(th *lab.Thread, f vfs.File) {
				if err := store(th, f); err != nil {
					th.Fail(what + ": " + err.Error())
				}
			},
			func(th *lab.Thread, f vfs.File) {
				if err := f.Fallocate(th, vfs.FallocKeepSize, 0, 4096); err != nil {
					th.Fail("fallocate: " + err.Error())
				}
			}, want)
	}
}

type tally struct{ runs, leaks, fsck, resv, badData, windows, stale int }

func (c *tally) add(o raceOutcome) {
	c.runs++
	if o.leaked() {
		c.leaks++
	}
	if o.fsck != nil {
		c.fsck++
	}
	if o.resv != nil {
		c.resv++
	}
	if !o.data {
		c.badData++
	}
	if o.windows > 0 {
		c.windows++
	}
	if o.stale > 0 {
		c.stale++
	}
}

func (c tally) String() string {
	return fmt.Sprintf("%d schedules: %d leaked (not cleared!), %d fsck, %d reservation mismatches, %d bad data, %d reached the window, %d saw a stale iomap",
		c.runs, c.leaks, c.fsck, c.resv, c.badData, c.windows, c.stale)
}

func strategies(t *testing.T) map[string]func() lab.Strategy {
	s := seed(t, 1)
	return map[string]func() lab.Strategy{
		"random": func() lab.Strategy { return lab.NewRandom(s) },
		"pct3":   func() lab.Strategy { return lab.NewPCT(s, 3) },
	}
}

const raceBudget = 300

// TestSeedRaceLinux68Leaks is the seed thread's kernel (variant.Ext4Linux68:
// no re-check, and reservations settled by what ext4_ext_map_blocks
// allocates): the race leaks a reservation.
func TestSeedRaceLinux68Leaks(t *testing.T) {
	for _, name := range []string{"random", "pct3"} {
		t.Run(name, func(t *testing.T) {
			outs := exploreRace(t, strategies(t)[name](), raceBudget, mkwriteVsFallocate(variant.Ext4Linux68))
			var c tally
			first := -1
			for i, o := range outs {
				c.add(o)
				if o.leaked() && first < 0 {
					first = i
				}
				// A leak comes with the corrupted extent status before the
				// remount, and only when the window was reached.
				if o.leaked() && (o.fsck == nil || o.windows == 0) {
					t.Errorf("schedule %d leaked without fsck evidence or window: fsck %v windows %d", i, o.fsck, o.windows)
				}
				if o.fsckAfter != nil {
					t.Errorf("schedule %d: fsck after remount: %v", i, o.fsckAfter)
				}
				// Before writeback the bogus delayed block is still
				// counted, so the quiescent invariant holds; the leak
				// shows only after writeback + evict.
				if o.resv != nil {
					t.Errorf("schedule %d: reservations at quiescence: %v", i, o.resv)
				}
				if !o.data {
					t.Errorf("schedule %d: data differs after remount", i)
				}
			}
			t.Log(c)
			if first < 0 {
				t.Fatalf("ext4-6.8: no schedule leaked a reservation")
			}
			o := outs[first]
			t.Logf("first leak in schedule %d: %q; fsck: %v", first, o.notCleared, o.fsck)
			if !strings.Contains(o.notCleared[0], "i_reserved_data_blocks (1) not cleared!") ||
				!strings.Contains(o.fsck.Error(), "delayed extent status") {
				t.Errorf("unexpected evidence: %q / %v", o.notCleared, o.fsck)
			}
			// The schedule replays to the same trace.
			var o2 raceOutcome
			r2 := lab.NewWorld(lab.Config{Controlled: true, Strategy: replay(o.result.Decisions)}).
				Run(mkwriteVsFallocate(variant.Ext4Linux68)(&o2))
			if !r2.OK() || r2.Trace.Hash() != o.result.Trace.Hash() || !o2.leaked() {
				t.Errorf("replay: %v, hash %x want %x, leaked %v", r2, r2.Trace.Hash(), o.result.Trace.Hash(), o2.leaked())
			}
		})
	}
}

// TestSeedRaceNoRecheckOn618 is 6.18 without the re-check
// (variant.Ext4NoRecheck alone): the race still leaves a delayed entry over
// the unwritten extent (fsck at quiescence), but writeback's status insert
// gives its reservation back (6.12's accounting in ext4_es_insert_extent),
// so no schedule leaks: the reservations-cleared oracle cannot see this
// variant, fsck can, before the remount and after it, when the block has
// been charged to i_blocks twice (dquot_claim_block on top of fallocate's
// dquot_alloc_block). 6.8 (ext4-6.8) leaks the reservation instead and
// charges the block once.
func TestSeedRaceNoRecheckOn618(t *testing.T) {
	for _, name := range []string{"random", "pct3"} {
		t.Run(name, func(t *testing.T) {
			outs := exploreRace(t, strategies(t)[name](), raceBudget, mkwriteVsFallocate(variant.Ext4NoRecheck))
			var c tally
			for i, o := range outs {
				c.add(o)
				if o.leaked() || o.resv != nil || !o.data {
					t.Errorf("schedule %d: leaked %q resv %v data %v", i, o.notCleared, o.resv, o.data)
				}
				if o.fsck != nil && (o.windows == 0 || !strings.Contains(o.fsck.Error(), "delayed extent status")) {
					t.Errorf("schedule %d: fsck %v with %d windows", i, o.fsck, o.windows)
				}
				if (o.fsck != nil) != (o.fsckAfter != nil) || o.fsckAfter != nil && !strings.Contains(o.fsckAfter.Error(), "i_blocks is 2, should be 1") {
					t.Errorf("schedule %d: fsck after remount %v, before %v", i, o.fsckAfter, o.fsck)
				}
			}
			t.Log(c)
			if c.fsck == 0 {
				t.Fatalf("ext4-no-recheck: fsck never saw the delayed entry over the unwritten extent")
			}
		})
	}
}

func replay(d []int) lab.Strategy {
	s := lab.NewReplay(d)
	s.NewSchedule()
	return s
}

func TestSeedRaceCorrectNeverLeaks(t *testing.T) {
	for _, name := range []string{"random", "pct3"} {
		t.Run(name, func(t *testing.T) {
			outs := exploreRace(t, strategies(t)[name](), raceBudget, mkwriteVsFallocate(variant.Correct))
			var c tally
			for i, o := range outs {
				c.add(o)
				if o.leaked() || o.fsck != nil || o.fsckAfter != nil || o.resv != nil || !o.data {
					t.Errorf("schedule %d: leaked %q fsck %v/%v resv %v data %v", i, o.notCleared, o.fsck, o.fsckAfter, o.resv, o.data)
				}
			}
			t.Log(c)
			if c.windows == 0 {
				t.Fatalf("the window (fallocate between lookup and insert) was never reached in %d schedules", c.runs)
			}
		})
	}
}

func TestPwriteVsFallocateNeverLeaks(t *testing.T) {
	for _, name := range []string{"random", "pct3"} {
		t.Run(name, func(t *testing.T) {
			outs := exploreRace(t, strategies(t)[name](), raceBudget, pwriteVsFallocate(variant.Ext4NoRecheck))
			var c tally
			for i, o := range outs {
				c.add(o)
				if o.leaked() || o.fsck != nil || o.resv != nil || !o.data || o.windows != 0 {
					t.Errorf("schedule %d: leaked %q fsck %v resv %v data %v windows %d", i, o.notCleared, o.fsck, o.resv, o.data, o.windows)
				}
			}
			t.Log(c)
		})
	}
}

// iomapWriteVsMkwrite is the generic/344 and 346 analog on the iomap path:
// A's buffered write maps a two-block hole before locking any folio and
// inserts delayed blocks over it, while B's store faults on the second
// block (page_mkwrite inserts a delayed block there). The writers' bytes
// are disjoint; the blocks are shared.
func iomapWriteVsMkwrite(v variant.Variant) func(o *raceOutcome) func(th *lab.Thread) {
	a := bytes.Repeat([]byte{0xa1}, 4200)
	want := make([]byte, 8192)
	copy(want, a)
	copy(want[5000:], storeData)
	return func(o *raceOutcome) func(th *lab.Thread) {
		return raceBody(Options{Variant: v, IOMAP: true}, o,
			func(th *lab.Thread, f vfs.File) { f.Truncate(th, 8192) },
			func(th *lab.Thread, f vfs.File) {
				if n, err := f.Pwrite(th, vfs.Plain(a), 0); n != len(a) || err != nil {
					th.Fail(fmt.Sprintf("pwrite: %d, %v", n, err))
				}
			},
			func(th *lab.Thread, f vfs.File) {
				if err := f.MapStore(th, storeData, 5000); err != nil {
					th.Fail("map store: " + err.Error())
				}
			}, want)
	}
}

func TestIomapWriteVsMkwrite(t *testing.T) {
	for _, tc := range []struct {
		v         variant.Variant
		wantLeaks bool
	}{{variant.Ext4NoRecheck, true}, {variant.Correct, false}} {
		for _, name := range []string{"random", "pct3"} {
			t.Run(tc.v.String()+"/"+name, func(t *testing.T) {
				outs := exploreRace(t, strategies(t)[name](), raceBudget, iomapWriteVsMkwrite(tc.v))
				var c tally
				for i, o := range outs {
					c.add(o)
					if !o.data {
						t.Errorf("schedule %d: data differs after remount", i)
					}
					if !tc.wantLeaks && (o.leaked() || o.resv != nil || o.fsck != nil) {
						t.Errorf("schedule %d: leaked %q resv %v fsck %v", i, o.notCleared, o.resv, o.fsck)
					}
					if o.leaked() && (o.resv == nil || o.windows == 0) {
						t.Errorf("schedule %d leaked without a reservation mismatch at quiescence or the window: %v, %d", i, o.resv, o.windows)
					}
				}
				t.Log(c)
				if tc.wantLeaks && c.leaks == 0 {
					t.Errorf("no schedule leaked a reservation")
				}
				if c.windows == 0 {
					t.Errorf("the window was never reached")
				}

			})
		}
	}
}
