package blockdev

import (
	"errors"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"

	"iomaplab/lab"
)

// failingHost is a backing file whose every transfer fails with err, or
// moves half the bytes and reports nothing (short).
type failingHost struct {
	err   error
	short bool
}

func (f failingHost) ReadAt(p []byte, off int64) (int, error) { return f.transfer(p) }

func (f failingHost) WriteAt(p []byte, off int64) (int, error) { return f.transfer(p) }

func (f failingHost) transfer(p []byte) (int, error) {
	if f.short {
		return len(p) / 2, nil
	}
	return 0, f.err
}

func (failingHost) Close() error { return nil }

// A failed or short pread/pwrite of the backing file stops the run with
// outcome HostFault and a HostError (an environment error naming the path
// and the errno), in both kinds of world; the filesystem never sees it as
// an I/O error. An injected device error still is one.
func TestHostFaultStopsTheRun(t *testing.T) {
	enospc := &os.PathError{Op: "write", Path: "/full/dev.img", Err: syscall.ENOSPC}
	eio := &os.PathError{Op: "read", Path: "/full/dev.img", Err: syscall.EIO}
	cases := []struct {
		host failingHost
		io   func(d *Device, t *lab.Thread) error
		want string
	}{
		{failingHost{err: enospc}, func(d *Device, t *lab.Thread) error { return d.Write(t, 1, block(1, 1), Owner{1, 0}) }, "pwrite of block 1 on the backing file /full/dev.img: ENOSPC"},
		{failingHost{err: eio}, func(d *Device, t *lab.Thread) error { return d.Read(t, 2, make([]byte, BlockSize)) }, "pread of block 2 on the backing file /full/dev.img: EIO"},
		{failingHost{short: true}, func(d *Device, t *lab.Thread) error { return d.Write(t, 1, block(1, 1), Owner{1, 0}) }, "short pwrite: 2048 of 4096 bytes"},
		{failingHost{err: enospc}, func(d *Device, t *lab.Thread) error {
			b := &Bio{Op: OpWrite, PBlk: 1, Data: block(1, 1), Owner: Owner{1, 0}}
			d.Submit(t, b)
			return b.Err
		}, "ENOSPC"},
	}
	for _, controlled := range []bool{false, true} {
		for i, c := range cases {
			d := NewOnFile("/full/dev.img", c.host, 4)
			cfg := lab.Config{}
			if controlled {
				s := lab.NewRandom(1)
				s.NewSchedule()
				cfg = lab.Config{Controlled: true, Strategy: s}
			}
			var ioErr error
			r := lab.NewWorld(cfg).Run(func(t *lab.Thread) {
				d.Own(t, 1, 1, 1, 0)
				ioErr = c.io(d, t)
				t.Fail("the I/O returned: " + ioErrString(ioErr))
			})
			var he *HostError
			var env interface{ Environment() bool }
			if r.Outcome != lab.HostFault || !errors.As(r.Err, &he) || !errors.As(r.Err, &env) || !env.Environment() || !strings.Contains(r.Err.Error(), c.want) {
				t.Fatalf("controlled %v case %d: %v, err %v; want a host fault with %q", controlled, i, r, r.Err, c.want)
			}
		}
	}
	// An injected device error is the model's EIO, returned to the caller.
	d := NewOnFile("/dev.img", &memFile{make([]byte, 4*BlockSize)}, 4)
	r := lab.NewFree().Run(func(t *lab.Thread) {
		d.InjectError(t, 2, OpRead, 1)
		if err := d.Read(t, 2, make([]byte, BlockSize)); !errors.Is(err, syscall.EIO) {
			t.Fail("injected error: " + ioErrString(err))
		}
	})
	if !r.OK() {
		t.Fatal(r)
	}
}

func ioErrString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

type memFile struct{ b []byte }

func (m *memFile) ReadAt(p []byte, off int64) (int, error) {
	n := copy(p, m.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (m *memFile) WriteAt(p []byte, off int64) (int, error) { return copy(m.b[off:], p), nil }

func (m *memFile) Close() error { return nil }
