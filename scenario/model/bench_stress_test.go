package model

import (
	"testing"

	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/scenario"
)

// BenchmarkFreeStress runs each exploratory catches line as plain stress
// (free world: real goroutines, the Go scheduler decides) and reports how
// often the mutant is caught, next to schedules/s; compare with the
// controlled strategies' time to first failure.
//
//	go test -run=NONE -bench=FreeStress -benchtime=200x ./scenario/model
func BenchmarkFreeStress(b *testing.B) {
	list, err := scenario.List()
	if err != nil {
		b.Fatal(err)
	}
	for _, sc := range list {
		if sc.Directed || len(sc.Threads) < 2 {
			continue
		}
		for _, c := range sc.Catches {
			v, err := variant.Parse(c.Variant)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(sc.Name+"/"+c.Variant, func(b *testing.B) {
				caught, runs := 0, 0
				for b.Loop() {
					vd := scenario.Run(sc, New(v), lab.Config{})
					if vd.Skipped != "" {
						b.Skip(vd.Skipped)
					}
					runs++
					if vd.Caught(c.Oracles) {
						caught++
					}
				}
				b.ReportMetric(float64(caught)/float64(runs), "caught/run")
				b.ReportMetric(float64(runs)/b.Elapsed().Seconds(), "runs/s")
			})
		}
	}
}
