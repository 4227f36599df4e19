package extent

import (
	"fmt"
	"strings"
	"testing"

	"iomaplab/lab"
)

// TestRefcountsShareRelease shares part of an allocation twice, then
// releases references: blocks are freed only when their last reference
// goes, and the records stay canonical.
func TestRefcountsShareRelease(t *testing.T) {
	s := NewSpace(64)
	on(t, func(lt *lab.Thread) {
		runs, err := s.Alloc(lt, 8, 10) // [10, 18)
		if err != nil || fmt.Sprint(runs) != "[[10, 18)]" {
			t.Fatalf("alloc: %v %v", runs, err)
		}
		s.Share(lt, 12, 4) // [12,16) x2
		s.Share(lt, 14, 4) // [12,14) x2, [14,16) x3, [16,18) x2
		if got := fmt.Sprint(s.Refs(lt)); got != "[[12, 14) x2 [14, 16) x3 [16, 18) x2]" {
			t.Fatalf("refs %s", got)
		}
		if n := s.SharedExtra(lt); n != 2+4+2 {
			t.Errorf("SharedExtra %d, want 8", n)
		}
		if r, ok := s.FindShared(lt, Range{10, 13}); !ok || r != (Range{12, 13}) {
			t.Errorf("FindShared [10,13) = %v %v", r, ok)
		}
		if r, ok := s.FindShared(lt, Range{10, 20}); !ok || r != (Range{12, 18}) {
			t.Errorf("FindShared [10,20) = %v %v, want the whole touching run", r, ok)
		}
		if _, ok := s.FindShared(lt, Range{10, 12}); ok {
			t.Errorf("FindShared of unshared blocks found something")
		}
		// Drop the first owner of [10,18): [10,12) freed, the rest count down.
		if freed := s.Release(lt, 10, 8); fmt.Sprint(freed) != "[[10, 12)]" {
			t.Errorf("first release freed %v, want [10,12)", freed)
		}
		if got := fmt.Sprint(s.Refs(lt)); got != "[[14, 16) x2]" {
			t.Errorf("refs after first release %s", got)
		}
		if freed := s.Release(lt, 12, 4); fmt.Sprint(freed) != "[[12, 14)]" {
			t.Errorf("second release freed %v", freed)
		}
		if freed := s.Release(lt, 14, 4); fmt.Sprint(freed) != "[[14, 18)]" {
			t.Errorf("third release freed %v", freed)
		}
		if st := s.Stats(lt); st.Used != 0 || len(s.Refs(lt)) != 0 {
			t.Errorf("after all releases: %+v refs %v", st, s.Refs(lt))
		}
	})
	mustVerify(t, s)
}

// TestFreeSharedPanics: freeing a shared block directly is a caller bug.
func TestFreeSharedPanics(t *testing.T) {
	s := NewSpace(16)
	msg := panicOf(func(lt *lab.Thread) {
		s.Alloc(lt, 4, 0)
		s.Share(lt, 1, 1)
		s.Free(lt, 0, 4)
	})
	if !strings.Contains(msg, "is shared") {
		t.Errorf("panic %q", msg)
	}
	if msg := panicOf(func(lt *lab.Thread) { NewSpace(16).Share(lt, 0, 1) }); !strings.Contains(msg, "is free") {
		t.Errorf("sharing a free block: panic %q", msg)
	}
}

// TestCheckShared: sharing is accepted exactly where the refcounts say so;
// an unrecorded overlap is "owned twice", a stale record is reported too.
func TestCheckShared(t *testing.T) {
	w := func(ino, start, end, pblk uint64) Owned {
		return Owned{Ino: ino, Extent: Extent{Range: Range{start, end}, State: Written, PBlk: pblk}}
	}
	runs := []Owned{w(1, 0, 4, 100), w(2, 2, 4, 102), w(3, 0, 2, 200)}
	mapped, errs := CheckShared(runs, []RefRec{{Range{102, 104}, 2}})
	if len(errs) != 0 || mapped != 6 {
		t.Errorf("legitimately shared: mapped %d, %v", mapped, errs)
	}
	_, errs = CheckShared(runs, nil)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "owned twice") {
		t.Errorf("unrecorded sharing: %v", errs)
	}
	_, errs = CheckShared(runs, []RefRec{{Range{102, 104}, 2}, {Range{200, 201}, 2}})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "[200, 201) owned once, refcount 2") {
		t.Errorf("stale record: %v", errs)
	}
	_, errs = CheckShared(append(runs, w(4, 0, 1, 103)), []RefRec{{Range{102, 104}, 2}})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "[103, 104) owned 3 times, refcount 2") {
		t.Errorf("a third owner the refcount misses: %v", errs)
	}
}
