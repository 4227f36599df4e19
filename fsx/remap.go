package fsx

import (
	"bytes"
	"errors"
	"fmt"
	"syscall"

	"iomaplab/lab"
	"iomaplab/vfs"
)

// clone runs a FICLONERANGE and applies it to the oracle as fsx.c's
// do_clone_range does: the destination range becomes the source range's
// bytes, a gap past the old EOF reads as zeroes, the size may grow. The
// caller holds the harness lock exclusively.
func (wk *worker) clone(t *lab.Thread, op Op) error {
	if op.Len == 0 {
		return nil
	}
	c, ok := wk.h.files[op.File].(vfs.Cloner)
	if !ok {
		return syscall.EOPNOTSUPP
	}
	if err := c.CloneRange(t, wk.h.files[op.SrcFile], op.SrcOff, op.Off, op.Len); err != nil {
		return err
	}
	wk.h.applyRemap(op)
	return nil
}

// copyRange runs copy_file_range as fsx.c's do_copy_range does (again
// while it copies fewer bytes than asked) and applies it to the oracle like
// a clone. A target whose files have no copy op gets fsx's generic copy: a
// pread of the source range and a pwrite of it (what the kernel's splice
// fallback amounts to). The caller holds the harness lock exclusively.
func (wk *worker) copyRange(t *lab.Thread, op Op) error {
	if op.Len == 0 {
		return nil
	}
	h := wk.h
	dst, src := h.files[op.File], h.files[op.SrcFile]
	if c, ok := dst.(vfs.Copier); ok && !h.copyGeneric {
		for done := int64(0); done < op.Len; {
			n, err := c.CopyRange(t, src, op.SrcOff+done, op.Off+done, op.Len-done)
			switch {
			case err != nil:
				return err
			case n <= 0 || n > op.Len-done:
				return fmt.Errorf("copy_file_range copied %d of %d bytes below the source's EOF", n, op.Len-done)
			}
			done += n
		}
	} else {
		p := wk.scratch(op.Len)
		n, err := src.Pread(t, p, op.SrcOff)
		if err == nil && int64(n) != op.Len {
			err = fmt.Errorf("copy: short read: %d of %d bytes", n, op.Len)
		}
		if err != nil {
			return err
		}
		if n, err = dst.Pwrite(t, vfs.Plain(p), op.Off); err == nil && int64(n) != op.Len {
			err = fmt.Errorf("copy: short write: %d of %d bytes", n, op.Len)
		}
		if err != nil {
			return err
		}
	}
	h.applyRemap(op)
	return nil
}

// applyRemap copies [SrcOff, SrcOff+Len) of the source's oracle onto
// [Off, End) of the destination's, zeroing any gap past its EOF.
func (h *harness) applyRemap(op Op) {
	data := make([]byte, op.Len)
	h.refs[op.SrcFile].ReadAt(data, op.SrcOff)
	ref := h.refs[op.File]
	if op.Off > ref.Size() {
		ref.Truncate(op.Off)
	}
	ref.Write(data, op.Off)
}

// dedupe runs a FIDEDUPERANGE. It changes no byte, so the oracle stays;
// it runs under the harness lock taken shared, on any ranges, and the
// target's own locks keep the compare-and-share atomic against the other
// threads' writes and stores. With one thread the oracle also knows
// whether the ranges are equal, and checks the target's answer.
func (wk *worker) dedupe(t *lab.Thread, op Op) error {
	if op.Len == 0 {
		return nil
	}
	h := wk.h
	d, ok := h.files[op.File].(vfs.Deduper)
	if !ok {
		return syscall.EOPNOTSUPP
	}
	same, err := d.DedupeRange(t, h.files[op.SrcFile], op.SrcOff, op.Off, op.Len)
	if err != nil {
		return err
	}
	if same {
		h.dedupeSame.Add(1)
	}
	if h.cfg.Threads == 1 {
		src, dst := make([]byte, op.Len), make([]byte, op.Len)
		h.refs[op.SrcFile].ReadAt(src, op.SrcOff)
		h.refs[op.File].ReadAt(dst, op.Off)
		want := bytes.Equal(src, dst)
		if same != want {
			return fmt.Errorf("dedupe said same=%v, but the oracle's ranges are equal=%v", same, want)
		}
	}
	return nil
}

// unsupported reports whether a probe's error means the target cannot run
// the op at all, as fsx.c's test_clone_range, test_dedupe_range and
// test_copy_range decide (EINVAL: older kernels' FIDEDUPERANGE).
func unsupported(err error) bool {
	return errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOTTY) ||
		errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EXDEV) || errors.Is(err, syscall.EINVAL)
}

// probeRemap disables clone and dedupe if the target's files do not run
// them (ext4, tmpfs), and makes copy generic if they have no copy op, by
// trying each once on the probe file f, two blocks of zeroes: block 0 onto
// block 1.
func (h *harness) probeRemap(t *lab.Thread, f vfs.File) {
	o := &h.cfg.Options
	if n, err := f.Pwrite(t, vfs.Plain(make([]byte, 2*remapBlock)), 0); err != nil || n != 2*remapBlock {
		o.Disabled = o.Disabled.With(Clone).With(Dedupe)
		return
	}
	if c, ok := f.(vfs.Cloner); !ok || unsupported(c.CloneRange(t, f, 0, remapBlock, remapBlock)) {
		o.Disabled = o.Disabled.With(Clone)
	}
	if d, ok := f.(vfs.Deduper); !ok {
		o.Disabled = o.Disabled.With(Dedupe)
	} else if _, err := d.DedupeRange(t, f, 0, remapBlock, remapBlock); unsupported(err) {
		o.Disabled = o.Disabled.With(Dedupe)
	}
	if c, ok := f.(vfs.Copier); !ok {
		h.copyGeneric = true
	} else if _, err := c.CopyRange(t, f, 0, 1, 1); unsupported(err) {
		h.copyGeneric = true
	}
}
