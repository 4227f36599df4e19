package ext4

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"iomaplab/fsx"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// fsxRun runs fsx with threads workers over two files of one model, with
// the model's fsck and reservation oracles at every remount.
func fsxRun(t *testing.T, opts Options, threads int, ops int64, controlled bool) *fsx.Result {
	t.Helper()
	o := fsx.Defaults()
	o.Seed = seed(t, 1)
	o.Ops, o.Threads, o.Files = ops, threads, 2
	o.MaxFileSize, o.MaxOpSize = 128<<10, 32<<10
	o.RemountEvery, o.DropEvery = 150, 80
	if !opts.IOMAP {
		// See propGen: the iomap engine's short copies inside a block are
		// not this model's to settle.
		o.ShortEvery = 16
	}
	var fs *FS
	cfg := fsx.Config{
		Options:    o,
		Controlled: controlled,
		Mount: func(th *lab.Thread) (vfs.FS, error) {
			opts.Blocks = 256
			fs = New(th, opts)
			return fs, nil
		},
		Check: func(th *lab.Thread, final bool) error {
			err := errors.Join(fs.Fsck(th), fs.CheckReservations(th))
			for _, l := range fs.NotCleared(th) {
				err = errors.Join(err, errors.New(l))
			}
			if v := fs.Dev().Violations(th); len(v) > 0 {
				err = errors.Join(err, fmt.Errorf("block ownership: %v", v[0]))
			}
			return err
		},
	}
	res, err := fsx.Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Failure != nil {
		res.Failure.Report(os.Stderr)
		t.Fatalf("fsx: %s", res.Failure.Summary())
	}
	t.Logf("%d ops, %d bytes verified", res.Ops, res.BytesVerified)
	return res
}

func TestFsxThreads(t *testing.T) {
	ops := int64(6000)
	switch {
	case os.Getenv("IOMAPLAB_LONG") != "":
		ops = 200000
	case raceEnabled || testing.Short():
		ops = 2000
	}
	for _, io := range []bool{false, true} {
		t.Run(fmt.Sprintf("iomap=%v/free", io), func(t *testing.T) { fsxRun(t, Options{IOMAP: io}, 4, ops, false) })
		t.Run(fmt.Sprintf("iomap=%v/controlled", io), func(t *testing.T) { fsxRun(t, Options{IOMAP: io}, 3, ops/4, true) })
	}
}

// A controlled run is a pure function of its seed: the same trace twice.
func TestFsxControlledIsDeterministic(t *testing.T) {
	for _, io := range []bool{false, true} {
		a := fsxRun(t, Options{IOMAP: io}, 3, 400, true)
		b := fsxRun(t, Options{IOMAP: io}, 3, 400, true)
		if a.Lab.Trace.Hash() != b.Lab.Trace.Hash() || a.Lab.Steps != b.Lab.Steps {
			t.Fatalf("iomap=%v: two runs of one seed differ: hash %x/%x, steps %d/%d", io,
				a.Lab.Trace.Hash(), b.Lab.Trace.Hash(), a.Lab.Steps, b.Lab.Steps)
		}
	}
}
