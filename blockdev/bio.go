package blockdev

import (
	"fmt"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"iomaplab/lab"
)

// Op is an I/O direction.
type Op uint8

const (
	OpRead Op = iota
	OpWrite
)

func (o Op) String() string {
	if o == OpWrite {
		return "write"
	}
	return "read"
}

// Bio is one I/O of whole contiguous blocks (the kernel's struct bio). The
// submitter fills the exported fields, except Err, and must not touch the
// Bio again until its completion has run (End, WaitBio or WaitInode).
type Bio struct {
	Op   Op
	PBlk uint64 // first physical block
	// Data holds whole blocks: a write's source, a read's destination.
	Data []byte
	// Owner is the file block of the first block; block i is Owner.FBlk+i.
	// For a write it is the writer's claim, checked by the ownership oracle
	// (Owner.Ino must not be 0); for a read it only names the I/O for
	// WaitInode.
	Owner Owner
	// End, if not nil, is the completion callback (bio->bi_end_io, XFS's
	// ioend work). It runs on the completion daemon's thread, after the data
	// moved and Err was set.
	End func(t *lab.Thread, b *Bio)
	// Err is the first error of the I/O (EIO from an injected error, an
	// error injected at the blockdev.submit or blockdev.complete point), set
	// by the device. A backing file's error is not an I/O error: it ends
	// the run (lab.HostFault, see HostError). A write rejected by the
	// ownership oracle is not an error: the oracle reports it instead, and
	// the fs model carries on as the kernel would.
	Err error

	seq  uint64 // submission order, from 1; 0 until submitted
	done atomic.Bool
}

// Blocks is the number of blocks b transfers.
func (b *Bio) Blocks() uint64 { return uint64(len(b.Data)) / BlockSize }

// Done reports whether b's completion has run.
func (b *Bio) Done() bool { return b.done.Load() }

func (b *Bio) String() string {
	return fmt.Sprintf("%v pblk %d+%d (%v)", b.Op, b.PBlk, b.Blocks(), b.Owner)
}

func (d *Device) checkBio(b *Bio) {
	if len(b.Data) == 0 || len(b.Data)%BlockSize != 0 {
		panic(fmt.Sprintf("blockdev: %v: data of %d bytes is not whole blocks", b, len(b.Data)))
	}
	d.mustRange(b.Op.String(), b.PBlk, b.Blocks())
	if b.Op == OpWrite && b.Owner.Ino == 0 {
		panic(fmt.Sprintf("blockdev: %v: a data write without an owner claim", b))
	}
}

// Submit starts b (submit_bio): it moves the data now, in the caller's
// thread, and queues b for completion; the completion daemon later runs
// b.End. It never blocks on the completion. Point blockdev.submit comes
// first; an error injected there fails the whole I/O (nothing moves). A Bio
// is submitted once (resubmitting panics).
func (d *Device) Submit(t *lab.Thread, b *Bio) {
	d.checkBio(b)
	d.qMu.Lock(t)
	if b.seq != 0 {
		d.qMu.Unlock(t)
		panic(fmt.Sprintf("blockdev: %v submitted twice", b))
	}
	d.nextSeq++
	b.seq = d.nextSeq
	d.inflight.ReplaceOrInsert(b)
	d.qMu.Unlock(t)

	d.transfer(t, b, true)

	d.qMu.Lock(t)
	d.queue = append(d.queue, b)
	d.queued.Add(1)
	d.qMu.Unlock(t)
	d.work.Wake(t)
}

// Read reads whole blocks at pblk into p, synchronously (submit_bio_wait).
func (d *Device) Read(t *lab.Thread, pblk uint64, p []byte) error {
	b := &Bio{Op: OpRead, PBlk: pblk, Data: p}
	d.checkBio(b)
	d.transfer(t, b, true)
	return b.Err
}

// Write writes whole blocks from p at pblk synchronously, claiming them for
// claim (block i for claim.FBlk+i). Blocks the claim does not own are not
// written (see Own).
func (d *Device) Write(t *lab.Thread, pblk uint64, p []byte, claim Owner) error {
	b := &Bio{Op: OpWrite, PBlk: pblk, Data: p, Owner: claim}
	d.checkBio(b)
	d.transfer(t, b, true)
	return b.Err
}

// WriteRaw writes whole blocks bypassing the ownership oracle and injected
// errors: for tests that damage data behind the fs model's back.
func (d *Device) WriteRaw(t *lab.Thread, pblk uint64, p []byte) error {
	b := &Bio{Op: OpWrite, PBlk: pblk, Data: p, Owner: Owner{Ino: ^uint64(0)}}
	d.checkBio(b)
	d.transfer(t, b, false)
	return b.Err
}

// transfer moves b's data block by block. checked applies injected errors
// and, for writes, the ownership oracle (under ownMu shared, so an owner
// cannot change in the middle of the I/O).
func (d *Device) transfer(t *lab.Thread, b *Bio, checked bool) {
	if err := t.Point("blockdev.submit"); err != nil && checked {
		b.Err = err
		return
	}
	write := b.Op == OpWrite
	if write && checked {
		d.ownMu.RLock(t)
		defer d.ownMu.RUnlock(t)
	}
	for i := range b.Blocks() {
		pblk := b.PBlk + i
		p := b.Data[i*BlockSize : (i+1)*BlockSize]
		if checked && d.injected(t, pblk, b.Op) {
			t.Tracepoint("block_io_error", lab.F("pblk", int64(pblk)), lab.F("op", int64(b.Op)))
			b.setErr(unix.EIO)
			continue
		}
		if write && checked {
			claim := Owner{b.Owner.Ino, b.Owner.FBlk + i}
			if rest := d.extra[pblk]; len(rest) > 0 {
				d.violate(t, Violation{Kind: WriteShared, PBlk: pblk, Claim: claim, Actual: d.ownerLocked(pblk)})
				continue
			}
			if cur := d.ownerLocked(pblk); cur != claim {
				kind := WriteForeign
				if cur.Ino == 0 {
					kind = WriteUnowned
				}
				d.violate(t, Violation{Kind: kind, PBlk: pblk, Claim: claim, Actual: cur})
				continue
			}
		}
		var err error
		if write {
			err = d.store.writeBlock(pblk, p)
		} else {
			err = d.store.readBlock(pblk, p)
		}
		if err != nil {
			t.HostFault(err) // a HostError: the host failed, not the device
		}
	}
}

func (b *Bio) setErr(err error) {
	if b.Err == nil {
		b.Err = err
	}
}
