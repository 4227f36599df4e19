package model

import (
	"testing"
	"time"

	"iomaplab/lab"
	"iomaplab/scenario"
)

func runCorrect(t *testing.T, src string, seed uint64) *scenario.Verdict {
	t.Helper()
	sc, err := scenario.Parse("b.scn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tg, err := ForVariant("correct")
	if err != nil {
		t.Fatal(err)
	}
	pct := lab.NewPCT(seed, 3)
	pct.NewSchedule()
	return scenario.Run(sc, tg, lab.Config{Controlled: true, Strategy: pct})
}

// TestLegalLargeWriteIsNoStepLimit: a write the budget allows completes
// under correct; with lab's fixed 200000-step default it ended in a false
// step-limit violation (ext4's legacy write takes ~45 steps per 4 KiB).
func TestLegalLargeWriteIsNoStepLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("a 24 MiB write: a few seconds")
	}
	v := runCorrect(t, "scenario big\nfs ext4 dev=64M\nthread a: pwrite f 0 24M\nexpect data\n", 1)
	if v.Result.Outcome != lab.Completed || v.Violated() || v.Result.Steps <= 200000 {
		t.Fatalf("%v (steps %d)", v, v.Result.Steps)
	}
}

// TestWriteNearOneTiB: an offset of 1 TiB - 1 runs, and the data oracle
// checks it without reading the terabyte of hole below it.
func TestWriteNearOneTiB(t *testing.T) {
	for _, fs := range []string{"xfs", "ext4"} {
		start := time.Now()
		v := runCorrect(t, "scenario far\nfs "+fs+"\nsetup pwrite f 1099511627775 1 fill=0x41\nthread a: pwrite f 1099511623680 4k ; truncate g 1099511627776 ; pwrite g 0 4k\nexpect data\n", 1)
		if v.Result.Outcome != lab.Completed || v.Violated() || len(v.OpErrors) > 0 {
			t.Fatalf("%s: %v", fs, v)
		}
		t.Logf("%s: %v in %v", fs, v, time.Since(start))
	}
}
