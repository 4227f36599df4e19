package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"iomaplab/bench"
	"iomaplab/scenario"
)

func init() {
	register("bench", "measure the headline figures beside their baselines (write, lab, kernel, fsx)", runBench)
}

// runBench is `iomaplab bench [NAME...] [--json] [--plot DIR] [--runs N]`.
func runBench(args []string) int {
	d := bench.Defaults()
	fl := flag.NewFlagSet("bench", flag.ContinueOnError)
	asJSON := fl.Bool("json", false, "print the report as one JSON document (docs/bench.md)")
	markdown := fl.Bool("markdown", false, "print the table as Markdown")
	plotDir := fl.String("plot", "", "write PNG and SVG charts into `DIR`")
	runs := fl.Int("runs", d.Runs, "measured runs per figure (median, min, max), after one discarded warm-up")
	size := fl.String("size", "1G", "write: bytes written per run")
	ioSize := fl.String("io", "64k", "write: bytes per pwrite")
	seeds := fl.Int("seeds", d.Seeds, "lab: seeds per (mutant, strategy) time to find")
	budget := fl.Int("budget", d.Budget, "lab: schedules explored per seed at most")
	schedules := fl.Int("schedules", d.Schedules, "lab: schedules per schedules/s run")
	kruns := fl.Int("kernel-runs", d.KernelRuns, "kernel: directed runs per batch")
	fsxOps := fl.Int64("fsx-ops", d.FsxOps, "fsx: operations per run")
	fl.Usage = func() {
		fmt.Fprintf(fl.Output(), "usage: iomaplab bench [%s...] [--json] [--plot DIR] [--runs N] [flags]\n", strings.Join(bench.Groups, "|"))
		fl.PrintDefaults()
	}
	groups, err := parseArgs(fl, args)
	if err != nil {
		return exitUsage
	}
	cfg := bench.Config{Groups: groups, Runs: *runs, Seeds: *seeds, Budget: *budget, Schedules: *schedules,
		KernelRuns: *kruns, FsxOps: *fsxOps, Progress: os.Stderr,
		Command: strings.Join(append([]string{"iomaplab", "bench"}, args...), " ")}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "iomaplab bench: "+format+"\n", a...)
		fl.Usage()
		return exitUsage
	}
	if cfg.WriteSize, err = scenario.ParseSize(*size); err != nil || cfg.WriteSize == 0 {
		return bad("--size: want a positive size such as 1G")
	}
	if cfg.WriteIO, err = scenario.ParseSize(*ioSize); err != nil || cfg.WriteIO == 0 || cfg.WriteIO%4096 != 0 {
		return bad("--io: want a positive multiple of 4k")
	}
	if err := bench.CheckGroups(groups); err != nil {
		return bad("%v", err)
	}
	if cfg.Runs < 1 || cfg.Seeds < 1 || cfg.Budget < 1 || cfg.Schedules < 1 || cfg.KernelRuns < 1 || cfg.FsxOps < 1 || cfg.WriteSize < cfg.WriteIO {
		return bad("--runs, --seeds, --budget, --schedules, --kernel-runs and --fsx-ops must be >= 1, --size >= --io")
	}
	return benchMain(cfg, *asJSON, *markdown, *plotDir, os.Stdout)
}

func benchMain(cfg bench.Config, asJSON, markdown bool, plotDir string, stdout io.Writer) int {
	rep, err := bench.Run(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "iomaplab bench: %v\n", err)
		return exitFail
	}
	if plotDir != "" {
		files, err := rep.Plot(plotDir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "iomaplab bench: %v\n", err)
			return exitFail
		}
		fmt.Fprintf(os.Stderr, "iomaplab bench: wrote %s\n", strings.Join(files, ", "))
	}
	switch {
	case asJSON:
		return printJSON(rep)
	case markdown:
		rep.WriteMarkdown(stdout)
	default:
		rep.WriteTable(stdout)
	}
	return exitOK
}
