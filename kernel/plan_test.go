package kernel

import (
	"strings"
	"testing"

	"iomaplab/vfs"
)

func TestCatalogueChecks(t *testing.T) {
	for _, fs := range []string{"xfs", "ext4", "btrfs"} {
		for _, s := range Catalogue {
			if !s.AppliesTo(fs) {
				continue
			}
			if err := s.Check(fs); err != nil {
				t.Errorf("catalogue scenario rejected: %v", err)
			}
		}
	}
}

func TestPlanRejectsBlockingWindowOps(t *testing.T) {
	base := func(win ...Op) *Scenario {
		return &Scenario{Name: "t", FileSize: 8 * mib, Write: geomFirst, Window: win}
	}
	cases := []struct {
		op      Op
		fs      string
		wantErr string // "" = accepted
	}{
		{Op{Kind: OpPread, Off: mib, Len: 4 * kib}, "xfs", "XFS buffered reads take IOLOCK_SHARED"},
		{Op{Kind: OpPread, Off: mib, Len: 4 * kib}, "ext4", ""},
		{Op{Kind: OpPread, Off: mib, Len: 4 * kib}, "btrfs", ""},
		{Op{Kind: OpFsync}, "btrfs", "btrfs_sync_file takes the inode lock"},
		{Op{Kind: OpFsync}, "xfs", ""},
		{Op{Kind: OpFsync}, "ext4", ""},
		{Op{Kind: OpFallocate, Mode: vfs.FallocPunch, Off: 0, Len: 4 * kib}, "ext4", "fallocate takes i_rwsem"},
		{Op{Kind: OpTruncate, Off: mib}, "xfs", "truncate takes i_rwsem"},
		{Op{Kind: OpPwrite, Off: mib, Len: 4 * kib, Tag: 'x'}, "btrfs", "second buffered write"},
		{Op{Kind: OpRemount}, "xfs", "unmount"},
		{Op{Kind: OpSyncRangeWait}, "btrfs", ""},
		{Op{Kind: OpFadvise}, "xfs", ""},
		{Op{Kind: OpMapStore, Off: mib, Len: 4 * kib, Tag: 'M'}, "xfs", ""},
	}
	for _, c := range cases {
		_, err := Plan([]*Scenario{base(c.op)}, []string{c.fs})
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s on %s rejected: %v", c.op, c.fs, err)
		case c.wantErr != "" && err == nil:
			t.Errorf("%s on %s accepted, want rejection", c.op, c.fs)
		case c.wantErr != "" && !strings.Contains(err.Error(), c.wantErr):
			t.Errorf("%s on %s: message %q lacks %q", c.op, c.fs, err, c.wantErr)
		case err != nil && !strings.Contains(err.Error(), "window step 1"):
			t.Errorf("message does not name the step: %q", err)
		}
	}
}

func TestPlanRejectsStoreOverCopiedBytes(t *testing.T) {
	s := &Scenario{Name: "t", FileSize: 8 * mib, Write: geomMid,
		Window: []Op{{Kind: OpMapStore, Off: geomMid.Off, Len: 4 * kib, Tag: 'M'}}}
	if err := s.Check("xfs"); err == nil || !strings.Contains(err.Error(), "already have copied") {
		t.Fatalf("store over copied bytes: %v", err)
	}
	s.Window[0].Off = geomMid.Off + geomMid.StallAt // the stall page itself: not copied yet
	if err := s.Check("xfs"); err != nil {
		t.Fatalf("store at the stall page rejected: %v", err)
	}
}

func TestPlanSkipsScenariosNotMeantForFS(t *testing.T) {
	s, _ := Lookup("control-read-in-window")
	cells, err := Plan([]*Scenario{s}, []string{"xfs", "ext4"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 1 || cells[0].FS != "ext4" {
		t.Fatalf("cells = %+v", cells)
	}
	if _, err := Plan([]*Scenario{s}, []string{"xfs"}); err == nil {
		t.Fatal("empty plan accepted")
	}
}

func TestBadGeometry(t *testing.T) {
	s := &Scenario{Name: "t", Write: Write{Off: 0, Len: 4 * kib, StallAt: 4 * kib}}
	if err := s.Check("xfs"); err == nil {
		t.Fatal("stall past the write accepted")
	}
}
