package iomap

import (
	"bytes"
	"strings"
	"syscall"
	"testing"

	"iomaplab/lab"
	"iomaplab/pagecache"
	"iomaplab/vfs"
)

// fakeFS maps every offset as one big Mapped extent at device address 0 of
// a zero-filled device, with a settable cookie check.
type fakeFS struct {
	begins int
	valid  func() bool
	ends   []int64 // written per End
}

func (f *fakeFS) Begin(t *lab.Thread, pos, length int64, op Op) (Mapping, error) {
	f.begins++
	return Mapping{Offset: 0, Length: 1 << 40, Type: Mapped, Addr: 0, Cookie: uint64(f.begins)}, nil
}

func (f *fakeFS) End(t *lab.Thread, pos, length, written int64, op Op, m *Mapping) error {
	f.ends = append(f.ends, written)
	return nil
}

func (f *fakeFS) Valid(t *lab.Thread, m *Mapping) (bool, uint64) {
	if f.valid == nil || f.valid() {
		return true, m.Cookie
	}
	return false, m.Cookie + 1
}

type zeroDev struct{}

func (zeroDev) ReadAt(t *lab.Thread, p []byte, addr int64) error { clear(p); return nil }

func newInode() *Inode {
	return &Inode{Ino: 1, Cache: pagecache.New(pagecache.PageSize), Dev: zeroDev{}}
}

func controlled(seed uint64) *lab.World {
	s := lab.NewRandom(seed)
	s.NewSchedule()
	return lab.NewWorld(lab.Config{Controlled: true, Strategy: s})
}

func TestWriteRemapsOnStaleAndFinishes(t *testing.T) {
	in := newInode()
	calls := 0
	fs := &fakeFS{valid: func() bool { calls++; return calls != 2 }} // the second folio sees a stale map once
	data := bytes.Repeat([]byte{7}, 3*pagecache.PageSize)
	var n int64
	var err error
	res := controlled(1).Run(func(lt *lab.Thread) {
		n, err = BufferedWrite(lt, in, fs, vfs.Plain(data), 0)
	})
	if !res.OK() || err != nil || n != int64(len(data)) {
		t.Fatalf("write: %d, %v, %v", n, err, res)
	}
	if fs.begins != 2 || in.Stats.Remaps.Load() != 1 || in.Stats.Invalid.Load() != 1 {
		t.Errorf("begins %d remaps %d invalid %d; want 2, 1, 1", fs.begins, in.Stats.Remaps.Load(), in.Stats.Invalid.Load())
	}
	// End saw the stale mapping's one folio of progress, then the rest.
	if len(fs.ends) != 2 || fs.ends[0] != pagecache.PageSize || fs.ends[1] != 2*pagecache.PageSize {
		t.Errorf("ends %v", fs.ends)
	}
}

func TestLivelockOracle(t *testing.T) {
	in := newInode()
	fs := &fakeFS{valid: func() bool { return false }}
	w := controlled(1)
	res := w.Run(func(lt *lab.Thread) {
		_, _ = BufferedWrite(lt, in, fs, vfs.Plain([]byte{1}), 0)
	})
	if res.Outcome != lab.Failed || !strings.Contains(res.Message, "livelock") {
		t.Fatalf("want a livelock failure, got %v", res)
	}
	if got := w.Trace().Count("iomap_remap"); got != MaxStaleRemaps+1 {
		t.Errorf("%d remaps before the verdict, want %d", got, MaxStaleRemaps+1)
	}
}

// The kernel's order per chunk: prefault with no lock held, then the folio
// lock, then validation.
func TestWriteChunkOrder(t *testing.T) {
	in := newInode()
	w := controlled(1)
	res := w.Run(func(lt *lab.Thread) {
		_, _ = BufferedWrite(lt, in, &fakeFS{}, vfs.Plain(make([]byte, 2*pagecache.PageSize)), 0)
	})
	if !res.OK() {
		t.Fatal(res)
	}
	var seq []string
	for _, r := range w.Trace().Records() {
		switch {
		case r.Kind == lab.KindPoint && strings.HasPrefix(r.Name, "iomap."):
			seq = append(seq, r.Name)
		case r.Kind == lab.KindLock && r.Name == "folio_lock":
			seq = append(seq, "lock")
		}
	}
	want := "iomap.iter iomap.write.after_begin " +
		"iomap.write.prefault lock iomap.write.before_valid iomap.write.after_valid " +
		"iomap.write.prefault lock iomap.write.before_valid iomap.write.after_valid"
	if got := strings.Join(seq, " "); got != want {
		t.Errorf("order:\n got %s\nwant %s", got, want)
	}
}

func TestShortCopy(t *testing.T) {
	in := newInode()
	data := bytes.Repeat([]byte{9}, 3*pagecache.PageSize)
	for _, c := range []struct {
		faultAt int64
		want    int64
		err     error
	}{
		{0, 0, syscall.EFAULT},
		{100, 100, syscall.EFAULT},
		{pagecache.PageSize + 5, pagecache.PageSize + 5, syscall.EFAULT},
	} {
		in = newInode()
		var n int64
		var err error
		res := lab.NewFree().Run(func(lt *lab.Thread) {
			n, err = BufferedWrite(lt, in, &fakeFS{}, vfs.Buffer{Data: data, StallAt: vfs.NoOffset, FaultAt: c.faultAt}, 0)
		})
		if !res.OK() || n != c.want || err != c.err {
			t.Errorf("fault at %d: %d, %v; want %d, %v", c.faultAt, n, err, c.want, c.err)
		}
		if in.Size() != c.want {
			t.Errorf("fault at %d: i_size %d", c.faultAt, in.Size())
		}
	}
}

func TestLivelockOracleFreeRun(t *testing.T) {
	in := newInode()
	fs := &fakeFS{valid: func() bool { return false }}
	var err error
	res := lab.NewFree().Run(func(lt *lab.Thread) {
		_, err = BufferedWrite(lt, in, fs, vfs.Plain([]byte{1}), 0)
	})
	if !res.OK() || err != syscall.EDEADLK || in.Stats.Livelocks.Load() != 1 {
		t.Fatalf("free run: %v, err %v, livelocks %d", res, err, in.Stats.Livelocks.Load())
	}
}
