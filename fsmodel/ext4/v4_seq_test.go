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

// writeBeginConvert is the interleaving of the ext4 iomap v4 review
// (patch 06/23, "ext4: pass out extent seq counter when mapping da
// blocks"): a buffered write into a dirty unwritten extent parks right
// after ext4_da_map_blocks' extent status lookup (i_rwsem held); fsync
// writes the block back, its I/O completion converts the extent to written
// (bumping i_es_seq), and reclaim drops the clean folio. When the write
// resumes, its iomap must not still say IOMAP_UNWRITTEN: it would zero the
// block around the 10 bytes it writes instead of reading it from disk.
func writeBeginConvert(t *testing.T, v variant.Variant) (mismatch *check.Mismatch, stale int64) {
	t.Helper()
	const size = 8192
	o := Options{Blocks: 64, IOMAP: true, Variant: v}
	return convertUnderParkedWrite(t, o, "ext4.da_map.after_lookup", size, func(th *lab.Thread, fs *FS, f *File) {
		if err := f.Fallocate(th, vfs.FallocAllocate, 0, size); err != nil {
			th.Fail(err.Error())
		}
		if err := fs.Remount(th); err != nil {
			th.Fail(err.Error())
		}
	})
}

// convertUnderParkedWrite runs the interleaving both v4 cookie tests share:
// after setup, a write of 4 KiB of 0x41 at 0; a second write of 10 bytes of
// 0x42 at 100 parks at point; fsync writes the first block back (its I/O
// completion converts the extent to written, bumping i_es_seq) and reclaim
// drops its clean folio; the second write resumes. It returns how the file
// differs from what the two writes made (after fsck and the reservation
// check) and how many stale verdicts ext4_iomap_valid gave.
func convertUnderParkedWrite(t *testing.T, o Options, point string, size int64, setup func(*lab.Thread, *FS, *File)) (mismatch *check.Mismatch, stale int64) {
	t.Helper()
	var ref check.RefFile
	ref.Extend(size)
	first := bytes.Repeat([]byte{0x41}, 4096)
	second := bytes.Repeat([]byte{0x42}, 10)
	ref.Write(first, 0)
	ref.Write(second, 100)
	rules := []lab.Rule{{Point: point, Thread: "writer", Hit: 1, Action: lab.Park}}
	r := lab.NewWorld(lab.Config{Rules: rules}).Run(func(th *lab.Thread) {
		fs := New(th, o)
		vf, _ := fs.Open(th, "f")
		f := vf.(*File)
		setup(th, fs, f)
		if n, err := f.Pwrite(th, vfs.Plain(first), 0); n != len(first) || err != nil {
			th.Fail("first pwrite failed")
		}
		var done atomic.Bool
		var ev lab.Event
		th.Go("writer", func(th *lab.Thread) {
			if n, err := f.Pwrite(th, vfs.Plain(second), 100); n != len(second) || err != nil {
				th.Fail("second pwrite failed")
			}
			done.Store(true)
			ev.Wake(th)
		})
		th.AwaitParked("writer")
		if err := f.Fsync(th); err != nil {
			th.Fail(err.Error())
		}
		if err := f.Reclaim(th, 0, int64(len(first))); err != nil {
			th.Fail(err.Error())
		}
		th.Release("writer")
		ev.Wait(th, done.Load)
		stale = f.inode(th).io.Stats.Invalid.Load()
		if err := fs.Fsck(th); err != nil {
			th.Fail(err.Error())
		}
		if err := fs.ReservationsCleared(th); err != nil {
			th.Fail(err.Error())
		}
		got := make([]byte, size)
		n, _ := f.Pread(th, got, 0)
		mismatch = ref.CompareRange(got[:n], 0, int64(n))
	})
	if !r.OK() {
		t.Fatalf("run: %v", r)
	}
	return mismatch, stale
}

func TestV4DaMapSeqCatchesWritebackConversion(t *testing.T) {
	m, stale := writeBeginConvert(t, variant.Correct)
	if m != nil || stale != 1 {
		t.Fatalf("correct: mismatch %v, %d stale verdicts (want none, 1)", m, stale)
	}
	m, stale = writeBeginConvert(t, variant.Ext4NoDaMapSeq)
	if m == nil || stale != 0 {
		t.Fatalf("ext4-no-da-map-seq: mismatch %v, %d stale verdicts (want the first write's bytes zeroed, 0)", m, stale)
	}
	t.Logf("ext4-no-da-map-seq loses the first write's bytes as expected: %v", m)
}
