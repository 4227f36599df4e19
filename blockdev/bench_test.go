package blockdev

import (
	"testing"

	"iomaplab/lab"
)

// The device benchmarks write 64 KiB I/Os round a 64 MiB memory device,
// every block owned by the writer; BenchmarkCopyBaseline is the plain copy
// into pre-touched memory that they are measured against.
const (
	benchIO     = 16 // blocks per I/O
	benchBlocks = 1 << 14
)

func BenchmarkCopyBaseline(b *testing.B) {
	dst := make([]byte, benchBlocks*BlockSize)
	src := block(0x5a, benchIO)
	for i := range dst { // pre-touch, as the device's pages are after one lap
		dst[i] = 1
	}
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	for i := range b.N {
		off := (i * benchIO % benchBlocks) * BlockSize
		copy(dst[off:off+len(src)], src)
	}
}

func benchDevice(b *testing.B, async bool) {
	d := NewMemory(benchBlocks)
	src := block(0x5a, benchIO)
	b.SetBytes(int64(len(src)))
	lab.NewFree().Run(func(t *lab.Thread) {
		d.Own(t, 0, benchBlocks, 1, 0)
		for p := uint64(0); p < benchBlocks; p += benchIO { // pre-touch
			d.Write(t, p, src, Owner{1, p})
		}
		if async {
			t.GoDaemon("io-completion", d.RunCompletions)
		}
		b.ResetTimer()
		for i := range b.N {
			p := uint64(i * benchIO % benchBlocks)
			if async {
				d.Submit(t, &Bio{Op: OpWrite, PBlk: p, Data: src, Owner: Owner{1, p}})
			} else if err := d.Write(t, p, src, Owner{1, p}); err != nil {
				b.Fatal(err)
			}
		}
		d.WaitInode(t, 1, 0, ^uint64(0))
		b.StopTimer()
	})
}

// BenchmarkMemoryWrite: synchronous Write (ownership checked per block).
func BenchmarkMemoryWrite(b *testing.B) { benchDevice(b, false) }

// BenchmarkMemorySubmit: asynchronous Submit with the completion daemon
// running concurrently; the timer includes waiting for the last completion.
func BenchmarkMemorySubmit(b *testing.B) { benchDevice(b, true) }
