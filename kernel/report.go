package kernel

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the result of `iomaplab kernel`; its JSON form is documented in
// docs/kernel-json.md.
type Report struct {
	Kernel     string       `json:"kernel"`
	Runs       int          `json:"runs_per_cell"`
	Undirected bool         `json:"undirected"`
	MinRate    float64      `json:"min_evidence_rate"`
	Cells      []CellReport `json:"cells"`
	OK         bool         `json:"ok"`
}

// CellReport is one scenario on one filesystem.
type CellReport struct {
	Scenario string `json:"scenario"`
	FS       string `json:"fs"`
	Runs     int    `json:"runs"`
	Parked   int    `json:"parked"`
	// Stale: the scenario changes the extent map under the parked write.
	Stale bool `json:"stale"`
	// Evidence is null where the filesystem has no stale-mapping
	// tracepoint (ext4 and btrfs on 6.18 do not use iomap for buffered
	// writes): "n/a", never a pass.
	Evidence        *Evidence `json:"evidence"`
	DataVerified    int       `json:"data_verified"`
	RemountVerified bool      `json:"remount_verified"`
	KernelLogClean  bool      `json:"kernel_log_clean"`
	KernelLog       []string  `json:"kernel_log,omitempty"`
	MedianMs        float64   `json:"median_ms"`
	IomapIter       int       `json:"iomap_iter_events"`
	WBInvalid       int       `json:"wb_invalid_events"`
	ExtentsBefore   string    `json:"extents_before"`
	ExtentsAfter    string    `json:"extents_after"`
	Violations      []string  `json:"violations"`
	OK              bool      `json:"ok"`
	// WindowMisses explains each directed run that expected stale evidence
	// and got none: which step of the window did not happen.
	WindowMisses []string `json:"window_misses,omitempty"`

	// Source, Mode and Notes are set for scenario files (RunScenarios):
	// the file, "directed" or "free race", and its `kernel note` lines.
	Source string   `json:"source,omitempty"`
	Mode   string   `json:"mode,omitempty"`
	Notes  []string `json:"notes,omitempty"`
}

// Evidence counts runs in which the stale-mapping tracepoint fired in the
// parked writer's own thread, for this file.
type Evidence struct {
	Event string  `json:"event"`
	Hits  int     `json:"hits"`
	Rate  float64 `json:"rate"`
	// Expect is ">= R" for stale scenarios, "0" for controls, "none" for
	// free races and directed scenarios without a stale expectation
	// (reported, not judged).
	Expect string `json:"expect"`
}

func (r *Report) finish() {
	r.OK = len(r.Cells) > 0
	for _, c := range r.Cells {
		r.OK = r.OK && c.OK
	}
}

func (c *CellReport) evidenceText() string {
	e := c.Evidence
	if e == nil {
		return "n/a"
	}
	return fmt.Sprintf("%d/%d (%.0f%%)", e.Hits, c.Runs, 100*e.Rate)
}

func (c *CellReport) progressLine() string {
	verdict := "ok"
	if !c.OK {
		verdict = fmt.Sprintf("VIOLATED (%d)", len(c.Violations))
	}
	return fmt.Sprintf("%-6s %-30s runs %d parked %d evidence %s data %d/%d median %.1f ms: %s",
		c.FS, c.Scenario, c.Runs, c.Parked, c.evidenceText(), c.DataVerified, c.Runs, c.MedianMs, verdict)
}

// WriteTable prints the human table and, below it, every violation.
func (r *Report) WriteTable(w io.Writer) {
	mode := "directed (userfaultfd window)"
	if r.Undirected {
		mode = "undirected (free race, no userfaultfd)"
	} else if r.hasFreeRaces() {
		mode = "directed scenarios in userfaultfd windows, exploratory ones as free races"
	}
	fmt.Fprintf(w, "kernel %s, %d runs per cell, %s\n\n", r.Kernel, r.Runs, mode)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tfs\truns\tparked\tevidence hits (rate)\texpect\tdata verified\tremount\tkernel log\tmedian ms\t")
	for _, c := range r.Cells {
		expect := "n/a"
		if c.Evidence != nil {
			expect = c.Evidence.Expect
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%d/%d\t%s\t%s\t%.1f\t\n", c.Scenario, c.FS, c.Runs, c.Parked,
			c.evidenceText(), expect, c.DataVerified, c.Runs, okText(c.RemountVerified, "verified", "FAILED"),
			okText(c.KernelLogClean, "clean", "DIRTY"), c.MedianMs)
	}
	tw.Flush()
	for _, c := range r.Cells {
		if c.OK {
			continue
		}
		fmt.Fprintf(w, "\n%s on %s: %d violation(s)\n", c.Scenario, c.FS, len(c.Violations))
		for i, v := range c.Violations {
			if i == 10 {
				fmt.Fprintf(w, "  ... and %d more (see --json)\n", len(c.Violations)-10)
				break
			}
			fmt.Fprintf(w, "  %s\n", strings.ReplaceAll(v, "\n", "\n    "))
		}
	}
	if r.OK {
		fmt.Fprintln(w, "\nevery expectation held")
	}
}

func (r *Report) hasFreeRaces() bool {
	for _, c := range r.Cells {
		if c.Mode == "free race" {
			return true
		}
	}
	return false
}

func okText(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

func kernelRelease() string {
	b, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return strings.TrimSpace(string(b))
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return slices.Sorted(slices.Values(ds))[len(ds)/2]
}
