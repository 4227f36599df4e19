package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"iomaplab/kernel"
	"iomaplab/scenario"
)

func init() {
	register("kernel", "run scenario files on real xfs, ext4, btrfs: userfaultfd windows, tracefs evidence (root)", runKernel)
}

// runKernel is `iomaplab kernel [SCENARIO|FILE...] [--fs xfs,ext4,btrfs]
// [--runs N] [--scratch-dev DEV --destroy] [--undirected] [--json]`.
func runKernel(args []string) int {
	return kernelMain(args, os.Stdout, os.Stderr)
}

func kernelMain(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("kernel", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fsList := fl.String("fs", "xfs,ext4,btrfs", "comma-separated filesystems: xfs, ext4, btrfs (each scenario runs on those its 'kernel fs' line names)")
	runs := fl.Int("runs", 20, "runs per scenario and filesystem")
	dev := fl.String("scratch-dev", "", "use this block device instead of loop images (its content is destroyed; needs --destroy if it holds a filesystem)")
	destroy := fl.Bool("destroy", false, "allow --scratch-dev to overwrite an existing filesystem")
	undirected := fl.Bool("undirected", false, "no userfaultfd: drop stall-at, await T.stalled and release T, so each directed scenario runs as a free race (evidence reported, not judged)")
	minRate := fl.Float64("min-rate", 0.99, "rate of runs in which a directed scenario's evidence (stale >= 1) must hold where the tracepoint exists (XFS)")
	watchdog := fl.Duration("watchdog", 10*time.Second, "longest a parked write may wait before the watchdog resolves it (a violation)")
	asJSON := fl.Bool("json", false, "print one JSON document (docs/kernel-json.md)")
	list := fl.Bool("list", false, "list the scenarios the kernel target can run and exit")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: iomaplab kernel [SCENARIO|FILE...] [--fs xfs,ext4,btrfs] [--runs N] [--scratch-dev DEV --destroy] [--undirected] [--json]")
		fmt.Fprintln(stderr, "\nRuns scenario files (the race lab's catalogue, the kernel-only scenarios of --list, or .scn")
		fmt.Fprintln(stderr, "paths) on real filesystems: loop devices in a private temp dir, root needed. A directed")
		fmt.Fprintln(stderr, "scenario's stall-at write parks on a userfaultfd page of its source buffer while the other")
		fmt.Fprintln(stderr, "threads run their window; an exploratory one runs as a free race. With no scenario: every")
		fmt.Fprintln(stderr, "catalogue scenario without a 'kernel skip' line, then the kernel-only ones.")
		fmt.Fprintln(stderr, "Exit 0: every expectation held; 1: a violation; 2: bad usage or input (nothing created);")
		fmt.Fprintln(stderr, "3: this machine cannot run it.")
		fmt.Fprintln(stderr)
		fl.PrintDefaults()
	}
	names, err := parseArgs(fl, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "iomaplab kernel: "+format+"\n", a...)
		return exitUsage
	}
	if *list {
		return kernelList(stdout, stderr)
	}
	if *runs < 1 {
		return usageErr("--runs must be at least 1")
	}
	if *destroy && *dev == "" {
		return usageErr("--destroy needs --scratch-dev DEV")
	}
	if *minRate < 0 || *minRate > 1 {
		return usageErr("--min-rate must be within [0, 1]")
	}
	var fstypes []string
	for _, f := range strings.Split(*fsList, ",") {
		f = strings.TrimSpace(f)
		switch f {
		case "xfs", "ext4", "btrfs":
			fstypes = append(fstypes, f)
		default:
			return usageErr("unknown filesystem %q in --fs (xfs, ext4, btrfs)", f)
		}
	}
	var scs []*scenario.Scenario
	if len(names) == 0 {
		if scs, err = kernel.DefaultScenarios(); err != nil {
			return usageErr("%v", err)
		}
	}
	for _, name := range names {
		sc, err := kernel.LoadScenario(name)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitUsage
		}
		scs = append(scs, sc)
	}
	cells, err := kernel.PlanScenarios(scs, fstypes, *undirected)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	if err := kernel.CheckEnv(fstypes, *dev != ""); err != nil {
		fmt.Fprintf(stderr, "iomaplab kernel: %v\n", err)
		return exitEnv
	}
	if *dev != "" {
		if _, _, err := kernel.CheckScratchDev(*dev, *destroy); err != nil {
			return usageErr("%v", err)
		}
	}
	cfg := kernel.ScenarioConfig{Cells: cells, Runs: *runs, ScratchDev: *dev, Destroy: *destroy,
		Undirected: *undirected, MinRate: *minRate, Watchdog: *watchdog, Progress: stderr}
	if hook := os.Getenv("IOMAPLAB_KERNEL_TEST_ON_PARKED"); hook != "" {
		cfg.OnParked = kernelTestHook(hook, stderr)
	}
	sup := kernel.NewSupervisor()
	rep, err := kernel.RunScenarios(sup, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "iomaplab kernel: %v\n", err)
		var env *kernel.EnvError
		if errors.As(err, &env) {
			return exitEnv
		}
		return exitFail
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "iomaplab kernel: %v\n", err)
			return exitFail
		}
	} else {
		rep.WriteTable(stdout)
		writeKernelNotes(stdout, rep)
	}
	if !rep.OK {
		return exitFail
	}
	return exitOK
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
func kernelList(stdout, stderr io.Writer) int {
	cat, err := scenario.List()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFail
	}
	extra, err := kernel.KernelScenarios()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFail
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
	tw.Flush()
	return exitOK
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
