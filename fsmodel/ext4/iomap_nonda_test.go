package ext4

import (
	"bytes"
	"testing"

	"iomaplab/check"
	"iomaplab/extent"
	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// TestNoDelallocWriteAllocatesUnwritten is v4 patch 08/23's non-delalloc
// write: the blocks are allocated in ->iomap_begin, unwritten, with no
// reservation; writeback's end I/O worker (patch 09/23) converts them to
// written, and the data survives a remount.
func TestNoDelallocWriteAllocatesUnwritten(t *testing.T) {
	data := bytes.Repeat([]byte{0x5a}, 2*extent.BlockSize)
	var before, after extent.State
	var used, reserved uint64
	var got []byte
	run(t, func(th *lab.Thread) {
		fs := New(th, Options{Blocks: 64, IOMAP: true, NoDelalloc: true})
		vf, _ := fs.Open(th, "f")
		f := vf.(*File)
		if n, err := f.Pwrite(th, vfs.Plain(data), 0); n != len(data) || err != nil {
			th.Fail("pwrite failed")
		}
		in := f.inode(th)
		before = in.ext.Lookup(1).State
		st := fs.space.Stats(th)
		used, reserved = st.Used, st.Reserved
		if err := f.Fsync(th); err != nil {
			th.Fail(err.Error())
		}
		after = in.ext.Lookup(1).State
		if err := fs.Fsck(th); err != nil {
			th.Fail(err.Error())
		}
		if err := fs.ReservationsCleared(th); err != nil {
			th.Fail(err.Error())
		}
		got = make([]byte, len(data))
		n, _ := f.Pread(th, got, 0)
		got = got[:n]
	})
	if before != extent.Unwritten || used != 2 || reserved != 0 {
		t.Fatalf("after the write: block 1 %v, %d blocks used, %d reserved (want unwritten, 2, 0)", before, used, reserved)
	}
	if after != extent.Written {
		t.Fatalf("after fsync: block 1 %v, want written", after)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("after remount: %d bytes read back, not the written ones", len(got))
	}
}

// TestNoDelallocShortWriteTruncatesPastEOF is the non-delalloc short-write
// handling: a write of three blocks over a hole whose source faults after
// 5000 bytes allocated all three in ->iomap_begin; ->iomap_end gives back
// the one past the new i_size (ext4_truncate_failed_write), keeps the two
// holding data, and those reach the disk.
func TestNoDelallocShortWriteTruncatesPastEOF(t *testing.T) {
	data := bytes.Repeat([]byte{0x63}, 3*extent.BlockSize)
	var n int
	var size int64
	var third extent.State
	var used uint64
	var got []byte
	run(t, func(th *lab.Thread) {
		fs := New(th, Options{Blocks: 64, IOMAP: true, NoDelalloc: true})
		vf, _ := fs.Open(th, "f")
		f := vf.(*File)
		n, _ = f.Pwrite(th, vfs.Buffer{Data: data, StallAt: vfs.NoOffset, FaultAt: 5000}, 0)
		size, _ = f.Size(th)
		third = f.inode(th).ext.Lookup(2).State
		used = fs.space.Stats(th).Used
		if err := fs.Fsck(th); err != nil {
			th.Fail(err.Error())
		}
		if err := fs.ReservationsCleared(th); err != nil {
			th.Fail(err.Error())
		}
		got = make([]byte, len(data))
		m, _ := f.Pread(th, got, 0)
		got = got[:m]
	})
	if n != 5000 || size != 5000 {
		t.Fatalf("short write: %d bytes, i_size %d (want 5000, 5000)", n, size)
	}
	if third != extent.Hole || used != 2 {
		t.Fatalf("block 2 %v, %d blocks used (want a hole, 2: the block past EOF given back)", third, used)
	}
	if !bytes.Equal(got, data[:5000]) {
		t.Fatalf("after remount: %d bytes read, want the 5000 copied", len(got))
	}
}

// writeBeginConvertNoDelalloc is the v4 review's interleaving on the
// non-delalloc path: no fallocate is needed, since the first write itself
// allocates its block unwritten. A second write parks right after
// ext4_iomap_get_blocks' extent status lookup (i_rwsem held, no folio
// locked); fsync writes the first write's block back and its I/O
// completion converts the extent to written (bumping i_es_seq); reclaim
// drops the clean folio. The resumed write must not zero the block.
func writeBeginConvertNoDelalloc(t *testing.T, v variant.Variant) (mismatch *check.Mismatch, stale int64) {
	t.Helper()
	o := Options{Blocks: 64, IOMAP: true, NoDelalloc: true, Variant: v}
	return convertUnderParkedWrite(t, o, "ext4.iomap_get_blocks.after_lookup", 4096, func(*lab.Thread, *FS, *File) {})
}

func TestNoDelallocMapSeqCatchesWritebackConversion(t *testing.T) {
	m, stale := writeBeginConvertNoDelalloc(t, variant.Correct)
	if m != nil || stale != 1 {
		t.Fatalf("correct: mismatch %v, %d stale verdicts (want none, 1)", m, stale)
	}
	m, stale = writeBeginConvertNoDelalloc(t, variant.Ext4NoMapSeq)
	if m == nil || stale != 0 {
		t.Fatalf("ext4-no-map-seq: mismatch %v, %d stale verdicts (want the first write's bytes zeroed, 0)", m, stale)
	}
	t.Logf("ext4-no-map-seq loses the first write's bytes as expected: %v", m)
}
