package kernel

import (
	"fmt"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"iomaplab/scenario"
)

// FIEMAP ABI (<linux/fiemap.h>).
const (
	fsIocFiemap   = 0xc020660b // FS_IOC_FIEMAP
	fiemapMaxExts = 256

	ExtentLast      = 0x1
	ExtentUnknown   = 0x2
	ExtentDelalloc  = 0x4
	ExtentInline    = 0x200
	ExtentUnwritten = 0x800
	ExtentShared    = 0x2000
)

type fiemapHdr struct {
	Start, Length                           uint64
	Flags, MappedExtents, ExtentCount, Resv uint32
}

type fiemapExtent struct {
	Logical, Physical, Length uint64
	_                         [2]uint64
	Flags                     uint32
	_                         [3]uint32
}

// Extent is one FIEMAP record: a logical byte range and its state.
type Extent struct {
	Off, Len uint64
	Flags    uint32
}

// State names the extent's state: delalloc, unwritten, inline or written.
func (e Extent) State() string {
	switch {
	case e.Flags&ExtentDelalloc != 0:
		return "delalloc"
	case e.Flags&ExtentUnwritten != 0:
		return "unwritten"
	case e.Flags&ExtentInline != 0:
		return "inline"
	}
	return "written"
}

// Extents is a file's extent map as FIEMAP reports it.
type Extents []Extent

// String renders the map compactly: "0+64k:delalloc 1m+4k:written".
func (x Extents) String() string {
	if len(x) == 0 {
		return "(no extents)"
	}
	var b strings.Builder
	for i, e := range x {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s+%s:%s", scenario.FormatSize(int64(e.Off)), scenario.FormatSize(int64(e.Len)), e.State())
	}
	return b.String()
}

// States counts the bytes mapped in each state.
func (x Extents) States() map[string]uint64 {
	m := map[string]uint64{}
	for _, e := range x {
		m[e.State()] += e.Len
	}
	return m
}

// fiemap reads the extent map of fd without syncing first, so delalloc and
// unwritten extents show as they are.
func fiemap(fd int) (Extents, error) {
	var out Extents
	start := uint64(0)
	for {
		buf := make([]byte, int(unsafe.Sizeof(fiemapHdr{}))+fiemapMaxExts*int(unsafe.Sizeof(fiemapExtent{})))
		h := (*fiemapHdr)(unsafe.Pointer(&buf[0]))
		h.Start, h.Length, h.ExtentCount = start, ^uint64(0)-start, fiemapMaxExts
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), fsIocFiemap, uintptr(unsafe.Pointer(&buf[0])))
		if e != 0 {
			return nil, fmt.Errorf("FS_IOC_FIEMAP: %w", e)
		}
		n := int(h.MappedExtents)
		if n == 0 {
			return out, nil
		}
		exts := unsafe.Slice((*fiemapExtent)(unsafe.Pointer(&buf[unsafe.Sizeof(fiemapHdr{})])), n)
		for _, x := range exts {
			out = append(out, Extent{Off: x.Logical, Len: x.Length, Flags: x.Flags})
		}
		last := exts[n-1]
		if last.Flags&ExtentLast != 0 || n < fiemapMaxExts {
			return out, nil
		}
		start = last.Logical + last.Length
	}
}

// unbackedData returns the first offset where the model holds non-zero data
// but the synced extent map has no written extent: data that exists only in
// the page cache, or sits under an extent still marked unwritten or
// delalloc after fsync. -1 if none.
func unbackedData(x Extents, want []byte, block int64) int64 {
	for off := int64(0); off < int64(len(want)); off += block {
		end := min(off+block, int64(len(want)))
		if allZero(want[off:end]) {
			continue
		}
		ok := false
		for _, e := range x {
			if uint64(off) >= e.Off && uint64(off) < e.Off+e.Len {
				st := e.State()
				ok = st == "written" || st == "inline"
				break
			}
		}
		if !ok {
			return off
		}
	}
	return -1
}
