package kernel

import (
	"encoding/binary"

	"iomaplab/check"
	"iomaplab/vfs"
)

// pattern is the data an operation writes: every 8-byte word names the
// writer (tag), the run and the file offset, so a mismatch report says whose
// bytes landed where.
func pattern(tag byte, run int, off, n int64) []byte {
	start := off &^ 7
	words := make([]byte, (off+n-start+7)&^7)
	for i := 0; i < len(words); i += 8 {
		o := uint64(start) + uint64(i)
		w := uint64(tag)<<56 | uint64(run&0xff)<<48 | o&0xffffffffff
		binary.LittleEndian.PutUint64(words[i:], w^0x5a5a5a5a00000000)
	}
	return words[off-start : off-start+n]
}

// model applies op's effect on the file's content to the reference model.
func model(ref *check.RefFile, op Op, run int) {
	switch op.Kind {
	case OpPwrite, OpMapStore:
		ref.Write(pattern(op.Tag, run, op.Off, op.Len), op.Off)
	case OpTruncate:
		ref.Truncate(op.Off)
	case OpFallocate:
		switch op.Mode {
		case vfs.FallocAllocate:
			ref.Extend(op.Off + op.Len)
		case vfs.FallocPunch, vfs.FallocZeroKeepSize:
			ref.Zero(op.Off, op.Len, false)
		case vfs.FallocZero:
			ref.Zero(op.Off, op.Len, true)
		}
	}
}

// rebuild replays a run's applied operations into a fresh model.
func rebuild(ops []Op, run int) *check.RefFile {
	ref := &check.RefFile{}
	for _, op := range ops {
		model(ref, op, run)
	}
	return ref
}

// compareEither checks got against a, or per byte against a or b: in an
// undirected race the window's stores and the write may land in either
// order. b may be nil.
func compareEither(a, b *check.RefFile, got []byte) *check.Mismatch {
	m := a.Compare(got)
	if m == nil || b == nil {
		return m
	}
	if m2 := b.Compare(got); m2 == nil || m.ExpectedSize != m.ActualSize {
		return m2
	}
	wa, wb := a.Bytes(), b.Bytes()
	for i := range got {
		if got[i] != wa[i] && got[i] != wb[i] {
			return &check.Mismatch{Off: int64(i), Expected: wa[i], Actual: got[i], ExpectedSize: a.Size(), ActualSize: int64(len(got))}
		}
	}
	return nil
}
