package blockdev

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"iomaplab/lab"
)

// run runs fn on a lab thread of a fresh free world and fails tb unless the
// run completed.
func run(tb testing.TB, fn func(t *lab.Thread)) *lab.Result {
	tb.Helper()
	r := lab.NewFree().Run(fn)
	if !r.OK() {
		tb.Fatalf("lab run: %v", r)
	}
	return r
}

func block(fill byte, n int) []byte { return bytes.Repeat([]byte{fill}, n*BlockSize) }

// devices returns a memory device and a file device of n blocks.
func devices(tb testing.TB, n uint64) map[string]*Device {
	f, err := NewFile(filepath.Join(tb.TempDir(), "dev"), n)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return map[string]*Device{"memory": NewMemory(n), "file": f}
}

func TestReadWriteOwned(t *testing.T) {
	for name, d := range devices(t, 16) {
		run(t, func(lt *lab.Thread) {
			d.Own(lt, 4, 3, 7, 100) // pblk 4..6 = ino 7 fblk 100..102
			if err := d.Write(lt, 4, block(0xab, 3), Owner{7, 100}); err != nil {
				t.Errorf("%s: Write: %v", name, err)
			}
			got := make([]byte, 4*BlockSize)
			if err := d.Read(lt, 3, got); err != nil {
				t.Errorf("%s: Read: %v", name, err)
			}
			if !bytes.Equal(got, append(block(0, 1), block(0xab, 3)...)) {
				t.Errorf("%s: read back wrong data", name)
			}
			if o := d.OwnerOf(lt, 6); o != (Owner{7, 102}) {
				t.Errorf("%s: OwnerOf(6) = %v", name, o)
			}
			if err := d.CheckOwner(lt, 4, 3, Owner{7, 100}); err != nil {
				t.Errorf("%s: CheckOwner: %v", name, err)
			}
			if err := d.CheckOwner(lt, 3, 2, Owner{7, 99}); err == nil || err.Error() != "blockdev: pblk 3 owned by nobody, not ino 7 fblk 99" {
				t.Errorf("%s: CheckOwner of an unowned block: %v", name, err)
			}
			if err := d.CheckOwner(lt, 5, 1, Owner{7, 100}); err == nil {
				t.Errorf("%s: CheckOwner with the wrong file block passed", name)
			}
			if n := d.OwnedBlocks(lt); n != 3 {
				t.Errorf("%s: OwnedBlocks = %d", name, n)
			}
			d.Disown(lt, 5, 1)
			if n := d.OwnedBlocks(lt); n != 2 {
				t.Errorf("%s: OwnedBlocks after Disown = %d", name, n)
			}
			if v := d.Violations(lt); len(v) != 0 {
				t.Errorf("%s: violations %v", name, v)
			}
		})
	}
}

func TestFileDeviceIsSparse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dev")
	d, err := NewFile(path, 1<<18) // 1 GiB
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != 1<<30 {
		t.Fatalf("size %d", fi.Size())
	}
	if st, ok := fi.Sys().(*unix.Stat_t); ok && st.Blocks*512 > 1<<20 {
		t.Fatalf("a fresh device uses %d bytes on disk", st.Blocks*512)
	}
}

// TestOwnershipOracle is the oracle's self-test: writing an unowned block,
// writing another inode's block and double-owning are each reported, and the
// rejected writes change nothing.
func TestOwnershipOracle(t *testing.T) {
	d := NewMemory(16)
	r := run(t, func(lt *lab.Thread) {
		d.Own(lt, 0, 2, 1, 0)                                             // ino 1: fblk 0,1 at pblk 0,1
		d.Own(lt, 8, 1, 2, 50)                                            // ino 2: fblk 50 at pblk 8
		d.Write(lt, 4, block(1, 1), Owner{1, 9})                          // unowned block
		d.Write(lt, 7, block(1, 2), Owner{1, 2})                          // pblk 7 unowned, pblk 8 is ino 2's
		d.Own(lt, 1, 1, 1, 1)                                             // same owner again: fine
		d.Own(lt, 8, 1, 1, 5)                                             // double ownership
		d.Write(lt, 0, block(1, 2), Owner{1, 1})                          // right inode, wrong file blocks
		d.Disown(lt, 0, 2)                                                // freed ...
		d.Write(lt, 0, block(1, 1), Owner{1, 0})                          // ... then written
		if err := d.Write(lt, 8, block(2, 1), Owner{2, 50}); err != nil { // legitimate
			t.Error(err)
		}
	})
	want := []string{
		"write-unowned: pblk 4 claimed by ino 1 fblk 9, owned by nobody (thread main)",
		"write-unowned: pblk 7 claimed by ino 1 fblk 2, owned by nobody (thread main)",
		"write-foreign: pblk 8 claimed by ino 1 fblk 3, owned by ino 2 fblk 50 (thread main)",
		"double-own: pblk 8 claimed by ino 1 fblk 5, owned by ino 2 fblk 50 (thread main)",
		"write-foreign: pblk 0 claimed by ino 1 fblk 1, owned by ino 1 fblk 0 (thread main)",
		"write-foreign: pblk 1 claimed by ino 1 fblk 2, owned by ino 1 fblk 1 (thread main)",
		"write-unowned: pblk 0 claimed by ino 1 fblk 0, owned by nobody (thread main)",
	}
	var got []string
	run(t, func(lt *lab.Thread) {
		for _, v := range d.Violations(lt) {
			got = append(got, v.String())
		}
		p := make([]byte, 16*BlockSize)
		d.Read(lt, 0, p)
		want := append(block(0, 8), append(block(2, 1), block(0, 7)...)...)
		if !bytes.Equal(p, want) {
			t.Errorf("a rejected write reached the device")
		}
	})
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := r.Trace.Count("block_ownership_violation"); n != len(want) {
		t.Errorf("%d tracepoints, want %d", n, len(want))
	}
}

func TestFailOnViolationStopsRun(t *testing.T) {
	d := NewMemory(4)
	d.SetFailOnViolation(true)
	s := lab.NewRandom(1)
	s.NewSchedule()
	r := lab.NewWorld(lab.Config{Controlled: true, Strategy: s}).Run(func(lt *lab.Thread) {
		d.Write(lt, 2, block(1, 1), Owner{3, 3})
		lt.Fail("not reached")
	})
	if r.Outcome != lab.Failed || !strings.Contains(r.Message, "block ownership oracle: write-unowned: pblk 2") {
		t.Fatalf("run: %v", r)
	}
}

func TestCallerBugsPanic(t *testing.T) {
	d := NewMemory(4)
	for _, tc := range []struct {
		want string
		fn   func(t *lab.Thread)
	}{
		{"Disown(1, 1): block 1 is not owned", func(t *lab.Thread) { d.Disown(t, 1, 1) }},
		{"Own(3, 2) outside the 4-block device", func(t *lab.Thread) { d.Own(t, 3, 2, 1, 0) }},
		{"data of 100 bytes is not whole blocks", func(t *lab.Thread) { d.Read(t, 0, make([]byte, 100)) }},
		{"a data write without an owner claim", func(t *lab.Thread) { d.Write(t, 0, block(0, 1), Owner{}) }},
	} {
		r := lab.NewFree().Run(tc.fn)
		if r.Outcome != lab.Panicked || !strings.Contains(r.Message, tc.want) {
			t.Errorf("got %v, want a panic with %q", r, tc.want)
		}
	}
}

func TestInjectedEIO(t *testing.T) {
	for name, d := range devices(t, 8) {
		run(t, func(lt *lab.Thread) {
			d.Own(lt, 0, 8, 1, 0)
			d.InjectError(lt, 2, OpWrite, 1)
			d.InjectError(lt, 5, OpRead, 0) // every read
			if err := d.Write(lt, 1, block(9, 3), Owner{1, 1}); !errors.Is(err, unix.EIO) {
				t.Errorf("%s: first write: %v, want EIO", name, err)
			}
			p := make([]byte, 3*BlockSize)
			d.Read(lt, 1, p)
			if want := append(block(9, 1), append(block(0, 1), block(9, 1)...)...); !bytes.Equal(p, want) {
				t.Errorf("%s: the failed block was written, or the others were not", name)
			}
			if err := d.Write(lt, 2, block(9, 1), Owner{1, 2}); err != nil {
				t.Errorf("%s: second write: %v", name, err)
			}
			for range 2 {
				if err := d.Read(lt, 5, make([]byte, BlockSize)); !errors.Is(err, unix.EIO) {
					t.Errorf("%s: read of pblk 5: %v", name, err)
				}
			}
			if h := [3]int{d.ErrorHits(lt, 2, OpWrite), d.ErrorHits(lt, 5, OpRead), d.ErrorHits(lt, 2, OpRead)}; h != [3]int{1, 2, 0} {
				t.Errorf("%s: hits %v", name, h)
			}
			d.ClearErrors(lt)
			if err := d.Read(lt, 5, make([]byte, BlockSize)); err != nil {
				t.Errorf("%s: read after ClearErrors: %v", name, err)
			}
		})
	}
}
