package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"iomaplab/explore"
	"iomaplab/fsmodel/variant"
	"iomaplab/fsx"
	"iomaplab/report"
)

// fsxFlags are the parsed command line of `iomaplab fsx`.
type fsxFlags struct {
	target, fs, variant, replay, logPath, disable    string
	fstestsLog                                       string
	ci                                               ciReports
	device                                           string
	controlled, json, shrink, quiet                  bool
	shrinkRuns                                       int
	seeds, jobs                                      int
	devMiB                                           int64
	noMapRead, noMapWrite, noFalloc, noPunch, noZero bool
	noClone, noDedupe, noCopy                        bool
	opt                                              fsx.Options
	seed                                             uint64
}

// The flags' ranges beyond fsx's own limits (fsx.MaxOps and the rest).
const (
	fsxMaxEvery  = 1_000_000_000
	fsxMaxDevMiB = 4096
	fsxMaxSeeds  = 1_000_000
)

func (a *app) fsxCmd() *cobra.Command {
	cmd, _ := a.fsxCommand()
	return cmd
}

// fsxCommand is `iomaplab fsx` and the flags it parses into.
func (a *app) fsxCommand() (*cobra.Command, *fsxFlags) {
	f := &fsxFlags{opt: fsx.Defaults()}
	cmd := &cobra.Command{
		Use:   "fsx [flags]",
		Short: "seeded random operations with byte-exact verification, on the model or a real filesystem",
		Long: `fstests' fsx (ltp/fsx.c) made concurrent: a seeded stream of file operations
(read, write, mapped read/write, truncate, fallocate, punch, zero, clone,
dedupe, copy, fsync, reclaim, drop caches, remount), each checked byte for
byte against a reference model, by one or several threads, on the userspace
model (--target model: xfs, ext4 or ext4-iomap, with any --variant) or on a
real filesystem on a loop device (--target kernel: xfs, ext4, btrfs, tmpfs;
root). On a failure the op log is written (default iomaplab-fsx-SEED.log);
--replay LOG runs it again, --shrink finds a shorter log that fails the same way (the same oracle
and message class).
The one-letter flags are fsx.c's. See docs/fsx.md.

Off a terminal, a progress line goes to stderr every 10s (--quiet: none).`,
		Example: `  iomaplab fsx --ops 100000 --seed 1
  iomaplab fsx --threads 4 --controlled --seed 3 -l 1M -o 64k
  iomaplab fsx --threads 4 --controlled --seed 1 --seeds 100 --ops 2000 --jobs 2
  iomaplab fsx --variant zero-skips-dirty-unwritten --seed 1 --log bad.log
  iomaplab fsx --replay bad.log --shrink --variant zero-skips-dirty-unwritten
  sudo iomaplab fsx --target kernel --fs btrfs --ops 20000 -J -B`,
		Annotations: map[string]string{"exit": `  0  every operation and check matched
  1  a mismatch, an unexpected error or a lab verdict (the op log is written)
  2  bad usage or a bad op log; nothing ran
  3  the environment cannot run it (the kernel target without root, a missing
     mkfs, no loop devices, host ENOSPC/EIO on the model's device file)
`},
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.target == "model" && !cmd.Flags().Changed("short-every") {
				f.opt.ShortEvery = modelShortEvery
			}
			if err := f.check(a.stderr); err != nil {
				return err
			}
			return a.fsx(f)
		},
	}
	fl := cmd.Flags()
	enumFlag(cmd, &f.target, "target", "model", []string{"model", "kernel"}, "where to run")
	enumFlag(cmd, &f.fs, "fs", "xfs", []string{"xfs", "ext4", "ext4-iomap", "btrfs", "tmpfs"},
		"filesystem (ext4-iomap, ext4 on the iomap buffered-write path: model only; btrfs, tmpfs: kernel only)")
	enumFlag(cmd, &f.variant, "variant", "correct", variant.Names(), "model mutation (--target model)")
	intFlag(cmd, &f.opt.Ops, "ops", "N", 10000, 0, fsx.MaxOps, "operations in all (fsx -N)")
	intFlag(cmd, &f.opt.Threads, "threads", "", 1, 1, fsx.MaxThreads, "threads sharing the files")
	intFlag(cmd, &f.opt.Files, "files", "", 1, 1, fsx.MaxFiles, "files the operations are spread over")
	fl.Uint64Var(&f.seed, "seed", 0, "seed of the operation stream and of the controlled schedule (0: from the clock, printed)")
	fl.BoolVar(&f.controlled, "controlled", false, "run under the lab's controlled scheduler (model target)")
	intFlag(cmd, &f.seeds, "seeds", "", 1, 1, fsxMaxSeeds, "with --controlled: sweep N seeds from --seed (--seed, --seed+1, ...), each a world of its own; stops at the first failing seed, as a serial sweep would")
	intFlag(cmd, &f.jobs, "jobs", "", min(runtime.NumCPU(), explore.MaxJobs), 1, explore.MaxJobs, "worlds a --seeds sweep runs at once (default: the CPUs); the runs, the first failure and the output are the same whatever it is")
	fl.StringVar(&f.replay, "replay", "", "replay the operation log `LOG` (iomaplab's, or fstests fsx --record-ops's) instead of generating")
	fl.BoolVar(&f.json, "json", false, "print one JSON summary on stdout")
	fl.BoolVar(&f.shrink, "shrink", false, "with --replay of a failing log (several threads: with --controlled): find a shorter log that fails the same way: same oracle and message class (written to LOG.min)")
	intFlag(cmd, &f.shrinkRuns, "shrink-runs", "", 1000, 1, 1_000_000, "most replays --shrink may run")
	deviceFlag(cmd, &f.device)
	intFlag(cmd, &f.devMiB, "dev-mib", "", 0, 0, fsxMaxDevMiB, "model block device size in MiB (0: twice the files' maximum size plus 4 MiB, so freed blocks are soon reused)")
	fl.StringVar(&f.logPath, "log", "", "write the operation log to `PATH` (default on failure: iomaplab-fsx-SEED.log)")
	ciReportFlags(cmd, &f.ci)
	fl.StringVar(&f.fstestsLog, "fstests-log", "", "also write the ops run as an fstests fsx --record-ops log to `PATH`, for fsx --replay-ops on a real filesystem (one file, -l below 2G)")
	sizeFlag(cmd, &f.opt.MaxFileSize, "max-file-size", "l", f.opt.MaxFileSize, 1, fsx.MaxFileSize, "max file size (fsx -l)")
	sizeFlag(cmd, &f.opt.MaxOpSize, "max-op-size", "o", f.opt.MaxOpSize, 1, fsx.MaxOpSize, "max operation size (fsx -o)")
	sizeFlag(cmd, &f.opt.ReadAlign, "read-align", "r", 1, 1, fsx.MaxFileSize, "read offset alignment, at most -l (fsx -r)")
	sizeFlag(cmd, &f.opt.WriteAlign, "write-align", "w", 1, 1, fsx.MaxFileSize, "write, fallocate, punch, zero offset alignment, at most -l (fsx -w)")
	sizeFlag(cmd, &f.opt.TruncAlign, "trunc-align", "t", 1, 1, fsx.MaxFileSize, "truncate size alignment, at most -l (fsx -t)")
	fl.BoolVarP(&f.noMapRead, "no-mapread", "R", false, "no mapped reads (fsx -R)")
	fl.BoolVarP(&f.noMapWrite, "no-mapwrite", "W", false, "no mapped writes (fsx -W)")
	fl.BoolVarP(&f.noFalloc, "no-fallocate", "F", false, "no fallocate (fsx -F)")
	fl.BoolVarP(&f.noPunch, "no-punch", "H", false, "no punch hole (fsx -H)")
	fl.BoolVarP(&f.noZero, "no-zero", "z", false, "no zero range (fsx -z)")
	fl.BoolVarP(&f.noClone, "no-clone", "J", false, "no clone range, FICLONERANGE (fsx -J)")
	fl.BoolVarP(&f.noDedupe, "no-dedupe", "B", false, "no dedupe range, FIDEDUPERANGE (fsx -B)")
	fl.BoolVarP(&f.noCopy, "no-copy", "E", false, "no copy range, copy_file_range (fsx -E)")
	fl.StringVar(&f.disable, "disable", "", "comma-separated operations not to generate: "+strings.Join(kindNames(), ","))
	cmd.RegisterFlagCompletionFunc("disable", cobra.FixedCompletions(kindNames(), cobra.ShellCompDirectiveNoFileComp|cobra.ShellCompDirectiveNoSpace))
	intFlag(cmd, &f.opt.RemountEvery, "remount-every", "", f.opt.RemountEvery, 0, fsxMaxEvery, "about one op in N is a remount / mount cycle (0: none, and no final remount)")
	intFlag(cmd, &f.opt.DropEvery, "drop-every", "", f.opt.DropEvery, 0, fsxMaxEvery, "about one op in N is a drop-caches (0: none)")
	intFlag(cmd, &f.opt.ShortEvery, "short-every", "", f.opt.ShortEvery, 0, fsxMaxEvery, fmt.Sprintf("about one write in N faults in its source buffer and is short (0: none; default %d on --target model)", modelShortEvery))
	quietFlag(cmd, &f.quiet)
	return cmd, f
}

// modelShortEvery puts short writes (a source buffer that faults part-way)
// into the model's default mix: correct runs clean with them, and
// short-copy-stale is caught. The kernel target runs them only when asked:
// on 6.18 a write that copies nothing grows i_size on ext4 and tmpfs, and
// XFS's short copy can expose stale memory (docs/fsx.md), so there they are
// findings to look for on purpose, not noise in every run.
const modelShortEvery = 16

// check cross-checks the parsed flags (each alone is checked as parsed) and
// picks a seed if none was given, printing it on stderr.
func (f *fsxFlags) check(stderr io.Writer) error {
	if f.shrink && f.replay == "" {
		return badInput("--shrink needs --replay LOG")
	}
	if f.seeds > 1 {
		switch {
		case !f.controlled:
			return badInput("--seeds needs --controlled: only a controlled run is a function of its seed")
		case f.replay != "":
			return badInput("--seeds sweeps generated streams: not with --replay")
		case f.logPath != "" || f.fstestsLog != "":
			return badInput("--seeds writes the failing seed's log to iomaplab-fsx-SEED.log: not with --log or --fstests-log")
		}
	}
	if err := writableOutputs("--log", f.logPath, "--fstests-log", f.fstestsLog); err != nil {
		return err
	}
	if err := f.ci.check(); err != nil {
		return err
	}
	set, err := fsx.ParseKindSet(f.disable)
	if err != nil {
		return badInput("--disable: %v (kinds: %s)", err, strings.Join(kindNames(), ", "))
	}
	for k, off := range map[fsx.Kind]bool{fsx.MapRead: f.noMapRead, fsx.MapWrite: f.noMapWrite,
		fsx.Fallocate: f.noFalloc, fsx.Punch: f.noPunch, fsx.ZeroRange: f.noZero,
		fsx.Clone: f.noClone, fsx.Dedupe: f.noDedupe, fsx.Copy: f.noCopy} {
		if off {
			set = set.With(k)
		}
	}
	f.opt.Disabled = set
	switch f.target {
	case "model":
		switch f.fs {
		case "xfs", "ext4", "ext4-iomap":
		default:
			return badInput("--target model takes --fs xfs, ext4 or ext4-iomap (ext4's iomap buffered-write path)")
		}
	case "kernel":
		switch {
		case f.devMiB != 0:
			return badInput("--dev-mib needs --target model")
		case f.controlled:
			return badInput("--controlled needs --target model: the kernel schedules real threads")
		case f.variant != "correct":
			return badInput("--variant needs --target model")
		case f.fs == "ext4-iomap":
			return badInput("--target kernel takes --fs xfs, ext4, btrfs or tmpfs")
		case f.fs == "tmpfs": // no mount cycle
			f.opt.RemountEvery = 0
		}
	}
	if f.seed == 0 && (f.replay == "" || f.controlled) {
		f.seed = uint64(time.Now().UnixNano()%1_000_000_000) + 1
		fmt.Fprintf(stderr, "iomaplab fsx: --seed %d\n", f.seed)
	}
	f.opt.Seed = f.seed
	if f.replay == "" {
		return asBadInput(f.opt.Validate())
	}
	return nil
}

func kindNames() []string {
	var n []string
	for _, k := range fsx.Kinds() {
		n = append(n, k.String())
	}
	return n
}

func (a *app) fsx(f *fsxFlags) error {
	cfg := fsx.Config{Options: f.opt, Controlled: f.controlled}
	if f.replay != "" {
		l, err := readLogFile(f.replay)
		if err != nil {
			return err
		}
		cfg.Options = l.Options
		if f.seed != 0 { // the controlled schedule's seed; else keep the log's
			cfg.Seed = f.seed
		}
		cfg.Replay = l.Streams
		if f.fs == "tmpfs" {
			cfg.NoFinalRemount = true
		}
	}
	if f.fstestsLog != "" && (cfg.Files != 1 || cfg.MaxFileSize > math.MaxInt32) {
		return badInput("--fstests-log needs one file and a max file size below 2G (fstests fsx tests one file, with 32-bit offsets)")
	}
	if f.shrink && len(cfg.Replay) > 1 && !cfg.Controlled {
		return badInput("%s has %d threads: --shrink it with --controlled (free runs do not repeat)", f.replay, len(cfg.Replay))
	}
	if cfg.RemountEvery == 0 {
		cfg.NoFinalRemount = true
	}
	if f.target == "model" {
		defer a.exitOnSignal("fsx")()
	}
	if f.seeds > 1 {
		return a.fsxSweep(f, cfg)
	}
	tgt, err := openFsxTarget(f, cfg.Options)
	if err != nil {
		return err
	}
	defer tgt.close()
	cfg.Mount, cfg.Check = tgt.mount, tgt.check

	var done atomic.Int64
	cfg.Progress = &done
	total := cfg.Ops
	if cfg.Replay != nil {
		total = int64(countOps(cfg.Replay))
	}
	start := time.Now()
	var res *fsx.Result
	if f.shrink {
		stopStatus := a.startStatus(f.quiet, func() string {
			return fmt.Sprintf("iomaplab fsx: shrinking %d ops, %d ops replayed", total, done.Load())
		})
		var min [][]fsx.Op
		min, res, err = fsx.Shrink(cfg, cfg.Replay, f.shrinkRuns)
		stopStatus()
		if err == nil {
			fmt.Fprintf(a.stderr, "iomaplab fsx: shrunk %d ops to %d\n", countOps(cfg.Replay), countOps(min))
			res.Streams = min
			if f.logPath == "" {
				f.logPath = f.replay + ".min"
			}
		}
	} else {
		stopBar := func() {}
		if !f.quiet {
			stopBar = startProgress(a.stderr, &done, total)
		}
		stopStatus := a.startStatus(f.quiet, func() string {
			return fmt.Sprintf("iomaplab fsx: ops %d/%d", done.Load(), total)
		})
		res, err = fsx.Run(cfg)
		stopStatus()
		stopBar()
	}
	elapsed := time.Since(start)
	if err != nil {
		return f.ci.writeError("fsx", asBadInput(classify(err)), elapsed.Seconds())
	}
	logPath := f.logPath
	if logPath == "" && res.Failure != nil {
		logPath = fmt.Sprintf("iomaplab-fsx-%d.log", cfg.Seed)
	}
	if logPath != "" {
		if err := writeLogFile(logPath, f, cfg, res); err != nil {
			fmt.Fprintf(a.stderr, "iomaplab fsx: write log: %v\n", err)
			logPath = ""
		}
	}
	if f.fstestsLog != "" {
		if err := writeFstestsLog(a.stderr, f.fstestsLog, cfg.Options, res.Streams); err != nil {
			fmt.Fprintf(a.stderr, "iomaplab fsx: --fstests-log: %v\n", err)
		}
	}
	sum := summarise(f, cfg, res, elapsed, logPath)
	if f.json {
		if err := printJSON(a.stdout, sum); err != nil {
			return err
		}
		if res.Failure != nil {
			res.Failure.Report(a.stderr)
		}
	} else {
		printSummary(a.stdout, sum)
		if res.Failure != nil {
			res.Failure.Report(a.stdout)
		}
	}
	name := fmt.Sprintf("%s/%s/%s seed=%d", f.target, f.fs, f.variant, cfg.Seed)
	if err := f.ci.write(report.Fsx(name, cfg.Options, res, start, elapsed.Seconds())); err != nil {
		return err
	}
	if res.Failure != nil {
		return errViolation
	}
	return nil
}

func countOps(streams [][]fsx.Op) int {
	n := 0
	for _, s := range streams {
		n += len(s)
	}
	return n
}

// readLogFile reads an op log; a log that is missing or does not parse is
// bad input.
func readLogFile(path string) (*fsx.Log, error) {
	r, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--replay: %w", hostOrInput(err))
	}
	defer r.Close()
	l, err := fsx.ReadAnyLog(r)
	if err != nil {
		return nil, badInput("%s: %v", path, err)
	}
	return l, nil
}

// writeFstestsLog writes the streams run as an fstests fsx log at path,
// saying on stderr how many ops it holds and how many fsx cannot run.
func writeFstestsLog(stderr io.Writer, path string, opt fsx.Options, streams [][]fsx.Op) error {
	w, err := os.Create(path)
	if err != nil {
		return err
	}
	ex, err := fsx.WriteFstestsLog(w, opt, streams)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	var comments int64
	for _, n := range ex.Unexported {
		comments += n
	}
	fmt.Fprintf(stderr, "iomaplab fsx: wrote %s: %d fstests fsx ops, %d ops without an fsx counterpart as comments\n", path, ex.Ops, comments)
	return nil
}

func writeLogFile(path string, f *fsxFlags, cfg fsx.Config, res *fsx.Result) error {
	notes := map[string]string{
		"target":     fmt.Sprintf("%s fs=%s variant=%s controlled=%v", f.target, f.fs, f.variant, cfg.Controlled),
		"replay":     replayNote(f, cfg),
		"verdict":    "clean",
		"ops-run":    fmt.Sprint(res.Ops),
		"disabled":   res.Disabled.String(),
		"threads-do": threadsNote(cfg.Threads),
	}
	if res.Failure != nil {
		var b strings.Builder
		res.Failure.Report(&b)
		notes["verdict"] = b.String()
	}
	w, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fsx.WriteLog(w, cfg.Options, notes, res.Streams); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

func replayNote(f *fsxFlags, cfg fsx.Config) string {
	s := fmt.Sprintf("iomaplab fsx --target %s --fs %s --replay LOG", f.target, f.fs)
	if f.variant != "correct" {
		s += " --variant " + f.variant
	}
	if cfg.Controlled {
		s += fmt.Sprintf(" --controlled --seed %d", cfg.Seed)
	}
	return s
}

func threadsNote(threads int) string {
	if threads == 1 {
		return "one thread: a replay runs exactly these operations in this order"
	}
	return "several threads: a replay runs each thread's stream with the same epochs, so every expected byte is the same; the interleaving inside an epoch is the scheduler's"
}
