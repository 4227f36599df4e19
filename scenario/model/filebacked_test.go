package model

import (
	"os"
	"testing"

	"iomaplab/lab"
	"iomaplab/scenario"
)

func openFDs(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(fds)
}

// A file-backed device gives the same verdicts as memory, leaves no file
// behind, and is closed when the run ends (no descriptor per run leaks).
func TestFileBackedDeviceVerdictsAndCleanup(t *testing.T) {
	dir := t.TempDir()
	sc, err := scenario.Lookup("write-stale-unwritten")
	if err != nil {
		t.Fatal(err)
	}
	before := openFDs(t)
	for _, c := range []struct {
		variant string
		violate bool
	}{{"correct", false}, {"no-validate", true}} {
		target, err := FileBacked(dir)(c.variant)
		if err != nil {
			t.Fatal(err)
		}
		for seed := uint64(1); seed <= 20; seed++ {
			s := lab.NewRandom(seed)
			s.NewSchedule()
			v := scenario.Run(sc, target, lab.Config{Controlled: true, Strategy: s})
			if v.Violated() != c.violate || len(v.OpErrors) > 0 {
				t.Fatalf("%s seed %d: %v", c.variant, seed, v)
			}
		}
	}
	if after := openFDs(t); after > before+2 {
		t.Fatalf("%d descriptors open after 40 runs, %d before: the devices were not closed", after, before)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("device files left behind: %v", left)
	}
}
