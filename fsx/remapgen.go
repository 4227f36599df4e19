package fsx

// remapBlock is the alignment of clone and dedupe offsets and lengths: the
// filesystem block (fsx.c's block_size; 4 KiB on every target here).
const remapBlock = 4096

// shapeRemap gives a clone, dedupe or copy its two ranges, as fsx.c's
// generate_dest_range does: the source range lies inside the source file,
// the destination below the maximum file size (a dedupe's inside the
// destination file: both must be below EOF), and on one file the two do not
// overlap (the kernel refuses that with EINVAL). Clone and dedupe are block
// aligned; copy follows -r for the source and -w for the destination. An op
// with no room is skipped: Len 0.
func (g *gen) shapeRemap(op *Op, d draw, sizeOf func(file int) int64) {
	o := g.opt
	if op.Kind == Dedupe && d.again && g.last != nil && g.dedupeAgain(op, sizeOf) {
		return
	}
	op.SrcFile = d.src
	srcSize := sizeOf(d.src)
	salign, dalign := int64(remapBlock), int64(remapBlock)
	if op.Kind == Copy {
		salign, dalign = o.ReadAlign, o.WriteAlign
	}
	dmax := o.MaxFileSize
	if op.Kind == Dedupe {
		dmax = op.Size
	}
	if srcSize == 0 || dmax == 0 {
		return
	}
	op.SrcOff = alignDown(int64(d.r1%uint64(srcSize)), salign)
	op.Off = alignDown(int64(d.r3%uint64(dmax)), dalign)
	n := min(1+int64(d.r2%uint64(o.MaxOpSize)), srcSize-op.SrcOff, dmax-op.Off)
	if op.Kind != Copy {
		n = alignDown(n, remapBlock)
	}
	if op.SrcFile == op.File && op.SrcOff < op.Off+n && op.Off < op.SrcOff+n {
		n = 0 // overlapping ranges of one file
	}
	op.Len = max(n, 0)
	if op.Kind != Dedupe && op.Len > 0 {
		last := *op
		g.last = &last
	}
}

// dedupeAgain aims a dedupe at the ranges of the thread's last clone or
// copy, block aligned inwards and cut to both files' current sizes. It
// reports false, leaving op alone, if they hold no whole block that could
// be shared (a copy between offsets not congruent modulo a block).
func (g *gen) dedupeAgain(op *Op, sizeOf func(file int) int64) bool {
	l := g.last
	srcOff := alignUp(l.SrcOff, remapBlock)
	off := l.Off + (srcOff - l.SrcOff)
	size := sizeOf(l.File)
	n := min(l.End(), size) - off
	n = alignDown(min(n, sizeOf(l.SrcFile)-srcOff), remapBlock)
	if off%remapBlock != 0 || n <= 0 {
		return false
	}
	op.SrcFile, op.SrcOff, op.File, op.Off, op.Len, op.Size = l.SrcFile, srcOff, l.File, off, n, size
	return true
}

// shapeRemapIn gives a clone or copy two ranges of its file inside the
// thread's slice [lo, hi), one in each half (which one is the source is a
// coin), so it changes only bytes the thread owns and no size: it may run
// under the harness lock taken shared. ok is false if the slice has no
// room at the kind's alignment (a clone needs two whole blocks).
func (g *gen) shapeRemapIn(d draw, size, lo, hi int64) (op Op, ok bool) {
	op = Op{Kind: d.kind, File: d.file, SrcFile: d.file, Size: size}
	align := int64(remapBlock)
	if d.kind == Copy {
		align = max(g.opt.ReadAlign, g.opt.WriteAlign)
	}
	lo, hi = alignUp(lo, align), alignDown(hi, align)
	half := alignDown((hi-lo)/2, align)
	n := min(1+int64(d.r2%uint64(g.opt.MaxOpSize)), half)
	if d.kind == Clone {
		n = alignDown(n, remapBlock)
	}
	if n <= 0 {
		return op, false
	}
	a := lo + alignDown(int64(d.r1%uint64(half-n+1)), align)
	b := lo + half + alignDown(int64(d.r3%uint64(half-n+1)), align)
	if d.r3>>63 != 0 {
		a, b = b, a
	}
	op.SrcOff, op.Off, op.Len = a, b, n
	last := op
	g.last = &last
	return op, true
}
