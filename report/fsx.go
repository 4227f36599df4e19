package report

import (
	"fmt"
	"strings"
	"time"

	"iomaplab/fsx"
)

// Fsx is the suite of one `iomaplab fsx` run, one case named name (say
// "model/xfs/correct seed=7"): it passes if the run found nothing and
// fails as KindViolation with fsx's failure report (the op, a dump of
// expected and actual bytes, the ops that touched the bad byte) if it did.
// The output counts the ops by kind and the bytes verified.
func Fsx(name string, opt fsx.Options, res *fsx.Result, start time.Time, seconds float64) Suite {
	k := Case{Name: name, Seconds: seconds}
	var b strings.Builder
	fmt.Fprintf(&b, "%d ops, %d bytes verified; options %s\n", res.Ops, res.BytesVerified, opt)
	for _, kind := range fsx.Kinds() {
		if n := res.Counts[kind]; n > 0 {
			fmt.Fprintf(&b, "%s %d", kind, n)
			if sk := res.Skipped[kind]; sk > 0 {
				fmt.Fprintf(&b, " (%d skipped)", sk)
			}
			b.WriteString("\n")
		}
	}
	if res.Disabled != 0 {
		fmt.Fprintf(&b, "disabled: %s\n", res.Disabled)
	}
	k.Output = b.String()
	if f := res.Failure; f != nil {
		k.Status, k.Kind, k.Message = Failed, KindViolation, f.Summary()
		var d strings.Builder
		f.Report(&d)
		k.Detail = d.String()
	}
	return Suite{Name: "fsx", Timestamp: start, Seconds: seconds, Properties: []Property{
		{"seed", fmt.Sprint(opt.Seed)}, {"threads", fmt.Sprint(opt.Threads)}, {"ops", fmt.Sprint(opt.Ops)},
	}, Cases: []Case{k}}
}
