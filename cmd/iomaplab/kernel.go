package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"iomaplab/kernel"
	"iomaplab/report"
	"iomaplab/scenario"
)

// kernelFlags are the parsed command line of `iomaplab kernel`.
type kernelFlags struct {
	fs, dev                                      string
	runs, modelSchedules                         int
	destroy, undirected, json, list, quiet, diff bool
	minRate                                      float64
	watchdog                                     time.Duration
	ci                                           ciReports
}

// kernelFS are the filesystems the kernel target makes.
var kernelFS = []string{"xfs", "ext4", "btrfs"}

func (a *app) kernelCmd() *cobra.Command {
	var f kernelFlags
	cmd := &cobra.Command{
		Use:   "kernel [SCENARIO|FILE.scn ...] [flags]",
		Short: "run scenario files on real xfs, ext4, btrfs: userfaultfd windows, tracefs evidence (root)",
		Long: `Run scenario files (the race lab's catalogue, the kernel-only scenarios of
--list, or .scn paths) on real filesystems: loop devices in a private temp
dir, root needed. A directed scenario's stall-at write parks on a
userfaultfd page of its source buffer while the other threads run their
window; an exploratory one runs as a free race. With no scenario: every
catalogue scenario without a 'kernel skip' line, then the kernel-only ones.
Bad input is reported before anything is created.

A progress line per cell goes to stderr, and off a terminal a status line
every 10s (--quiet: neither).`,
		Example: `  sudo iomaplab kernel
  sudo iomaplab kernel write-stale-unwritten --fs xfs --runs 100
  sudo iomaplab kernel --undirected --runs 50
  sudo iomaplab kernel --diff --runs 10
  iomaplab kernel --list`,
		Annotations: map[string]string{"exit": `  0  every expectation held
  1  a violation (an oracle fired, or an expectation was not met)
  2  bad usage or input (nothing created)
  3  this machine cannot run it (no root, no mkfs, no loop devices,
     userfaultfd unavailable, a host fault, a signal)
`},
		ValidArgsFunction: scenarioNames,
		RunE:              func(_ *cobra.Command, args []string) error { return a.kernel(f, args) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.fs, "fs", strings.Join(kernelFS, ","), "comma-separated filesystems from xfs, ext4, btrfs (each scenario runs on those its 'kernel fs' line names)")
	cmd.RegisterFlagCompletionFunc("fs", cobra.FixedCompletions(kernelFS, cobra.ShellCompDirectiveNoFileComp|cobra.ShellCompDirectiveNoSpace))
	intFlag(cmd, &f.runs, "runs", "", 20, 1, kernel.MaxRuns, "runs per scenario and filesystem")
	fl.StringVar(&f.dev, "scratch-dev", "", "use block device `DEV` instead of loop images (its content is destroyed; needs --destroy if it holds a filesystem)")
	fl.BoolVar(&f.destroy, "destroy", false, "allow --scratch-dev to overwrite an existing filesystem")
	fl.BoolVar(&f.undirected, "undirected", false, "no userfaultfd: drop stall-at, await T.stalled and release T, so each directed scenario runs as a free race (evidence reported, not judged)")
	f.minRate = 0.99
	fl.Var(&rateValue{&f.minRate}, "min-rate", "rate of runs in which a directed scenario's evidence (stale >= 1) must hold where the tracepoint exists (XFS), 0..1")
	durationFlag(cmd, &f.watchdog, "watchdog", 10*time.Second, time.Millisecond, kernel.MaxWatchdog, "longest a parked write may wait before the watchdog resolves it (a violation)")
	fl.BoolVar(&f.json, "json", false, "print one JSON document (docs/kernel-json.md)")
	fl.BoolVar(&f.list, "list", false, "list the scenarios the kernel target can run and exit")
	fl.BoolVar(&f.diff, "diff", false, "differential check: run the exploratory scenarios as free races (--runs each) and compare every outcome after remount (sizes, extent states) with the model's (exit 1 on a disagreement)")
	intFlag(cmd, &f.modelSchedules, "model-schedules", "", 200, 1, kernel.MaxRuns, "with --diff: random schedules per scenario on the model")
	ciReportFlags(cmd, &f.ci)
	quietFlag(cmd, &f.quiet)
	return cmd
}

func (a *app) kernel(f kernelFlags, names []string) error {
	if f.list {
		return kernelList(a.stdout)
	}
	if f.destroy && f.dev == "" {
		return badInput("--destroy needs --scratch-dev DEV")
	}
	if err := f.ci.check(); err != nil {
		return err
	}
	var fstypes []string
	for _, t := range strings.Split(f.fs, ",") {
		t = strings.TrimSpace(t)
		if !slices.Contains(kernelFS, t) {
			return badInput("unknown filesystem %q in --fs (want a comma-separated list from %s)", t, strings.Join(kernelFS, ", "))
		}
		fstypes = append(fstypes, t)
	}
	var scs []*scenario.Scenario
	if len(names) == 0 {
		all, err := kernel.DefaultScenarios()
		if err != nil {
			return asBadInput(err)
		}
		scs = all
	}
	for _, name := range names {
		sc, err := kernel.LoadScenario(name)
		if err != nil {
			return asBadInput(err)
		}
		scs = append(scs, sc)
	}
	cells, err := kernel.PlanScenarios(scs, fstypes, f.undirected)
	if err != nil {
		return asBadInput(err)
	}
	if err := kernel.CheckEnv(fstypes, f.dev != ""); err != nil {
		return classify(err)
	}
	if f.diff {
		return a.kernelDiff(cells, f)
	}
	if f.dev != "" {
		if _, _, err := kernel.CheckScratchDev(f.dev, f.destroy); err != nil {
			return asBadInput(classify(err))
		}
	}
	cellLines := &lineCounter{}
	var progress io.Writer = cellLines
	if !f.quiet {
		progress = io.MultiWriter(a.stderr, cellLines)
	}
	cfg := kernel.ScenarioConfig{Cells: cells, Runs: f.runs, ScratchDev: f.dev, Destroy: f.destroy,
		Undirected: f.undirected, MinRate: f.minRate, Watchdog: f.watchdog, Progress: progress}
	if hook := os.Getenv("IOMAPLAB_KERNEL_TEST_ON_PARKED"); hook != "" {
		cfg.OnParked = kernelTestHook(hook, a.stderr)
	}
	stopStatus := a.startStatus(f.quiet, func() string {
		return fmt.Sprintf("iomaplab kernel: cells %d/%d, %d runs each", cellLines.n.Load(), len(cells), f.runs)
	})
	sup := kernel.NewSupervisor()
	start := time.Now()
	rep, err := kernel.RunScenarios(sup, cfg)
	stopStatus()
	if err != nil {
		return f.ci.writeError("kernel", classify(err), time.Since(start).Seconds())
	}
	if err := f.ci.write(report.Kernel(rep, start, time.Since(start).Seconds())); err != nil {
		return err
	}
	if f.json {
		if err := printJSON(a.stdout, rep); err != nil {
			return err
		}
	} else {
		rep.WriteTable(a.stdout)
		writeKernelNotes(a.stdout, rep)
	}
	if !rep.OK {
		return errViolation
	}
	return nil
}

// lineCounter counts the lines written to it (one per finished cell or step).
type lineCounter struct{ n atomic.Int64 }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n.Add(int64(bytes.Count(p, []byte("\n"))))
	return len(p), nil
}

// writeKernelNotes prints each scenario's `kernel note` lines once.
func writeKernelNotes(w io.Writer, rep *kernel.Report) {
	seen := map[string]bool{}
	for _, c := range rep.Cells {
		if len(c.Notes) == 0 || seen[c.Scenario] {
			continue
		}
		if len(seen) == 0 {
			fmt.Fprintln(w, "\nnotes:")
		}
		seen[c.Scenario] = true
		for _, n := range c.Notes {
			fmt.Fprintf(w, "  %s: %s\n", c.Scenario, n)
		}
	}
}

// kernelList prints every scenario with where it runs on real kernels, or
// why it cannot.
func kernelList(stdout io.Writer) error {
	cat, err := scenario.List()
	if err != nil {
		return err
	}
	extra, err := kernel.KernelScenarios()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tmode\tkernel fs\tsummary\t")
	for _, sc := range append(cat, extra...) {
		mode, where, summary := "free race", strings.Join(kernel.KernelFS(sc), ","), sc.Summary()
		if sc.Directed {
			mode = "directed"
		}
		if sc.Kernel.Skip != "" {
			where, summary = "skip", sc.Kernel.Skip
		} else if len(sc.Rules) > 0 {
			where, summary = "skip", "injects at engine points"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", sc.Name, mode, where, summary)
	}
	return tw.Flush()
}

// kernelTestHook is the fault-injection hook the cleanup tests use on the
// built binary: "block" keeps the writer parked until a signal arrives;
// "panic" panics in the fault-window goroutine.
func kernelTestHook(mode string, stderr io.Writer) func() {
	return func() {
		fmt.Fprintln(stderr, "iomaplab kernel: test hook: writer parked")
		switch mode {
		case "block":
			select {}
		case "panic":
			panic("injected by IOMAPLAB_KERNEL_TEST_ON_PARKED=panic")
		}
	}
}
