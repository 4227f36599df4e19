package ext4

import (
	"bytes"
	"fmt"
	"testing"

	"iomaplab/lab"
	"iomaplab/vfs"
)

// BenchmarkBufferedWrite measures 1 MiB of buffered writes in 64 KiB calls
// plus an fsync, in a free world, on each path.
func BenchmarkBufferedWrite(b *testing.B) {
	data := bytes.Repeat([]byte{0x5a}, 64<<10)
	for _, io := range []bool{false, true} {
		b.Run(fmt.Sprintf("iomap=%v", io), func(b *testing.B) {
			b.SetBytes(1 << 20)
			r := lab.NewFree().Run(func(th *lab.Thread) {
				fs := New(th, Options{Blocks: 1024, IOMAP: io})
				f, _ := fs.Open(th, "f")
				b.ResetTimer()
				for range b.N {
					for off := int64(0); off < 1<<20; off += int64(len(data)) {
						if _, err := f.Pwrite(th, vfs.Plain(data), off); err != nil {
							th.Fail(err.Error())
						}
					}
					if err := f.Fsync(th); err != nil {
						th.Fail(err.Error())
					}
				}
			})
			if !r.OK() {
				b.Fatal(r)
			}
		})
	}
}
