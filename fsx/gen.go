package fsx

import "math/rand/v2"

// gen is one thread's seeded generator. It draws an operation's kind, file
// and raw random numbers first; shape turns them into a range once the
// thread holds the harness lock and the file's size is stable.
type gen struct {
	opt    *Options
	rng    *rand.Rand
	weight int
	// last is this thread's last clone or copy that ran; a dedupe draws
	// its ranges half the time, so dedupes of equal bytes happen (fsx.c
	// draws dedupes at random and nearly always gets "differs").
	last *Op
}

func newGen(opt *Options, thread int) *gen {
	return &gen{
		opt:    opt,
		rng:    rand.New(rand.NewPCG(opt.Seed, 0x9e3779b97f4a7c15^uint64(thread))),
		weight: opt.Disabled.enabledWeight(),
	}
}

// draw is an operation before it has a range.
type draw struct {
	kind   Kind
	file   int
	r1, r2 uint64
	keep   bool
	// clone, dedupe, copy: the source file and the destination offset's
	// random number; again: a dedupe reuses the last clone or copy's ranges
	src   int
	r3    uint64
	again bool
	short bool // a write faults in its source buffer at byte r1>>32 mod Len
}

func (g *gen) draw() draw {
	d := draw{file: g.rng.IntN(g.opt.Files), r1: g.rng.Uint64(), r2: g.rng.Uint64(), keep: g.rng.IntN(2) == 0}
	d.short = g.opt.ShortEvery > 0 && g.rng.Int64N(g.opt.ShortEvery) == 0
	d.src, d.r3, d.again = g.rng.IntN(g.opt.Files), g.rng.Uint64(), g.rng.IntN(2) == 0
	switch {
	case g.opt.RemountEvery > 0 && g.rng.Int64N(g.opt.RemountEvery) == 0:
		d.kind = Remount
	case g.opt.DropEvery > 0 && g.rng.Int64N(g.opt.DropEvery) == 0:
		d.kind = DropCaches
	default:
		n := g.rng.IntN(g.weight)
		for _, k := range Kinds() {
			if g.opt.Disabled.Has(k) {
				continue
			}
			if n < weights[k] {
				d.kind = k
				break
			}
			n -= weights[k]
		}
	}
	return d
}

// shape gives d its range for the files' sizes, as fsx does: reads and
// punches inside the file, writes and fallocates anywhere below the maximum
// file size, op lengths 1..MaxOpSize; clone, dedupe and copy as in
// shapeRemap. The op is marked Excl if it must run under the exclusive
// harness lock (it may change a size or punch a hole).
func (g *gen) shape(d draw, sizeOf func(file int) int64) Op {
	o := g.opt
	size := sizeOf(d.file)
	op := Op{Kind: d.kind, File: d.file, Size: size, Excl: d.kind.exclusive()}
	maxf := o.MaxFileSize
	span := func(align int64) {
		op.Off = alignDown(int64(d.r1%uint64(maxf)), align)
		op.Len = min(1+int64(d.r2%uint64(o.MaxOpSize)), maxf-op.Off)
	}
	switch d.kind {
	case Read, MapRead:
		if size > 0 {
			op.Off = alignDown(int64(d.r1%uint64(size)), o.ReadAlign)
			op.Len = min(1+int64(d.r2%uint64(o.MaxOpSize)), size-op.Off)
		}
	case Write, MapWrite, Fallocate, ZeroRange:
		span(o.WriteAlign)
		op.Keep = d.keep && d.kind != Write && d.kind != MapWrite
		op.Excl = op.Excl || op.End() > size
		g.setShort(&op, d)
	case Punch:
		op.Off = alignDown(int64(d.r1%uint64(max(size, 1))), o.WriteAlign)
		op.Len = min(1+int64(d.r2%uint64(o.MaxOpSize)), maxf-op.Off)
		op.Keep = true
	case Truncate:
		op.Off = alignDown(int64(d.r1%uint64(maxf+1)), o.TruncAlign)
	case SyncRange, Fadvise, Reclaim:
		op.Off = int64(d.r1 % uint64(maxf))
		op.Len = 1 + int64(d.r2%uint64(maxf-op.Off))
	case Fsync:
		op.Len = size
	case Clone, Copy:
		op.Excl = true // read one range, write another: maybe in another slice, maybe extending
		g.shapeRemap(&op, d, sizeOf)
	case Dedupe:
		g.shapeRemap(&op, d, sizeOf)
	}
	return op
}

// shapeIn gives a data op (read, write, mapread, mapwrite below EOF) a range
// inside the thread's slice [lo, hi) of the file. ok is false if the slice
// has no room at the kind's alignment.
func (g *gen) shapeIn(d draw, size, lo, hi int64) (op Op, ok bool) {
	align := g.opt.WriteAlign
	if d.kind == Read || d.kind == MapRead {
		align = g.opt.ReadAlign
	}
	op = Op{Kind: d.kind, File: d.file, Size: size}
	if hi <= lo {
		return op, false
	}
	op.Off = alignUp(lo+int64(d.r1%uint64(hi-lo)), align)
	if op.Off >= hi {
		op.Off = alignUp(lo, align)
		if op.Off >= hi {
			return op, false
		}
	}
	op.Len = min(1+int64(d.r2%uint64(g.opt.MaxOpSize)), hi-op.Off)
	g.setShort(&op, d)
	return op, true
}

// setShort makes a drawn short write fault at a byte inside its buffer.
func (g *gen) setShort(op *Op, d draw) {
	if d.short && op.Kind == Write && op.Len > 1 {
		op.Short = 1 + int64((d.r1>>32)%uint64(op.Len-1))
	}
}

func alignDown(x, a int64) int64 { return x - x%a }

func alignUp(x, a int64) int64 { return alignDown(x+a-1, a) }
