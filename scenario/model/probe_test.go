package model

import (
	"os"
	"testing"

	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/scenario"
)

// TestProbeFile prints catch rates of a scenario file for authors:
//
//	PROBE=x.scn go test -run TestProbeFile -v ./scenario/model
func TestProbeFile(t *testing.T) {
	path := os.Getenv("PROBE")
	if path == "" {
		t.Skip()
	}
	sc, err := scenario.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range append([]scenario.Catch{{Variant: "correct"}}, sc.Catches...) {
		v, _ := variant.Parse(c.Variant)
		for seed := uint64(1); seed <= 5; seed++ {
			s := lab.NewRandom(seed)
			caught, first := 0, -1
			for i := 0; i < 200; i++ {
				s.NewSchedule()
				vd := scenario.Run(sc, New(v), lab.Config{Controlled: true, Strategy: s})
				if vd.Violated() || len(vd.OpErrors) > 0 {
					caught++
					if first < 0 {
						first = i
						if c.Variant == "correct" {
							t.Log(vd)
						}
					}
				}
			}
			t.Logf("%s seed %d: caught %d/200 first %d", c.Variant, seed, caught, first)
		}
	}
}
