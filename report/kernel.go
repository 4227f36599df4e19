package report

import (
	"fmt"
	"strings"
	"time"

	"iomaplab/kernel"
)

// Kernel is the suite of `iomaplab kernel`: one case per scenario and
// filesystem, named "fs/scenario" as fstests names its tests. A cell that
// held every expectation passes. One that did not fails: as
// KindUnreached if its stale evidence fell short of the report's minimum
// rate (the window was not hit often enough; its misses say which step
// did not happen), else as KindViolation, with every violation in the
// detail.
func Kernel(r *kernel.Report, start time.Time, seconds float64) Suite {
	s := Suite{Name: "kernel", Timestamp: start, Seconds: seconds, Properties: []Property{
		{"kernel", r.Kernel}, {"runs_per_cell", fmt.Sprint(r.Runs)},
		{"min_evidence_rate", fmt.Sprint(r.MinRate)}, {"undirected", fmt.Sprint(r.Undirected)},
	}}
	for _, c := range r.Cells {
		s.Cases = append(s.Cases, kernelCase(r, &c))
	}
	return s
}

func kernelCase(r *kernel.Report, c *kernel.CellReport) Case {
	// No time: the report keeps each run's median, not the cell's total.
	k := Case{Name: c.FS + "/" + c.Scenario}
	ev := "n/a (no stale-mapping tracepoint)"
	if e := c.Evidence; e != nil {
		ev = fmt.Sprintf("%s in %d of %d runs (%.0f%%), expect %s", e.Event, e.Hits, c.Runs, 100*e.Rate, e.Expect)
	}
	k.Output = fmt.Sprintf("%s on %s (%s): %d runs, parked %d, evidence %s, data verified %d, remount verified %v, kernel log clean %v, median %.1f ms\nextents before: %s\nextents after: %s\n",
		c.Scenario, c.FS, c.Mode, c.Runs, c.Parked, ev, c.DataVerified, c.RemountVerified, c.KernelLogClean, c.MedianMs, c.ExtentsBefore, c.ExtentsAfter)
	if c.OK {
		return k
	}
	k.Status, k.Kind = Failed, KindViolation
	if len(c.Violations) > 0 {
		k.Message = firstLine(c.Violations[0])
	}
	if e := c.Evidence; e != nil && strings.HasPrefix(e.Expect, ">=") && e.Rate < r.MinRate {
		k.Kind = KindUnreached
		k.Message = fmt.Sprintf("stale evidence %s in %d of %d runs, below the minimum rate %g", e.Event, e.Hits, c.Runs, r.MinRate)
	}
	var b strings.Builder
	for _, v := range c.Violations {
		fmt.Fprintf(&b, "%s\n", v)
	}
	for _, m := range c.WindowMisses {
		fmt.Fprintf(&b, "window miss: %s\n", m)
	}
	for _, l := range c.KernelLog {
		fmt.Fprintf(&b, "kernel log: %s\n", l)
	}
	k.Detail = b.String()
	return k
}

func firstLine(s string) string {
	first, _ := splitFirstLine(s)
	return first
}
