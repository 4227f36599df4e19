package ext4

import (
	"bytes"
	"testing"

	"iomaplab/lab"
	"iomaplab/vfs"
)

// run runs fn as the main thread of a free world and fails the test if the
// run did not complete.
func run(t *testing.T, fn func(th *lab.Thread)) *lab.Result {
	t.Helper()
	r := lab.NewFree().Run(fn)
	if !r.OK() {
		t.Fatalf("run: %v", r)
	}
	return r
}

func TestWriteReadRemount(t *testing.T) {
	run(t, func(th *lab.Thread) {
		fs := New(th, Options{Blocks: 64})
		f, _ := fs.Open(th, "f")
		data := bytes.Repeat([]byte("abcdefg"), 1500) // 10500 bytes, 3 blocks
		if n, err := f.Pwrite(th, vfs.Plain(data), 100); n != len(data) || err != nil {
			th.Fail("pwrite: " + err.Error())
		}
		check := func(when string) {
			got := make([]byte, 20000)
			n, err := f.Pread(th, got, 0)
			if err != nil || n != 100+len(data) || !bytes.Equal(got[100:n], data) || !bytes.Equal(got[:100], make([]byte, 100)) {
				th.Fail(when + ": read back differs")
			}
		}
		check("before sync")
		if err := fs.CheckReservations(th); err != nil {
			th.Fail(err.Error())
		}
		if err := fs.Remount(th); err != nil {
			th.Fail(err.Error())
		}
		check("after remount")
		if err := fs.Fsck(th); err != nil {
			th.Fail(err.Error())
		}
		if len(fs.Log(th)) != 0 {
			th.Fail("unexpected kernel log")
		}
	})
}
