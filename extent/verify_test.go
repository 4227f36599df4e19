package extent

import (
	"fmt"
	"strings"
	"testing"

	"iomaplab/lab"
)

// TestVerifyCatches plants each kind of corruption behind the Map's back and
// checks that Verify names it and String marks it with "!!".
func TestVerifyCatches(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		plant      func(m *Map)
	}{
		{"overlap", "overlaps or precedes previous [0, 4) written@100", func(m *Map) {
			m.insert(Extent{Range: Range{2, 6}, State: Unwritten, PBlk: 200})
		}},
		{"unmerged", "not merged with previous [0, 4) written@100", func(m *Map) {
			m.insert(Extent{Range: Range{4, 6}, State: Written, PBlk: 104})
		}},
		{"malformed", "not well formed", func(m *Map) {
			m.insert(Extent{Range: Range{8, 9}, State: Hole})
		}},
		{"delalloc counter", "delalloc counter 7 != 0", func(m *Map) { m.delalloc = 7 }},
		{"physical overlap", "physical blocks [100, 104) and [102, 104) overlap", func(m *Map) {
			m.insert(Extent{Range: Range{10, 12}, State: Written, PBlk: 102})
		}},
	} {
		m := new(Map)
		m.Set(Extent{Range: Range{0, 4}, State: Written, PBlk: 100})
		if err := m.Verify(); err != nil {
			t.Fatalf("%s: clean map: %v", tc.name, err)
		}
		tc.plant(m)
		err := m.Verify()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Verify = %v, want %q", tc.name, err, tc.want)
		}
		if s := m.String(); !strings.Contains(s, "!! ") || !strings.Contains(s, tc.want) {
			t.Errorf("%s: String does not flag it:\n%s", tc.name, s)
		}
	}
}

// TestSeqLockless has one thread mutate the map under the fork lock while
// another reads Seq without it, as iomap_valid does; go test -race checks
// that Seq is an atomic READ_ONCE and that it only grows.
func TestSeqLockless(t *testing.T) {
	var ilock lab.RWMutex
	m := new(Map)
	const n = 2000
	r := lab.NewFree().Run(func(lt *lab.Thread) {
		lt.Go("mutator", func(t *lab.Thread) {
			for i := range uint64(n) {
				ilock.Lock(t)
				e := Extent{Range: Range{i % 64, i%64 + 1}, State: Delalloc}
				if i/64%2 == 1 { // every lap flips every block
					e.State, e.PBlk = Written, 1000+2*e.Start
				}
				m.Set(e)
				ilock.Unlock(t)
			}
		})
		lt.Go("validator", func(t *lab.Thread) {
			last := uint64(0)
			for range n {
				s := m.Seq()
				if s < last {
					panic(fmt.Sprintf("seq went back from %d to %d", last, s))
				}
				last = s
			}
		})
	})
	if !r.OK() {
		t.Fatal(r)
	}
	if m.Seq() != n {
		t.Fatalf("seq %d after %d changing calls", m.Seq(), n)
	}
}
