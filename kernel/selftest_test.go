package kernel

import (
	"os"
	"strings"
	"testing"

	"iomaplab/check"
	"iomaplab/vfs"
)

// The data check can fail: a byte changed behind the model's back, through
// a second descriptor, is reported by the per-run check (page cache, O_DIRECT)
// and by the check after the mount cycle.
func TestDataCheckCatchesCorruption(t *testing.T) {
	requireEnv(t, "xfs")
	tmp := privateTmp(t)
	sup := quietSupervisor(t)
	defer func() {
		if err := sup.Cleanup(); err != nil {
			t.Error(err)
		}
	}()
	ws, err := NewWorkspace(sup)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ws.NewScratch("xfs")
	if err != nil {
		t.Fatal(err)
	}
	fsys := NewFS(sup, s)
	f, err := fsys.OpenFile("victim")
	if err != nil {
		t.Fatal(err)
	}
	ops := []Op{{Kind: OpTruncate, Off: mib}, {Kind: OpPwrite, Off: 0, Len: 64 * kib, Tag: 'W'}}
	r := &runner{}
	for _, op := range ops {
		if err := r.apply(fsys, f, op, 1); err != nil {
			t.Fatal(err)
		}
	}
	ref := rebuild(ops, 1)
	if res := (&runResult{}); !r.verify(f, ref, nil, 1, res) {
		t.Fatalf("clean file failed verification: %v", res.problems)
	}
	other, err := os.OpenFile(f.path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	const off = 12345
	if _, err := other.WriteAt([]byte{^ref.Bytes()[off]}, off); err != nil {
		t.Fatal(err)
	}
	other.Close()
	res := &runResult{}
	if r.verify(f, ref, nil, 1, res) {
		t.Fatal("a byte changed behind the model's back went unnoticed")
	}
	if msg := strings.Join(res.problems, "\n"); !strings.Contains(msg, "offset 12345") ||
		!strings.Contains(msg, "page cache") || !strings.Contains(msg, "O_DIRECT") {
		t.Fatalf("report does not name the byte and both views: %s", msg)
	}
	probs := r.verifyAfterRemount(fsys, []*runResult{{file: f, applied: ops}})
	if len(probs) != 1 || !strings.Contains(probs[0], "after remount") || !strings.Contains(probs[0], "offset 12345") {
		t.Fatalf("remount check: %v", probs)
	}
	// And the vfs surface over real descriptors: MapLoad sees the byte too.
	p := make([]byte, 1)
	if err := f.MapLoad(nil, p, off); err != nil || p[0] != ^ref.Bytes()[off] {
		t.Fatalf("MapLoad = %v, %x", err, p)
	}
	if err := f.MapStore(nil, []byte{1}, 2*mib); err == nil {
		t.Fatal("MapStore past EOF accepted")
	}
	var _ vfs.FS = fsys
	var _ check.RefFile
	sup.Cleanup()
	for _, l := range leftoversUnder(t, tmp, os.Getpid()) {
		t.Errorf("left behind: %s", l)
	}
}

func TestScratchDevRefusals(t *testing.T) {
	requireEnv(t, "ext4")
	if _, _, err := CheckScratchDev("/dev/null", true); err == nil || !strings.Contains(err.Error(), "not a block device") {
		t.Fatalf("/dev/null: %v", err)
	}
	sup := quietSupervisor(t)
	defer func() {
		if err := sup.Cleanup(); err != nil {
			t.Error(err)
		}
	}()
	ws, err := NewWorkspace(sup)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ws.NewScratch("ext4")
	if err != nil {
		t.Fatal(err)
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
