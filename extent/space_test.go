package extent

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
	"pgregory.net/rapid"

	"iomaplab/lab"
)

// fataler is what testing.TB and *rapid.T share.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// on runs fn on a lab thread of a fresh free world and fails tb if the run
// did not complete (a panic inside fn is reported with its stack).
func on(tb fataler, fn func(t *lab.Thread)) {
	tb.Helper()
	if r := lab.NewFree().Run(fn); !r.OK() {
		tb.Fatalf("lab run: %v", r)
	}
}

// panicOf runs fn on a lab thread and returns the panic message it raised.
func panicOf(fn func(t *lab.Thread)) string {
	r := lab.NewFree().Run(fn)
	if r.Outcome != lab.Panicked {
		return ""
	}
	return r.Message
}

func mustVerify(tb testing.TB, s *Space) {
	tb.Helper()
	on(tb, func(t *lab.Thread) {
		if err := s.Verify(t); err != nil {
			tb.Errorf("Verify: %v\n%v", err, s)
		}
	})
}

func TestSpacePlacement(t *testing.T) {
	s := NewSpace(100)
	var a, b, c []Range
	on(t, func(lt *lab.Thread) {
		a, _ = s.Alloc(lt, 10, 20) // at the hint
		b, _ = s.Alloc(lt, 10, 25) // hint taken: next fit after it
		c, _ = s.Alloc(lt, 5, 95)  // 5 fit exactly at the end
	})
	want := "[[20, 30)] [[30, 40)] [[95, 100)]"
	if got := fmt.Sprint(a, b, c); got != want {
		t.Fatalf("runs %s, want %s", got, want)
	}
	mustVerify(t, s)
	var d []Range
	// Free: [0,20) [40,95). No run of 60: from the hint to the end of its
	// free extent, then wrap around to block 0.
	on(t, func(lt *lab.Thread) { d, _ = s.Alloc(lt, 60, 50) })
	if got := fmt.Sprint(d); got != "[[50, 95) [0, 15)]" {
		t.Fatalf("runs %s", got)
	}
	mustVerify(t, s)
}

func TestSpaceFragmented(t *testing.T) {
	s := NewSpace(20)
	on(t, func(lt *lab.Thread) {
		all, err := s.Alloc(lt, 20, 0)
		if err != nil || fmt.Sprint(all) != "[[0, 20)]" {
			t.Errorf("Alloc(20) = %v, %v", all, err)
			return
		}
		for _, p := range []uint64{2, 6, 10, 14} { // free [2,4) [6,8) [10,12) [14,16)
			s.Free(lt, p, 2)
		}
		runs, err := s.Alloc(lt, 7, 11) // no run of 7: tail of [10,12) from 11, then on, wrapping
		if want := "[[11, 12) [14, 16) [2, 4) [6, 8)]"; err != nil || fmt.Sprint(runs) != want {
			t.Errorf("fragmented Alloc = %v, %v; want %s", runs, err, want)
		}
		if s.Allocated(lt, Range{10, 12}) || !s.Allocated(lt, Range{0, 2}) || !s.Allocated(lt, Range{16, 20}) || s.Allocated(lt, Range{19, 21}) {
			t.Errorf("Allocated wrong:\n%v", s)
		}
		st := s.Stats(lt)
		if st.Free != 1 || st.Used != 19 {
			t.Errorf("stats %+v", st)
		}
		if runs, err := s.Alloc(lt, 1, 0); err != nil || fmt.Sprint(runs) != "[[10, 11)]" {
			t.Errorf("last block: %v, %v", runs, err)
		}
	})
	mustVerify(t, s)
}

func TestSpaceReservations(t *testing.T) {
	s := NewSpace(10)
	on(t, func(lt *lab.Thread) {
		if err := s.Reserve(lt, 8); err != nil {
			t.Errorf("Reserve(8): %v", err)
		}
		if err := s.Reserve(lt, 3); !errors.Is(err, unix.ENOSPC) {
			t.Errorf("Reserve(3) over 2 available = %v, want ENOSPC", err)
		}
		if _, err := s.Alloc(lt, 3, 0); !errors.Is(err, unix.ENOSPC) {
			t.Errorf("Alloc(3) breaking a reservation = %v, want ENOSPC", err)
		}
		if runs, err := s.Alloc(lt, 2, 0); err != nil || fmt.Sprint(runs) != "[[0, 2)]" {
			t.Errorf("Alloc(2) = %v, %v", runs, err)
		}
		if runs := s.AllocReserved(lt, 5, 0); fmt.Sprint(runs) != "[[2, 7)]" {
			t.Errorf("AllocReserved(5) = %v", runs)
		}
		s.Unreserve(lt, 3)
		if st := s.Stats(lt); st != (Stats{Total: 10, Free: 3, Used: 7, Reserved: 0, FreeExtents: 1}) {
			t.Errorf("stats %+v", st)
		}
	})
	mustVerify(t, s)
}

func TestSpaceCallerBugsPanic(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		fn         func(s *Space, t *lab.Thread)
	}{
		{"double free", "double free, [5, 6) already free", func(s *Space, t *lab.Thread) {
			s.Alloc(t, 5, 0)
			s.Free(t, 3, 3)
		}},
		{"free beyond", "Free(8, 4) outside the 10-block space", func(s *Space, t *lab.Thread) { s.Free(t, 8, 4) }},
		{"over-unreserve", "Unreserve(2) with only 1 reserved", func(s *Space, t *lab.Thread) {
			s.Reserve(t, 1)
			s.Unreserve(t, 2)
		}},
		{"alloc unreserved", "AllocReserved(1) with 0 reserved", func(s *Space, t *lab.Thread) { s.AllocReserved(t, 1, 0) }},
	} {
		s := NewSpace(10)
		if msg := panicOf(func(t *lab.Thread) { tc.fn(s, t) }); !strings.Contains(msg, tc.want) {
			t.Errorf("%s: panic %q, want it to contain %q", tc.name, msg, tc.want)
		}
	}
}

// TestSpaceModel checks Space against a per-block bitmap under random
// allocations, frees and reservations.
func TestSpaceModel(t *testing.T) {
	const total = 64
	rapid.Check(t, func(rt *rapid.T) {
		s := NewSpace(total)
		var used [total]bool
		var reserved uint64
		nfree := func() uint64 {
			n := uint64(0)
			for _, u := range used {
				if !u {
					n++
				}
			}
			return n
		}
		rt.Repeat(map[string]func(*rapid.T){
			"Alloc": func(rt *rapid.T) {
				want := rapid.Uint64Range(1, 20).Draw(rt, "want")
				hint := rapid.Uint64Range(0, total).Draw(rt, "hint")
				reservedToo := rapid.Bool().Draw(rt, "reserved")
				if reservedToo && want > reserved {
					rt.Skip("not reserved")
				}
				var runs []Range
				var err error
				on(rt, func(lt *lab.Thread) {
					if reservedToo {
						runs = s.AllocReserved(lt, want, hint)
					} else {
						runs, err = s.Alloc(lt, want, hint)
					}
				})
				if !reservedToo && nfree()-reserved < want {
					if !errors.Is(err, unix.ENOSPC) || runs != nil {
						rt.Fatalf("Alloc(%d) with %d available = %v, %v; want ENOSPC", want, nfree()-reserved, runs, err)
					}
					return
				}
				if err != nil {
					rt.Fatalf("Alloc(%d): %v", want, err)
				}
				if reservedToo {
					reserved -= want
				}
				got := uint64(0)
				for _, r := range runs {
					for b := r.Start; b < r.End; b++ {
						if used[b] {
							rt.Fatalf("Alloc returned used block %d in %v", b, runs)
						}
						used[b] = true
					}
					got += r.Len()
				}
				if got != want {
					rt.Fatalf("Alloc(%d) returned %d blocks: %v", want, got, runs)
				}
			},
			"Free": func(rt *rapid.T) {
				b := rapid.Uint64Range(0, total-1).Draw(rt, "pblk")
				if !used[b] {
					rt.Skip("free block")
				}
				n := uint64(1)
				for b+n < total && used[b+n] && rapid.Bool().Draw(rt, "longer") {
					n++
				}
				on(rt, func(lt *lab.Thread) { s.Free(lt, b, n) })
				for i := b; i < b+n; i++ {
					used[i] = false
				}
			},
			"Reserve": func(rt *rapid.T) {
				n := rapid.Uint64Range(0, 30).Draw(rt, "n")
				var err error
				on(rt, func(lt *lab.Thread) { err = s.Reserve(lt, n) })
				if ok := nfree()-reserved >= n; ok != (err == nil) {
					rt.Fatalf("Reserve(%d) with %d available: %v", n, nfree()-reserved, err)
				}
				if err == nil {
					reserved += n
				}
			},
			"Unreserve": func(rt *rapid.T) {
				n := rapid.Uint64Range(0, reserved).Draw(rt, "n")
				on(rt, func(lt *lab.Thread) { s.Unreserve(lt, n) })
				reserved -= n
			},
			"": func(rt *rapid.T) {
				var st Stats
				var err error
				on(rt, func(lt *lab.Thread) { st, err = s.Stats(lt), s.Verify(lt) })
				if err != nil {
					rt.Fatalf("Verify: %v\n%v", err, s)
				}
				if st.Free != nfree() || st.Reserved != reserved || st.Used != total-nfree() {
					rt.Fatalf("stats %+v, model free %d reserved %d", st, nfree(), reserved)
				}
			},
		})
	})
}
