package explore

import (
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"iomaplab/blockdev"
	"iomaplab/fsmodel/variant"
	"iomaplab/fsmodel/xfs"
	"iomaplab/lab"
	"iomaplab/scenario"
	"iomaplab/scenario/model"
	"iomaplab/vfs"
)

// fullDisk is a backing file on a host filesystem that fills up: writes
// succeed until writesLeft runs out, then fail as pwrite does on a full
// filesystem (or, with short, write half and report nothing).
type fullDisk struct {
	data       []byte
	writesLeft atomic.Int64
	short      bool
}

func (f *fullDisk) ReadAt(p []byte, off int64) (int, error) { return copy(p, f.data[off:]), nil }

func (f *fullDisk) WriteAt(p []byte, off int64) (int, error) {
	if f.writesLeft.Add(-1) >= 0 {
		return copy(f.data[off:], p), nil
	}
	if f.short {
		return copy(f.data[off:], p[:len(p)/2]), nil
	}
	return 0, &os.PathError{Op: "write", Path: "/full/dev.img", Err: syscall.ENOSPC}
}

func (f *fullDisk) Close() error { return nil }

// hostFaultTarget is the model target with its xfs device on a fullDisk.
type hostFaultTarget struct {
	*model.Target
	writes int64
	short  bool
}

func (h *hostFaultTarget) Mount(t *lab.Thread, spec scenario.FSSpec) (vfs.FS, error) {
	blocks := uint64(model.DefaultDevSize / blockdev.BlockSize)
	disk := &fullDisk{data: make([]byte, blocks*blockdev.BlockSize), short: h.short}
	disk.writesLeft.Store(h.writes)
	dev := blockdev.NewOnFile("/full/dev.img", disk, blocks)
	return xfs.Mount(t, dev, xfs.Options{FolioSize: spec.FolioSize, Variant: h.Variant}), nil
}

// With the host's filesystem full under the device, explore stops with an
// environment error naming the path and errno: no violation, no token, no
// drawing (it used to report VIOLATION data under correct).
func TestHostFaultIsAnEnvironmentError(t *testing.T) {
	sc, err := scenario.Lookup("write-stale-unwritten")
	if err != nil {
		t.Fatal(err)
	}
	for _, short := range []bool{false, true} {
		for _, writes := range []int64{0, 3} {
			mk := func(string) (scenario.Target, error) {
				return &hostFaultTarget{Target: model.New(variant.Correct), writes: writes, short: short}, nil
			}
			c := Explore(sc, "correct", mk, opts("pct", 1))
			var env interface{ Environment() bool }
			if c.Verdict != "error" || !errors.As(c.Err, &env) || !env.Environment() {
				t.Fatalf("short %v, %d writes: %s %v, err %v: %s", short, writes, c.Verdict, c.Oracles, c.Err, c.Message)
			}
			want := "ENOSPC"
			if short {
				want = "short pwrite"
			}
			if !strings.Contains(c.Message, "/full/dev.img") || !strings.Contains(c.Message, want) || c.Token != "" || c.Diagram != "" || len(c.Oracles) != 0 {
				t.Fatalf("short %v, %d writes: message %q, token %q, oracles %v", short, writes, c.Message, c.Token, c.Oracles)
			}
		}
	}
	// The same target with room to spare runs clean: the fault is the cause.
	mk := func(string) (scenario.Target, error) {
		return &hostFaultTarget{Target: model.New(variant.Correct), writes: 1 << 40}, nil
	}
	if c := Explore(sc, "correct", mk, opts("pct", 1)); c.Verdict != "clean" {
		t.Fatalf("with room: %s: %s", c.Verdict, c.Message)
	}
}

// The matrix stops at the first cell the environment could not run.
func TestMatrixStopsAtAHostFault(t *testing.T) {
	list, err := scenario.List()
	if err != nil {
		t.Fatal(err)
	}
	mk := func(string) (scenario.Target, error) {
		return &hostFaultTarget{Target: model.New(variant.Correct)}, nil
	}
	var seen int
	cells := Matrix(list, []string{"correct"}, mk, opts("pct", 1), func(*Cell) { seen++ })
	if len(cells) != 1 || seen != 1 || cells[0].Err == nil {
		t.Fatalf("%d cells (%d seen), want 1 with an environment error", len(cells), seen)
	}
}
