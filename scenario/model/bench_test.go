package model

import (
	"testing"

	"iomaplab/fsmodel/variant"
	"iomaplab/lab"
	"iomaplab/scenario"
)

// BenchmarkRun measures schedules per second: one random controlled run of
// a catalogue scenario per iteration, correct variant, a fresh engine each.
//
//	go test -run=NONE -bench=Run -benchtime=200x ./scenario/model
func BenchmarkRun(b *testing.B) {
	for _, name := range []string{"write-stale-unwritten", "explore-short-write-mkwrite", "explore-write-punch-writeback", "ext4-mkwrite-fallocate-explore"} {
		sc, err := scenario.Lookup(name)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			s := lab.NewRandom(1)
			target := New(variant.Correct)
			steps := int64(0)
			for b.Loop() {
				s.NewSchedule()
				v := scenario.Run(sc, target, lab.Config{Controlled: true, Strategy: s})
				if v.Violated() || v.Skipped != "" {
					b.Fatal(v)
				}
				steps += v.Result.Steps
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "schedules/s")
			b.ReportMetric(float64(steps)/float64(b.N), "steps/schedule")
		})
	}
}
