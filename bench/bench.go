package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Groups are the figure groups, in report order.
var Groups = []string{"write", "lab", "kernel", "fsx"}

// Config is one `iomaplab bench` invocation.
type Config struct {
	// Groups selects figure groups (nil: all).
	Groups []string
	// Runs is how many measured runs each figure is the median of (after
	// one discarded warm-up run).
	Runs int
	// WriteSize and WriteIO are the write figures' file size and pwrite size.
	WriteSize, WriteIO int64
	// Seeds is how many seeds each (mutant, strategy) time to find is the
	// median of; Budget bounds the schedules explored per seed.
	Seeds, Budget int
	// Schedules is how many schedules the schedules/s figure runs.
	Schedules int
	// KernelRuns is the directed batch's runs per measurement.
	KernelRuns int
	// FsxOps is the operations per fsx run.
	FsxOps int64
	// HangTimeout is how long a free-mode scenario run may take before it
	// counts as hung (default 5s).
	HangTimeout time.Duration
	// ModelOnly skips every figure or baseline that needs the kernel target
	// (loop devices, mounts) with that reason; tests set it.
	ModelOnly bool
	// Progress receives one line per measurement step; nil is quiet.
	Progress io.Writer
	// Command is recorded in the report (the command line that ran it).
	Command string
	// Baseline, if set, is an earlier revision's binary: the lab group
	// then also measures one world's schedules/s against it, alternating.
	Baseline *Baseline
}

// Defaults are the documented defaults: a full run takes a few minutes.
func Defaults() Config {
	return Config{Runs: 5, WriteSize: 1 << 30, WriteIO: 64 << 10, Seeds: 20, Budget: 200,
		Schedules: 100, KernelRuns: 20, FsxOps: 5000}
}

// Figure is one measured value beside its baseline.
type Figure struct {
	Group string `json:"group"`
	Name  string `json:"name"`
	Unit  string `json:"unit"`
	// Value is nil when the figure is missing; Missing says why.
	Value   *Stat  `json:"value"`
	Missing string `json:"missing,omitempty"`
	// Baseline names what Value is measured against; Base is nil when the
	// baseline is missing (BaseMissing says why).
	Baseline    string `json:"baseline"`
	Base        *Stat  `json:"base"`
	BaseMissing string `json:"base_missing,omitempty"`
	// Ratio is Value.Median / Base.Median, nil when either is missing or
	// the baseline is 0.
	Ratio *float64 `json:"ratio"`
	// Note adds what the numbers alone do not say (found 18/20, ...).
	Note string `json:"note,omitempty"`
}

// Find is one (mutant, strategy) time-to-find result, for the lab chart.
type Find struct {
	Mutant   string  `json:"mutant"`
	Scenario string  `json:"scenario"`
	Strategy string  `json:"strategy"`
	Seeds    int     `json:"seeds"`
	Found    int     `json:"found"`
	Seconds  *Stat   `json:"seconds"`   // over the seeds that found it
	Schedule *Stat   `json:"schedules"` // 1-based schedule of the first failure
	Budget   int     `json:"budget"`
	Stress   *Stress `json:"stress,omitempty"`
}

// Stress is free-mode stress of a mutant's scenario for a fixed wall time.
type Stress struct {
	WallSeconds float64 `json:"wall_seconds"`
	Rounds      int     `json:"rounds"`
	Found       int     `json:"found"` // rounds that found it
	// Hung is 1 when a free-mode run never finished (HangTimeout) and the
	// stress stopped there.
	Hung       int   `json:"hung"`
	Seconds    *Stat `json:"seconds,omitempty"`
	RunsPerSec Stat  `json:"runs_per_second"`
}

// Machine says where the figures were measured.
type Machine struct {
	CPU    string `json:"cpu"`
	Cores  int    `json:"cores"`
	Memory string `json:"memory"`
	Kernel string `json:"kernel"`
	Go     string `json:"go"`
	Root   bool   `json:"root"`
	// LoadStart and LoadEnd are the 1-minute load averages when the run
	// started and ended: other work on the machine skews every figure.
	LoadStart float64 `json:"load_start"`
	LoadEnd   float64 `json:"load_end"`
}

// Report is the result of a bench run; its JSON form is docs/bench.md's.
type Report struct {
	Machine Machine `json:"machine"`
	// Command is the command line that produced the report.
	Command string    `json:"command"`
	Started time.Time `json:"started"`
	Seconds float64   `json:"seconds"`
	Config  struct {
		Runs      int   `json:"runs"`
		WriteSize int64 `json:"write_size"`
		WriteIO   int64 `json:"write_io"`
		Seeds     int   `json:"seeds"`
		Budget    int   `json:"budget"`
	} `json:"config"`
	Groups  []string  `json:"groups"`
	Figures []*Figure `json:"figures"`
	Finds   []*Find   `json:"finds,omitempty"`
	Charts  []Chart   `json:"charts,omitempty"`
}

// CheckGroups returns an error naming the first unknown group.
func CheckGroups(names []string) error {
	for _, n := range names {
		if !slices.Contains(Groups, n) {
			return fmt.Errorf("unknown figure group %q (known: %s)", n, strings.Join(Groups, ", "))
		}
	}
	return nil
}

// Run measures the selected groups. An error is a measurement that could
// not run at all (a bad Config); a figure whose environment is missing is
// reported as Missing instead.
func Run(cfg Config) (*Report, error) {
	if err := CheckGroups(cfg.Groups); err != nil {
		return nil, err
	}
	if cfg.Runs < 1 || cfg.WriteIO < 4096 || cfg.WriteSize < cfg.WriteIO || cfg.Seeds < 1 || cfg.Budget < 1 || cfg.Schedules < 1 || cfg.KernelRuns < 1 || cfg.FsxOps < 1 {
		return nil, fmt.Errorf("bench: bad config %+v", cfg)
	}
	groups := cfg.Groups
	if len(groups) == 0 {
		groups = Groups
	}
	r := &Report{Machine: machine(), Command: cfg.Command, Started: time.Now().UTC(), Groups: groups}
	r.Config.Runs, r.Config.WriteSize, r.Config.WriteIO = cfg.Runs, cfg.WriteSize, cfg.WriteIO
	r.Config.Seeds, r.Config.Budget = cfg.Seeds, cfg.Budget
	b := &bench{cfg: cfg, rep: r}
	for _, g := range Groups {
		if !slices.Contains(groups, g) {
			continue
		}
		var err error
		switch g {
		case "write":
			err = b.write()
		case "lab":
			err = b.lab()
		case "kernel":
			err = b.kernel()
		case "fsx":
			err = b.fsx()
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", g, err)
		}
	}
	r.Seconds = time.Since(r.Started).Seconds()
	r.Machine.LoadEnd = loadavg()
	return r, nil
}

// bench is one run in progress.
type bench struct {
	cfg Config
	rep *Report
}

func (b *bench) progress(s string) {
	if b.cfg.Progress != nil {
		fmt.Fprintf(b.cfg.Progress, "bench: %s\n", s)
	}
}

// add appends a figure and computes its ratio.
func (b *bench) add(f *Figure) {
	if f.Value != nil && f.Base != nil && f.Base.Median != 0 {
		r := f.Value.Median / f.Base.Median
		f.Ratio = &r
	}
	b.rep.Figures = append(b.rep.Figures, f)
	b.progress(fmt.Sprintf("%s %s = %s", f.Group, f.Name, cell(f.Value, f.Missing, f.Unit)))
}

func stat(s Stat) *Stat { return &s }
