package vfstest

import (
	"bytes"
	"fmt"

	"iomaplab/check"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// Runner applies op sequences to one file of a target and to its reference.
type Runner struct {
	FS   vfs.FS
	File vfs.File
	Ref  *check.RefFile
	// ExactFaults: a pwrite whose source faults returns exactly the bytes
	// before the fault. Without it, it may return fewer (the iomap engine
	// drops a short copy into a block that is not uptodate), never more.
	ExactFaults bool
	// Verify, if set, runs after every op that succeeded.
	Verify func(t *lab.Thread, o Op) error
}

// Run applies ops in order and returns the first failure, naming the op.
func (r *Runner) Run(t *lab.Thread, ops []Op) error {
	for i, o := range ops {
		err := r.Apply(t, o)
		if err == nil && r.Verify != nil {
			err = r.Verify(t, o)
		}
		if err != nil {
			return fmt.Errorf("op %d (%v): %w", i, o, err)
		}
	}
	return nil
}

// Apply performs o on the target and on the reference.
func (r *Runner) Apply(t *lab.Thread, o Op) error {
	f, ref := r.File, r.Ref
	size := ref.Size()
	switch o.Kind {
	case "pwrite":
		data := bytes.Repeat([]byte{o.Fill}, int(o.N))
		n, err := f.Pwrite(t, vfs.Buffer{Data: data, StallAt: vfs.NoOffset, FaultAt: o.Fault}, o.Off)
		want := o.N
		if o.Fault != vfs.NoOffset {
			want = o.Fault
		}
		if r.ExactFaults {
			if int64(n) != want || (err == nil) != (want == o.N) {
				return fmt.Errorf("pwrite returned %d, %v; want %d", n, err, want)
			}
		} else if int64(n) > want || (err == nil) != (int64(n) == o.N) {
			return fmt.Errorf("pwrite returned %d, %v", n, err)
		}
		if n > 0 {
			ref.Write(data[:n], o.Off)
		}
	case "pread":
		p := make([]byte, o.N)
		n, err := f.Pread(t, p, o.Off)
		if err != nil {
			return err
		}
		if m := ref.CompareRange(p[:n], o.Off, size); m != nil {
			return m
		}
		if want := max(0, min(o.Off+o.N, size)-o.Off); int64(n) != want {
			return fmt.Errorf("pread returned %d, want %d", n, want)
		}
	case "map-store", "map-load":
		if size == 0 {
			return nil
		}
		off := o.Off % size
		n := min(o.N, size-off)
		if o.Kind == "map-store" {
			data := bytes.Repeat([]byte{o.Fill}, int(n))
			if err := f.MapStore(t, data, off); err != nil {
				return err
			}
			ref.Write(data, off)
			return nil
		}
		p := make([]byte, n)
		if err := f.MapLoad(t, p, off); err != nil {
			return err
		}
		if m := ref.CompareRange(p, off, size); m != nil {
			return m
		}
	case "fallocate":
		if err := f.Fallocate(t, o.Mode, o.Off, o.N); err != nil {
			return err
		}
		ref.Fallocate(o.Mode, o.Off, o.N)
	case "truncate":
		if err := f.Truncate(t, o.Off); err != nil {
			return err
		}
		ref.Truncate(o.Off)
	case "fsync":
		return f.Fsync(t)
	case "sync-range":
		return f.SyncRange(t, o.Off, o.N)
	case "fadvise":
		return f.FadviseDontneed(t, o.Off, o.N)
	case "reclaim":
		return f.Reclaim(t, o.Off, o.N)
	case "drop-caches":
		return r.FS.DropCaches(t)
	case "remount":
		return r.FS.Remount(t)
	case "clone":
		return r.clone(t, o)
	default:
		panic(o.Kind)
	}
	return nil
}

// cloner is a file that can share another file's blocks (FICLONERANGE).
type cloner interface {
	CloneRange(t *lab.Thread, src vfs.File, srcOff, dstOff, length int64) error
}

// clone clones [o.Src, o.Src+o.N) of the file onto o.Off of itself: the
// source is cut at EOF (and its length must then end there), the ranges
// must not overlap; a clone that cannot be legal is skipped.
func (r *Runner) clone(t *lab.Thread, o Op) error {
	c, ok := r.File.(cloner)
	if !ok {
		panic("vfstest: clone drawn for a file without CloneRange")
	}
	size := r.Ref.Size()
	n := min(o.N, size-o.Src)
	if n <= 0 || (o.Src < o.Off+n && o.Off < o.Src+n) || (o.Src+n == size && size%4096 != 0 && o.Off+n < size) {
		return nil
	}
	if err := c.CloneRange(t, r.File, o.Src, o.Off, n); err != nil {
		return fmt.Errorf("clone: %w", err)
	}
	data := make([]byte, n)
	r.Ref.ReadAt(data, o.Src)
	r.Ref.Write(data, o.Off)
	return nil
}
