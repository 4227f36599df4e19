package kernel

import (
	"strings"
	"testing"
)

func TestParseKmsg(t *testing.T) {
	r, ok := parseKmsg("4,1234,5678,-;XFS (loop3): Mounting V5 Filesystem\n SUBSYSTEM=block\n")
	if !ok || r.Level != 4 || r.Msg != "XFS (loop3): Mounting V5 Filesystem" {
		t.Fatalf("got %+v %v", r, ok)
	}
	if _, ok := parseKmsg("garbage"); ok {
		t.Fatal("garbage parsed")
	}
}

func TestClassify(t *testing.T) {
	ours := []string{"loop3", "7:3"}
	tid := func(pid int) bool { return pid == 4242 }
	recs := []KmsgRecord{
		{6, "XFS (loop3): Mounting V5 Filesystem"},                         // info: fine
		{3, "XFS (loop10): Metadata corruption detected"},                  // not ours
		{3, "XFS (loop3): Metadata corruption detected at xfs_foo"},        // ours
		{4, "------------[ cut here ]------------"},                        // report by a kworker...
		{4, "WARNING: CPU: 1 PID: 77 at fs/iomap/buffered-io.c:1 x"},       // ...
		{4, "Workqueue: writeback wb_workfn (flush-7:3)"},                  // ...on our bdi
		{4, "---[ end trace 0000000000000000 ]---"},                        //
		{4, "WARNING: CPU: 0 PID: 99 at fs/xfs/xfs_foo.c:1 y"},             // someone else's
		{3, "INFO: task iomaplab:4242 blocked for more than 120 seconds."}, // our thread
		{2, "EXT4-fs error (device loop3): ext4_foo: bad"},
	}
	got := classify(recs, ours, tid)
	if len(got) != 4 {
		t.Fatalf("got %d problems, want 4:\n%s", len(got), strings.Join(got, "\n--\n"))
	}
	if !strings.Contains(got[0], "Metadata corruption") || !strings.Contains(got[1], "flush-7:3") ||
		!strings.Contains(got[2], "iomaplab:4242") || !strings.Contains(got[3], "EXT4-fs error") {
		t.Fatalf("unexpected problems:\n%s", strings.Join(got, "\n--\n"))
	}
}

func TestContainsWord(t *testing.T) {
	for _, c := range []struct {
		s, w string
		ok   bool
	}{{"XFS (loop1): x", "loop1", true}, {"XFS (loop10): x", "loop1", false}, {"flush-7:3)", "7:3", true}, {"17:3", "7:3", false}} {
		if containsWord(c.s, c.w) != c.ok {
			t.Errorf("containsWord(%q, %q) != %v", c.s, c.w, c.ok)
		}
	}
}
