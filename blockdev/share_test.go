package blockdev

import (
	"fmt"
	"strings"
	"testing"

	"iomaplab/lab"
)

// TestSharedOwnership: a shared block accepts every owner in CheckOwner,
// rejects a write in place from any of them (WriteShared), and becomes
// writable by the remaining owner once the others unshare it.
func TestSharedOwnership(t *testing.T) {
	d := NewMemory(16)
	r := run(t, func(lt *lab.Thread) {
		d.Own(lt, 4, 2, 1, 10)   // pblk 4,5 = ino 1 fblk 10,11
		d.Share(lt, 4, 2, 2, 20) // and ino 2 fblk 20,21
		for _, o := range []Owner{{1, 10}, {2, 20}} {
			if err := d.CheckOwner(lt, 4, 2, o); err != nil {
				t.Errorf("CheckOwner %v: %v", o, err)
			}
		}
		if err := d.CheckOwner(lt, 4, 1, Owner{3, 10}); err == nil || !strings.Contains(err.Error(), "[ino 1 fblk 10 ino 2 fblk 20]") {
			t.Errorf("CheckOwner of a stranger: %v", err)
		}
		d.Write(lt, 4, block(0xaa, 1), Owner{1, 10}) // in place: rejected
		d.Unshare(lt, 4, 2, Owner{1, 10})            // ino 1 drops its reference (COW remap)
		if got := fmt.Sprint(d.OwnersOf(lt, 5)); got != "[ino 2 fblk 21]" {
			t.Errorf("owners after unshare: %s", got)
		}
		if err := d.Write(lt, 4, block(0xbb, 2), Owner{2, 20}); err != nil {
			t.Errorf("write by the sole owner: %v", err)
		}
		d.Unshare(lt, 4, 2, Owner{2, 20})
		if n := d.OwnedBlocks(lt); n != 0 {
			t.Errorf("%d blocks owned after the last unshare", n)
		}
	})
	vs := d.violationsSnapshot()
	if len(vs) != 1 || vs[0].Kind != WriteShared || vs[0].PBlk != 4 {
		t.Fatalf("violations %v, want one write-shared at pblk 4", vs)
	}
	if r.Trace.Count("block_ownership_violation") != 1 {
		t.Errorf("tracepoint count %d", r.Trace.Count("block_ownership_violation"))
	}
	got := make([]byte, BlockSize)
	run(t, func(lt *lab.Thread) { d.Read(lt, 4, got) })
	if got[0] != 0xbb {
		t.Errorf("block 4 holds %#x: the rejected write must not land, the owner's must", got[0])
	}
}

// TestShareCallerBugs: sharing an unowned block or unsharing a stranger
// panics; sharing with an existing owner is a DoubleOwn violation.
func TestShareCallerBugs(t *testing.T) {
	for name, fn := range map[string]func(d *Device, lt *lab.Thread){
		"share unowned":      func(d *Device, lt *lab.Thread) { d.Share(lt, 1, 1, 2, 0) },
		"unshare a stranger": func(d *Device, lt *lab.Thread) { d.Own(lt, 1, 1, 1, 0); d.Unshare(lt, 1, 1, Owner{2, 0}) },
	} {
		d := NewMemory(4)
		if r := lab.NewFree().Run(func(lt *lab.Thread) { fn(d, lt) }); r.Outcome != lab.Panicked {
			t.Errorf("%s: outcome %v, want a panic", name, r.Outcome)
		}
	}
	d := NewMemory(4)
	run(t, func(lt *lab.Thread) {
		d.Own(lt, 1, 1, 1, 0)
		d.Share(lt, 1, 1, 1, 0)
	})
	if vs := d.violationsSnapshot(); len(vs) != 1 || vs[0].Kind != DoubleOwn {
		t.Errorf("violations %v, want one double-own", vs)
	}
}

func (d *Device) violationsSnapshot() []Violation {
	var vs []Violation
	lab.NewFree().Run(func(lt *lab.Thread) { vs = d.Violations(lt) })
	return vs
}
