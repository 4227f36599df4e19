package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"iomaplab/kernel"
)

func init() {
	register("kernel", "run the directed stale-mapping scenarios on real xfs, ext4, btrfs (root)", runKernel)
}

// runKernel is `iomaplab kernel [SCENARIO...] [--fs xfs,ext4,btrfs] [--runs N]
// [--scratch-dev DEV --destroy] [--undirected] [--json]`.
func runKernel(args []string) int {
	return kernelMain(args, os.Stdout, os.Stderr)
}

func kernelMain(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("kernel", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fsList := fl.String("fs", "xfs,ext4,btrfs", "comma-separated filesystems: xfs, ext4, btrfs")
	runs := fl.Int("runs", 20, "runs per scenario and filesystem")
	dev := fl.String("scratch-dev", "", "use this block device instead of loop images (its content is destroyed; needs --destroy if it holds a filesystem)")
	destroy := fl.Bool("destroy", false, "allow --scratch-dev to overwrite an existing filesystem")
	undirected := fl.Bool("undirected", false, "no userfaultfd: race the window's operations freely against the write (evidence reported, not judged)")
	minRate := fl.Float64("min-rate", 0.99, "evidence rate a stale scenario must reach where the tracepoint exists (XFS)")
	watchdog := fl.Duration("watchdog", 10*time.Second, "longest a parked write may wait before the watchdog resolves it (a violation)")
	asJSON := fl.Bool("json", false, "print one JSON document (docs/kernel-json.md)")
	list := fl.Bool("list", false, "list the scenarios and exit")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: iomaplab kernel [SCENARIO...] [--fs xfs,ext4,btrfs] [--runs N] [--scratch-dev DEV --destroy] [--undirected] [--json]")
		fmt.Fprintln(stderr, "\nRuns each scenario on real filesystems (loop devices in a private temp dir; root needed),")
		fmt.Fprintln(stderr, "parking a buffered write on a userfaultfd page of its source buffer while the window's")
		fmt.Fprintln(stderr, "operations change the extent map. Exit 0: every expectation held; 1: a violation;")
		fmt.Fprintln(stderr, "2: bad usage (nothing created); 3: this machine cannot run it.")
		fmt.Fprintln(stderr, "\nscenarios: "+kernel.Names()+"\n")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if *list {
		for _, s := range kernel.Catalogue {
			fmt.Fprintf(stdout, "%-30s %s\n", s.Name, s.Doc)
		}
		return exitOK
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "iomaplab kernel: "+format+"\n", a...)
		return exitUsage
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
	scenarios := kernel.Catalogue
	if fl.NArg() > 0 {
		scenarios = nil
		for _, name := range fl.Args() {
			s, ok := kernel.Lookup(name)
			if !ok {
				return usageErr("unknown scenario %q (scenario files are not supported yet; catalogue: %s)", name, kernel.Names())
			}
			scenarios = append(scenarios, s)
		}
	}
	cells, err := kernel.Plan(scenarios, fstypes)
	if err != nil {
		return usageErr("%v", err)
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
	cfg := kernel.Config{Cells: cells, Runs: *runs, ScratchDev: *dev, Destroy: *destroy,
		Undirected: *undirected, MinRate: *minRate, Watchdog: *watchdog, Progress: stderr}
	if hook := os.Getenv("IOMAPLAB_KERNEL_TEST_ON_PARKED"); hook != "" {
		cfg.OnParked = kernelTestHook(hook, stderr)
	}
	sup := kernel.NewSupervisor()
	rep, err := kernel.Run(sup, cfg)
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
	}
	if !rep.OK {
		return exitFail
	}
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
