package explore

import (
	"fmt"
	"runtime"
	"testing"

	"iomaplab/scenario"
	"iomaplab/scenario/model"
)

// BenchmarkJobs explores one cell (explore-short-write-mkwrite, correct,
// random walk, 200 schedules) with 1 job and with every CPU, as
// schedules/s; each parallel cell must be the serial one.
func BenchmarkJobs(b *testing.B) {
	sc, err := scenario.Lookup("explore-short-write-mkwrite")
	if err != nil {
		b.Fatal(err)
	}
	o := opts("random", 1)
	o.Budget = 200
	serial := Explore(sc, "correct", model.ForVariant, o)
	for _, jobs := range []int{1, runtime.NumCPU()} {
		b.Run(fmt.Sprintf("jobs=%d", jobs), func(b *testing.B) {
			o := o
			o.Jobs = jobs
			n := 0
			for b.Loop() {
				c := Explore(sc, "correct", model.ForVariant, o)
				if c.Verdict != serial.Verdict || c.Schedules != serial.Schedules || c.Reachable != serial.Reachable {
					b.Fatalf("--jobs %d: %s %d schedules, serial %s %d", jobs, c.Verdict, c.Schedules, serial.Verdict, serial.Schedules)
				}
				n += c.Schedules
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "schedules/s")
		})
	}
}
