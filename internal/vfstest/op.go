package vfstest

import (
	"fmt"

	"pgregory.net/rapid"

	"iomaplab/vfs"
)

// Op is one vfs operation of a property sequence.
type Op struct {
	Kind  string
	Off   int64
	N     int64
	Fill  byte
	Mode  vfs.FallocMode
	Fault int64 // pwrite: FaultAt, or NoOffset
	Src   int64 // clone: the source offset (Off is the destination)
}

func (o Op) String() string {
	switch o.Kind {
	case "pwrite":
		return fmt.Sprintf("pwrite %d %d fill=%#x fault-at=%d", o.Off, o.N, o.Fill, o.Fault)
	case "fallocate":
		return fmt.Sprintf("fallocate %v %d %d", o.Mode, o.Off, o.N)
	case "map-store":
		return fmt.Sprintf("map-store %d %d fill=%#x", o.Off, o.N, o.Fill)
	case "clone":
		return fmt.Sprintf("clone %d to %d, %d bytes", o.Src, o.Off, o.N)
	}
	return fmt.Sprintf("%s %d %d", o.Kind, o.Off, o.N)
}

// Gen draws Ops over a file of at most MaxFile bytes.
type Gen struct {
	// Kinds is sampled uniformly (repeat a kind to weight it): pwrite,
	// pread, map-store, map-load, fallocate, zero-range (a fallocate in
	// one of the two zero modes), truncate, fsync, sync-range, fadvise,
	// reclaim, drop-caches, remount, and clone (FICLONERANGE within the
	// file, block aligned; only for files that implement CloneRange).
	Kinds     []string
	BlockSize int64
	MaxFile   int64
	// MaxLen bounds a long op's length; a short one is at most two blocks.
	MaxLen int64
	// BlockFaults moves a pwrite's source fault down to a file block
	// boundary.
	BlockFaults bool
}

// hotBlocks is the size, in blocks, of the region Draw favours.
const hotBlocks = 4

// Draw draws one op; offsets cluster on block boundaries with some
// unaligned ones.
func (g Gen) Draw(rt *rapid.T) Op {
	bs := g.BlockSize
	o := Op{Kind: rapid.SampledFrom(g.Kinds).Draw(rt, "kind"), Fault: vfs.NoOffset}
	off := func(label string) int64 {
		// A quarter of offsets fall in the first hotBlocks blocks, so
		// that sequences revisit folios: a store after writeback
		// write-protected the same folio needs two ops to meet.
		last := g.MaxFile/bs - 1
		if rapid.IntRange(0, 3).Draw(rt, label+"-hot") == 0 {
			last = min(last, hotBlocks-1)
		}
		b := rapid.Int64Range(0, last).Draw(rt, label)
		if rapid.IntRange(0, 3).Draw(rt, label+"-unaligned") == 0 {
			return b*bs + rapid.Int64Range(1, bs-1).Draw(rt, label+"-byte")
		}
		return b * bs
	}
	length := func(label string) int64 {
		if rapid.Bool().Draw(rt, label+"-short") {
			return rapid.Int64Range(1, 2*bs).Draw(rt, label)
		}
		return rapid.Int64Range(1, g.MaxLen).Draw(rt, label)
	}
	o.Off, o.N = off("off"), length("len")
	o.N = min(o.N, g.MaxFile-o.Off)
	o.Fill = rapid.Byte().Draw(rt, "fill")
	switch o.Kind {
	case "pwrite":
		if rapid.IntRange(0, 7).Draw(rt, "faults") == 0 {
			o.Fault = rapid.Int64Range(0, o.N-1).Draw(rt, "fault-at")
			if g.BlockFaults {
				o.Fault = max(0, (o.Off+o.Fault)&^(bs-1)-o.Off)
			}
		}
	case "fallocate":
		o.Mode = vfs.FallocMode(rapid.IntRange(0, 4).Draw(rt, "mode"))
	case "zero-range":
		o.Kind, o.Mode = "fallocate", vfs.FallocMode(rapid.IntRange(int(vfs.FallocZero), int(vfs.FallocZeroKeepSize)).Draw(rt, "mode"))
	case "truncate":
		o.Off = rapid.Int64Range(0, g.MaxFile).Draw(rt, "size")
	case "clone":
		o.Off &^= bs - 1
		o.Src = off("src") &^ (bs - 1)
		o.N = (o.N + bs - 1) &^ (bs - 1)
		o.N = min(o.N, g.MaxFile-o.Off)
	}
	return o
}
