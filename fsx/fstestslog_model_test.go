package fsx_test

import (
	"errors"
	"os"
	"testing"

	"iomaplab/blockdev"
	"iomaplab/fsmodel/ext4"
	"iomaplab/fsmodel/xfs"
	"iomaplab/fsx"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// TestRecordedFstestsLogsReplayOnModels: the logs recorded by fstests' fsx
// on XFS and ext4 replay on the XFS and ext4 models (with their own
// oracles at the final remount) clean, every op run and verified.
func TestRecordedFstestsLogsReplayOnModels(t *testing.T) {
	for _, tc := range []struct {
		log   string
		mount func(th *lab.Thread, dev blockdev.Dev) (vfs.FS, func(*lab.Thread, bool) error)
	}{
		{"testdata/fstests/fstests-xfs-N500-S11.fsxops", func(th *lab.Thread, dev blockdev.Dev) (vfs.FS, func(*lab.Thread, bool) error) {
			fs := xfs.Mount(th, dev, xfs.Options{})
			return fs, func(th *lab.Thread, final bool) error {
				if final {
					return fs.CheckCleared(th)
				}
				return fs.Check(th)
			}
		}},
		{"testdata/fstests/fstests-ext4-N500-S7.fsxops", func(th *lab.Thread, dev blockdev.Dev) (vfs.FS, func(*lab.Thread, bool) error) {
			fs := ext4.New(th, ext4.Options{Dev: dev})
			return fs, func(th *lab.Thread, final bool) error {
				err := fs.Fsck(th)
				if final {
					return errors.Join(err, fs.ReservationsCleared(th))
				}
				return errors.Join(err, fs.CheckReservations(th))
			}
		}},
	} {
		f, err := os.Open(tc.log)
		if err != nil {
			t.Fatal(err)
		}
		l, err := fsx.ReadAnyLog(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.log, err)
		}
		var check func(*lab.Thread, bool) error
		cfg := fsx.Config{
			Options: l.Options,
			Replay:  l.Streams,
			Mount: func(th *lab.Thread) (vfs.FS, error) {
				var fs vfs.FS
				fs, check = tc.mount(th, blockdev.NewMemory(2*uint64(l.Options.MaxFileSize)/blockdev.BlockSize+1024))
				return fs, nil
			},
			Check: func(th *lab.Thread, final bool) error { return check(th, final) },
		}
		res, err := fsx.Run(cfg)
		if err != nil {
			t.Fatalf("%s: %v", tc.log, err)
		}
		if res.Failure != nil {
			res.Failure.Report(os.Stderr)
			t.Fatalf("%s: %s", tc.log, res.Failure.Summary())
		}
		if want := int64(len(l.Streams[0])); res.Ops != want || res.BytesVerified == 0 {
			t.Errorf("%s: ran %d ops verifying %d bytes, want %d ops", tc.log, res.Ops, res.BytesVerified, want)
		}
		t.Logf("%s: %d ops, %d bytes verified, disabled %s", tc.log, res.Ops, res.BytesVerified, res.Disabled)
	}
}
