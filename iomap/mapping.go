package iomap

import (
	"fmt"

	"iomaplab/lab"
)

// Type is what a mapping's range is backed by (IOMAP_HOLE, ...).
type Type uint8

const (
	// Hole: no blocks; reads as zeroes.
	Hole Type = iota
	// Delalloc: space reserved, no blocks chosen yet.
	Delalloc
	// Mapped: written blocks at Addr.
	Mapped
	// Unwritten: allocated blocks at Addr that read as zeroes.
	Unwritten
)

func (t Type) String() string {
	return [...]string{"hole", "delalloc", "mapped", "unwritten"}[t]
}

// Flags are a mapping's IOMAP_F_* flags.
type Flags uint16

const (
	// FlagNew: the filesystem created this space for this call (IOMAP_F_NEW).
	FlagNew Flags = 1 << iota
	// FlagShared: the blocks are shared (IOMAP_F_SHARED).
	FlagShared
	// FlagSizeChanged: the operation changed i_size (IOMAP_F_SIZE_CHANGED).
	FlagSizeChanged
	// FlagStale: the mapping went stale; the range must be mapped again
	// (IOMAP_F_STALE). Set by iomap, never by the filesystem.
	FlagStale
)

// NullAddr is the Addr of mappings without blocks (IOMAP_NULL_ADDR).
const NullAddr = -1

// Mapping is one extent mapping (struct iomap). It is a value: callers copy
// and cache it without any lock, which is the point of the cookie.
type Mapping struct {
	Offset int64 // file offset of the first byte
	Length int64 // bytes
	Type   Type
	Addr   int64 // device byte address of Offset, or NullAddr
	Flags  Flags
	// Cookie is the filesystem's validity cookie (XFS: the data fork's
	// if_seq sampled in the same ILOCK hold that produced the mapping).
	Cookie uint64
}

// End is the first byte past the mapping.
func (m *Mapping) End() int64 { return m.Offset + m.Length }

// Contains reports whether file offset pos lies in the mapping.
func (m *Mapping) Contains(pos int64) bool { return pos >= m.Offset && pos < m.End() }

// AddrAt returns the device address of file offset pos.
// Preconditions: m.Type is Mapped or Unwritten and m.Contains(pos).
func (m *Mapping) AddrAt(pos int64) int64 {
	if (m.Type != Mapped && m.Type != Unwritten) || !m.Contains(pos) {
		panic(fmt.Sprintf("iomap: AddrAt(%d) of %v", pos, m))
	}
	return m.Addr + (pos - m.Offset)
}

func (m Mapping) String() string {
	return fmt.Sprintf("%s[%d,%d)@%d flags=%#x cookie=%d", m.Type, m.Offset, m.End(), m.Addr, m.Flags, m.Cookie)
}

// Op says what an iteration is for (the IOMAP_* iomap_begin flags).
type Op uint8

const (
	// OpRead maps for a read (flags 0).
	OpRead Op = 0
	// OpWrite maps for a buffered write (IOMAP_WRITE).
	OpWrite Op = 1 << iota
	// OpZero maps for zero range (IOMAP_ZERO).
	OpZero
	// OpFault maps for page_mkwrite (IOMAP_WRITE|IOMAP_FAULT).
	OpFault
)

// Ops are the filesystem's mapping callbacks (struct iomap_ops).
type Ops interface {
	// Begin maps the range starting at pos (->iomap_begin). The mapping
	// must contain pos; it may be shorter or longer than length. For
	// OpWrite, OpZero and OpFault over a hole the filesystem reserves
	// delalloc space and returns it with FlagNew. Errors are errnos.
	Begin(t *lab.Thread, pos, length int64, op Op) (Mapping, error)
	// End finishes a mapping (->iomap_end): pos and length are what Begin
	// was asked for, clipped to m; written is how much of it the operation
	// consumed (0 after a STALE verdict with no progress).
	End(t *lab.Thread, pos, length, written int64, op Op, m *Mapping) error
}

// Validator is the optional ->iomap_valid method of struct
// iomap_write_ops. Ops without it get no validity check at all (gfs2 has
// none); writes and zeroing then trust their cached mapping.
type Validator interface {
	// Valid reports whether m's cookie is still current. It is called with
	// the folio locked and returns the value it compared the cookie with
	// (for tracepoints).
	Valid(t *lab.Thread, m *Mapping) (ok bool, seq uint64)
}

// BlockReader reads device blocks for buffered reads and read-modify-write
// (the bio layer, seen from iomap).
type BlockReader interface {
	// ReadAt fills p from device byte address addr. addr and len(p) are
	// multiples of the block size.
	ReadAt(t *lab.Thread, p []byte, addr int64) error
}
