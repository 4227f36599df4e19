package fsx

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"iomaplab/fsx/internal/memfs"
	"iomaplab/lab"
	"iomaplab/vfs"
)

func TestMessageClass(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{errors.New("block ownership: write-unowned: pblk 899 claimed by ino 1 fblk 62, owned by nobody (thread fsx2)"), "block ownership: write-unowned"},
		{errors.New("block ownership: write-shared: pblk 7 claimed by ino 2 fblk 3, owned by ino 1 fblk 3 (thread fsx0)"), "block ownership: write-shared"},
		{errors.Join(errors.New("fsck: ino 1: COW fork: overlap at 4"), errors.New("reservations: 3 blocks reserved, 2 delalloc")), "fsck"},
		{fmt.Errorf("clone: %w", syscall.EINVAL), "EINVAL"},
		{syscall.ENOSPC, "ENOSPC"},
		{errors.New("panic after 1234 steps (thread fsx3): memfs: truncate bug"), "panic: memfs: truncate bug"},
		{errors.New("deadlock after 99 steps (thread fsx0)"), "deadlock"},
	} {
		if got := messageClass(tc.err); got != tc.want {
			t.Errorf("messageClass(%q) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestSignature(t *testing.T) {
	unowned := func(pblk int) error {
		return fmt.Errorf("block ownership: write-unowned: pblk %d claimed by ino 1 fblk 62, owned by nobody (thread fsx2)", pblk)
	}
	clone := &Op{ID: 3, Kind: Clone}
	remount := &Op{ID: 9, Kind: Remount}
	check := Failure{Op: remount, Stage: "target check after remount", Err: unowned(899)}
	for _, tc := range []struct {
		name string
		f    Failure
		same bool
	}{
		{"another block, at the final remount", Failure{Stage: "target check after the final remount", Err: unowned(12)}, true},
		{"another violation kind", Failure{Op: remount, Stage: "target check after remount", Err: errors.New("block ownership: write-shared: pblk 1")}, false},
		{"a clone's EINVAL", Failure{Op: clone, Stage: "op", Err: syscall.EINVAL}, false},
		{"a data mismatch", Failure{Op: remount, Stage: "check after remount"}, false},
	} {
		if got := tc.f.Signature() == check.Signature(); got != tc.same {
			t.Errorf("%s: %v vs %v: same = %v, want %v", tc.name, tc.f.Signature(), check.Signature(), got, tc.same)
		}
	}
	if a, b := (&Failure{Op: clone, Stage: "op", Err: syscall.EINVAL}).Signature(), (&Failure{Op: &Op{Kind: Write}, Stage: "op", Err: syscall.EINVAL}).Signature(); a == b {
		t.Errorf("a clone's and a write's EINVAL have one signature %v", a)
	}
	if got, want := check.Signature().String(), "error from target check: block ownership: write-unowned"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// Shrink keeps only reductions that fail the same way. The target's check
// fails once fsx.0 reaches 0x3000 bytes, which takes the write and the
// clone that doubles it; without the write, the clone's source lies past
// EOF and fails with EINVAL, a different failure that shrinking must not
// keep (it used to: "shrunk to 1 op", a lone failing clone).
func TestShrinkKeepsTheSignature(t *testing.T) {
	const log = "1 t0 e0 write f0 0x0 0x1800 size=0x0 x\n" +
		"2 t0 e1 read f0 0x0 0x1800 size=0x1800\n" +
		"3 t0 e1 fsync f0 0x0 0x0 size=0x1800\n" +
		"4 t0 e1 clone f0 0x2000 0x1000 size=0x1800 src=f0:0x0 x\n" +
		"5 t0 e2 read f0 0x0 0x3000 size=0x3000\n" +
		"6 t0 e2 remount f0 0x0 0x0 size=0x3000 x\n"
	o := options(1, 0, 1)
	l, err := ReadLog(strings.NewReader(logMagic + "\n# options: " + o.String() + "\n" + log))
	if err != nil {
		t.Fatal(err)
	}
	var fs *memfs.FS
	cfg := Config{Options: l.Options,
		Mount: func(*lab.Thread) (vfs.FS, error) { fs = memfs.New(); return fs, nil },
		Check: func(t *lab.Thread, final bool) error {
			f, err := fs.Open(t, "fsx.0")
			if err != nil {
				return err
			}
			if size, _ := f.Size(t); size >= 0x3000 {
				return fmt.Errorf("toy oracle: fsx.0 has %d bytes", size)
			}
			return nil
		}}
	want := Signature{Class: "error", Source: "target check", Message: "toy oracle"}
	res := mustRun(t, Config{Options: cfg.Options, Mount: cfg.Mount, Check: cfg.Check, Replay: l.Streams})
	if res.Failure == nil || res.Failure.Signature() != want {
		t.Fatalf("the log fails with %v, want %v", res.Failure, want)
	}
	shrunk, sres, err := Shrink(cfg, l.Streams, 200)
	if err != nil {
		t.Fatal(err)
	}
	if got := sres.Failure.Signature(); got != want {
		t.Fatalf("shrunk log fails with %v (%s), want %v", got, sres.Failure.Summary(), want)
	}
	var kinds []Kind
	for _, op := range shrunk[0] {
		kinds = append(kinds, op.Kind)
	}
	if len(kinds) != 2 || kinds[0] != Write || kinds[1] != Clone {
		t.Fatalf("shrunk to %v, want the write and the clone", kinds)
	}
}
