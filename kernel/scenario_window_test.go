package kernel

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"iomaplab/vfs"
)

// reclaim drops the range from the page cache (mincore says so) and leaves
// no note; a range it cannot drop (pages mapped by this process) leaves a
// note naming the resident pages, after its bounded retries.
func TestReclaimWaitsUntilNotResident(t *testing.T) {
	_, _, fsys := scratchFS(t, "xfs")
	vf, err := fsys.Open(nil, "f")
	if err != nil {
		t.Fatal(err)
	}
	f := &scenarioFile{File: vf.(*File), run: &scenarioRun{}}
	if _, err := f.Pwrite(nil, vfs.Plain(fill('R', 64*kib)), 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Fsync(nil); err != nil {
		t.Fatal(err)
	}
	if n, err := f.residentPages(0, 64*kib); err != nil || n == 0 {
		t.Fatalf("resident before reclaim: %d, %v; want the written pages", n, err)
	}
	if err := f.Reclaim(nil, 0, 64*kib); err != nil {
		t.Fatal(err)
	}
	if n, err := f.residentPages(0, 64*kib); err != nil || n != 0 || len(f.run.notes) != 0 {
		t.Fatalf("after reclaim: %d resident, %v, notes %q", n, err, f.run.notes)
	}
	m, err := unix.Mmap(f.fd, 0, int(16*kib), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	sum := 0
	for i := 0; i < len(m); i += 4096 {
		sum += int(m[i]) // fault the pages in: mapped pages are not dropped
	}
	if sum != 4*'R' {
		t.Fatalf("mapped bytes sum %d", sum)
	}
	if err := f.Reclaim(nil, 0, 16*kib); err != nil {
		t.Fatal(err)
	}
	if len(f.run.notes) != 1 || !strings.Contains(f.run.notes[0], "4 page(s) still in the page cache") {
		t.Errorf("notes %q, want the 4 mapped pages reported", f.run.notes)
	}
}
