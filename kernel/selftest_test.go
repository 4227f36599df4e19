package kernel

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"iomaplab/lab"
	"iomaplab/scenario"
)

// The data check can fail: a byte changed behind the model's back, through
// a shared mapping of a second descriptor while the writer is parked, is
// reported by the runner's data oracle before and after its remount, and
// the O_DIRECT check still agrees with the page cache.
func TestDataCheckCatchesCorruption(t *testing.T) {
	requireEnv(t, "xfs")
	tmp := privateTmp(t)
	sup := quietSupervisor(t)
	defer func() {
		if err := sup.Cleanup(); err != nil {
			t.Error(err)
		}
		for _, l := range leftoversUnder(t, tmp, os.Getpid()) {
			t.Errorf("left behind: %s", l)
		}
	}()
	env, err := OpenScenarioEnv(sup, "", false)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := env.Target("xfs")
	if err != nil {
		t.Fatal(err)
	}
	const off = 600000 // outside the write, inside EOF
	env.OnParked = func() {
		fd, err := unix.Open(filepath.Join(tg.scratch.Mnt, "f"), unix.O_RDWR, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer unix.Close(fd)
		m, err := unix.Mmap(fd, 0, int(mib), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		if err != nil {
			t.Error(err)
			return
		}
		m[off] = 0xee
		unix.Munmap(m)
	}
	sc := parseScn(t, "scenario corrupt\nfs xfs\nsetup truncate f 1M\n"+
		"thread writer: pwrite f 0 64k fill=0x57 stall-at=32k\nthread other: await writer.stalled ; release writer\n"+
		"expect data ; fsck\nkernel fs xfs\n")
	v := scenario.Run(sc, tg, lab.Config{})
	if err := tg.Close(); err != nil {
		t.Error(err)
	}
	var data []string
	for _, x := range v.Violations {
		switch x.Oracle {
		case "data":
			data = append(data, x.Message)
		default:
			t.Errorf("unexpected %s violation: %s", x.Oracle, x.Message)
		}
	}
	msg := strings.Join(data, "\n")
	if len(data) != 2 || !strings.Contains(msg, strconv.Itoa(off)) || !strings.Contains(msg, "remount") {
		t.Fatalf("want the byte at %d reported before and after the remount, got %q", off, data)
	}
	if dataVerified(v) {
		t.Error("a run with a data violation counted as verified")
	}
}

func TestScratchDevRefusals(t *testing.T) {
	_, s, _ := scratchFS(t, "ext4")
	if _, _, err := CheckScratchDev("/dev/null", true); err == nil || !strings.Contains(err.Error(), "not a block device") {
		t.Fatalf("/dev/null: %v", err)
	}
	if _, _, err := CheckScratchDev(s.Dev, true); err == nil || !strings.Contains(err.Error(), "mounted on") {
		t.Fatalf("mounted device: %v", err)
	}
	// Keep the device bound across the unmount, then ask again.
	fd, err := os.Open(s.Dev)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	if err := s.unmount(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := CheckScratchDev(s.Dev, false); err == nil || !strings.Contains(err.Error(), "ext2/3/4 filesystem; add --destroy") {
		t.Fatalf("device with a filesystem, no --destroy: %v", err)
	}
	if _, _, err := CheckScratchDev(s.Dev, true); err != nil {
		t.Fatalf("device with a filesystem, --destroy: %v", err)
	}
}
