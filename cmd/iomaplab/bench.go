package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"iomaplab/bench"
	"iomaplab/fsx"
	"iomaplab/kernel"
)

// benchFlags are the parsed command line of `iomaplab bench`.
type benchFlags struct {
	cfg                   bench.Config
	json, markdown, quiet bool
	plotDir               string
	baseline              string
}

func (a *app) benchCmd() *cobra.Command {
	f := benchFlags{cfg: bench.Defaults()}
	d := &f.cfg
	cmd := &cobra.Command{
		Use:   "bench [" + strings.Join(bench.Groups, "|") + " ...] [flags]",
		Short: "measure the headline figures beside their baselines (write, lab, kernel, fsx)",
		Long: `Measure the headline figures, each the median of --runs runs after one
discarded warm-up, beside its baseline: write (buffered write throughput of
the model), lab (schedules/s and time to find each mutant per strategy),
kernel (directed runs on real filesystems; root) and fsx (ops/s). No group:
all four. --plot writes the charts (PNG and SVG) and their provenance.

A line per measurement step goes to stderr, and off a terminal a status
line every 10s (--quiet: neither).`,
		Example: `  iomaplab bench lab fsx
  iomaplab bench --plot docs/figures
  iomaplab bench lab --baseline 973e210 --runs 5 --schedules 300
  iomaplab bench write --size 256M --io 1M --runs 3 --markdown`,
		Annotations: map[string]string{"exit": `  0  measured
  1  never (a benchmark has no verdict)
  2  bad usage (an unknown group, a value out of range, an unwritable --plot DIR)
  3  the environment cannot run it (the kernel group without root, a host fault)
`},
		ValidArgs: bench.Groups,
		Args: func(_ *cobra.Command, args []string) error {
			return asBadInput(bench.CheckGroups(args))
		},
		RunE: func(_ *cobra.Command, args []string) error {
			f.cfg.Groups = args
			f.cfg.Command = strings.Join(append([]string{"iomaplab"}, a.args...), " ")
			return a.bench(f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.json, "json", false, "print the report as one JSON document (docs/bench.md)")
	fl.BoolVar(&f.markdown, "markdown", false, "print the table as Markdown")
	fl.StringVar(&f.baseline, "baseline", "", "lab: also measure one world's schedules/s against git revision `REV` of this repository (built in a temporary git worktree, removed once built; run alternately; needs git and go)")
	fl.StringVar(&f.plotDir, "plot", "", "write PNG and SVG charts into `DIR` (made if missing; checked writable before the bench runs)")
	intFlag(cmd, &d.Runs, "runs", "", d.Runs, 1, 1000, "measured runs per figure (median, min, max), after one discarded warm-up")
	sizeFlag(cmd, &d.WriteSize, "size", "", d.WriteSize, 4<<10, 4<<30, "write: bytes written per run (needs about 3x in memory: source, page cache, tmpfs copy)")
	sizeFlag(cmd, &d.WriteIO, "io", "", d.WriteIO, 4<<10, 64<<20, "write: bytes per pwrite, a multiple of 4k")
	intFlag(cmd, &d.Seeds, "seeds", "", d.Seeds, 1, 10_000, "lab: seeds per (mutant, strategy) time to find")
	intFlag(cmd, &d.Budget, "budget", "", d.Budget, 1, 1_000_000, "lab: schedules explored per seed at most")
	intFlag(cmd, &d.Schedules, "schedules", "", d.Schedules, 1, 1_000_000, "lab: schedules per schedules/s run")
	intFlag(cmd, &d.KernelRuns, "kernel-runs", "", d.KernelRuns, 1, kernel.MaxRuns, "kernel: directed runs per batch")
	intFlag(cmd, &d.FsxOps, "fsx-ops", "", d.FsxOps, 1, fsx.MaxOps, "fsx: operations per run")
	quietFlag(cmd, &f.quiet)
	return cmd
}

func (a *app) bench(f benchFlags) error {
	cfg := f.cfg
	if cfg.WriteIO%4096 != 0 || cfg.WriteSize < cfg.WriteIO {
		return badInput("--io must be a multiple of 4k and at most --size (got --io %s, --size %s)", formatSize(cfg.WriteIO), formatSize(cfg.WriteSize))
	}
	if len(cfg.Groups) == 0 || slices.Contains(cfg.Groups, "write") {
		if avail, ok := memAvailable(); ok && avail < 3*cfg.WriteSize {
			return environmentError{fmt.Errorf("the write group needs about %s of memory for --size %s; %s is available",
				formatSize(3*cfg.WriteSize), formatSize(cfg.WriteSize), formatSize(avail))}
		}
	}
	if f.plotDir != "" {
		if err := writableDir(f.plotDir); err != nil {
			return fmt.Errorf("--plot %s: %w", f.plotDir, err)
		}
	}
	// The baseline's worktree lives only while it builds; after that only
	// its binary is left in dir (an interrupt exits without removing dir).
	if f.baseline != "" {
		if len(cfg.Groups) > 0 && !slices.Contains(cfg.Groups, "lab") {
			return badInput("--baseline needs the lab group")
		}
		dir, err := os.MkdirTemp("", "iomaplab-baseline-")
		if err != nil {
			return environmentError{err}
		}
		defer os.RemoveAll(dir)
		fmt.Fprintf(a.stderr, "iomaplab bench: building --baseline %s\n", f.baseline)
		base, err := bench.BuildBaseline(".", f.baseline, dir)
		if err != nil {
			return badInput("%v", err)
		}
		cfg.Baseline = base
	}
	if len(cfg.Groups) > 0 && !slices.ContainsFunc(cfg.Groups, func(g string) bool { return g == "kernel" || g == "fsx" }) {
		defer a.exitOnSignal("bench")() // the kernel and fsx groups use the kernel target's handler
	}
	steps := &lineCounter{}
	cfg.Progress = steps
	if !f.quiet {
		cfg.Progress = io.MultiWriter(a.stderr, steps)
	}
	stopStatus := a.startStatus(f.quiet, func() string {
		return fmt.Sprintf("iomaplab bench: %d measurement steps done", steps.n.Load())
	})
	rep, err := bench.Run(cfg)
	stopStatus()
	if err != nil {
		return classify(err)
	}
	if f.plotDir != "" {
		files, err := rep.Plot(f.plotDir)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "iomaplab bench: wrote %s\n", strings.Join(files, ", "))
	}
	switch {
	case f.json:
		return printJSON(a.stdout, rep)
	case f.markdown:
		rep.WriteMarkdown(a.stdout)
	default:
		rep.WriteTable(a.stdout)
	}
	return nil
}

// memAvailable is /proc/meminfo's MemAvailable in bytes, if the kernel
// says.
func memAvailable() (int64, bool) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
