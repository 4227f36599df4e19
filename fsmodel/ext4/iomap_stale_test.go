package ext4

import (
	"bytes"
	"sync/atomic"
	"testing"

	"iomaplab/check"
	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// xfs559 is fstests xfs/559 on the ext4 iomap path: a buffered write over
// an unwritten extent caches its mapping, parks at the prefault of its
// second chunk (a userfaultfd stall), and meanwhile the last block, dirtied
// before, is written back (the I/O completion converts it to written, which
// bumps i_es_seq) and reclaimed. When the write resumes, the i_es_seq
// cookie must make it map again: with the stale unwritten mapping it would
// zero the last block instead of reading it, losing its byte.
func xfs559(t *testing.T, v variant.Variant) (mismatch *check.Mismatch, stale int64) {
	t.Helper()
	const size = 40960
	var ref check.RefFile
	ref.Extend(size)
	ref.Write([]byte{0x58}, size-1)
	data := bytes.Repeat([]byte{0x57}, 36865)
	ref.Write(data, 0)
	run(t, func(th *lab.Thread) {
		fs := New(th, Options{Blocks: 64, IOMAP: true, Variant: v})
		vf, _ := fs.Open(th, "f")
		f := vf.(*File)
		if err := f.Fallocate(th, vfs.FallocAllocate, 0, size); err != nil {
			th.Fail(err.Error())
		}
		if _, err := f.Pwrite(th, vfs.Plain([]byte{0x58}), size-1); err != nil {
			th.Fail(err.Error())
		}
		var done atomic.Bool
		var ev lab.Event
		th.Go("writer", func(th *lab.Thread) {
			if n, err := f.Pwrite(th, vfs.Buffer{Data: data, StallAt: 4096, FaultAt: vfs.NoOffset}, 0); n != len(data) || err != nil {
				th.Fail("pwrite failed")
			}
			done.Store(true)
			ev.Wake(th)
		})
		th.AwaitParked("writer")
		if err := f.Fsync(th); err != nil {
			th.Fail(err.Error())
		}
		f.Reclaim(th, size-4096, 4096)
		th.Release("writer")
		ev.Wait(th, done.Load)
		stale = f.inode(th).io.Stats.Invalid.Load()
		if err := fs.Remount(th); err != nil {
			th.Fail(err.Error())
		}
		got := make([]byte, size)
		n, _ := f.Pread(th, got, 0)
		mismatch = ref.CompareRange(got[:n], 0, int64(n))
	})
	return mismatch, stale
}

func TestIomapCookieCatchesConversion(t *testing.T) {
	m, stale := xfs559(t, variant.Correct)
	if m != nil || stale == 0 {
		t.Fatalf("correct: mismatch %v, %d stale verdicts (want none, >= 1)", m, stale)
	}
	m, _ = xfs559(t, variant.NoValidate)
	if m == nil {
		t.Fatalf("no-validate: the stale unwritten mapping did not corrupt the last block")
	}
	t.Logf("no-validate corrupts as expected: %v", m)
}
