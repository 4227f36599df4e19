package check_test

import (
	"fmt"
	"testing"

	"iomaplab/lab"
	"iomaplab/scenario"
	"iomaplab/scenario/model"
)

// runScenario parses src and runs it once on the model (variant correct)
// under the controlled scheduler, seed 1, returning the verdict.
func runScenario(t *testing.T, src string) *scenario.Verdict {
	t.Helper()
	sc, err := scenario.Parse("test.scn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	target, err := model.ForVariant("correct")
	if err != nil {
		t.Fatal(err)
	}
	s := lab.NewRandom(1)
	s.NewSchedule()
	return scenario.Run(sc, target, lab.Config{Controlled: true, Strategy: s})
}

// TestScenarioEmptyWritePastEOF: a pwrite past EOF whose source faults at
// its first byte copies nothing and leaves i_size alone on every model
// (xfs_file_buffered_write, and ext4 through generic_perform_write, return
// before any size update); the reference model agrees, so the data oracle
// stays quiet. Before the fix the reference grew the file to the write's
// offset and the oracle reported a size mismatch on correct code.
func TestScenarioEmptyWritePastEOF(t *testing.T) {
	for _, fs := range []string{"xfs", "ext4", "ext4 iomap"} {
		v := runScenario(t, fmt.Sprintf(`scenario empty-write-past-eof
fs %s
setup   pwrite f 0 4k fill=0x11
thread  writer:  pwrite f 1m 4k fill=0x22 fault-at=0
expect  data
`, fs))
		if v.Violated() || len(v.OpErrors) > 0 {
			t.Errorf("%s: %v", fs, v)
		}
	}
}

// TestScenarioWriteAt1TiB: a pwrite of one byte at offset 1 TiB - 1 runs on
// the model and passes the data oracle, which now checks around the bytes
// written rather than reading (and allocating) the whole terabyte.
func TestScenarioWriteAt1TiB(t *testing.T) {
	for _, fs := range []string{"xfs", "ext4", "ext4 iomap"} {
		v := runScenario(t, fmt.Sprintf(`scenario write-at-1tib
fs %s
setup   pwrite f 1099511627775 1 fill=0x5a ; fsync f
thread  writer:  pwrite f 4k 4k fill=0x22
expect  data ; fsck
`, fs))
		if v.Violated() || len(v.OpErrors) > 0 {
			t.Errorf("%s: %v", fs, v)
		}
	}
}
