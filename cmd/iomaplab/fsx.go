package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"iomaplab/fsx"
)

func init() {
	register("fsx", "seeded random operations with byte-exact verification, on the model or a real filesystem", runFsx)
}

// fsxFlags are the parsed command line of `iomaplab fsx`.
type fsxFlags struct {
	target, fs, variant, replay, logPath, disable    string
	device                                           string
	controlled, json, shrink                         bool
	shrinkRuns                                       int
	devMiB                                           int64
	noMapRead, noMapWrite, noFalloc, noPunch, noZero bool
	noClone, noDedupe, noCopy                        bool
	opt                                              fsx.Options
	seed                                             uint64
}

func parseFsxFlags(args []string, stderr io.Writer) (*fsxFlags, error) {
	f := &fsxFlags{opt: fsx.Defaults()}
	fl := flag.NewFlagSet("fsx", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.StringVar(&f.target, "target", "model", "model or kernel")
	fl.StringVar(&f.fs, "fs", "xfs", "filesystem: xfs or ext4 (model or kernel), ext4-iomap (model: ext4's iomap buffered-write path), btrfs or tmpfs (kernel)")
	fl.StringVar(&f.variant, "variant", "correct", "model mutation (correct, no-validate, ...)")
	fl.Int64Var(&f.opt.Ops, "ops", 10000, "operations in all (fsx -N)")
	fl.IntVar(&f.opt.Threads, "threads", 1, "threads sharing the files")
	fl.IntVar(&f.opt.Files, "files", 1, "files the operations are spread over")
	fl.Uint64Var(&f.seed, "seed", 0, "seed of the operation stream and of the controlled schedule (0: from the clock, printed)")
	fl.BoolVar(&f.controlled, "controlled", false, "run under the lab's controlled scheduler (model target)")
	fl.StringVar(&f.replay, "replay", "", "replay the operation log `LOG` instead of generating")
	fl.BoolVar(&f.json, "json", false, "print one JSON summary on stdout")
	fl.BoolVar(&f.shrink, "shrink", false, "with --replay of a failing log (several threads: with --controlled): find a shorter log that fails alike (written to LOG.min)")
	fl.IntVar(&f.shrinkRuns, "shrink-runs", 1000, "most replays --shrink may run")
	fl.StringVar(&f.device, "device", "file", "model block device: file (a sparse file in $TMPDIR, unlinked at once) or memory")
	fl.Int64Var(&f.devMiB, "dev-mib", 0, "model block device size in MiB (0: twice the files' maximum size plus 4 MiB, so freed blocks are soon reused)")
	fl.StringVar(&f.logPath, "log", "", "write the operation log here (default on failure: iomaplab-fsx-SEED.log)")
	fl.Int64Var(&f.opt.MaxFileSize, "l", f.opt.MaxFileSize, "max file size (fsx -l)")
	fl.Int64Var(&f.opt.MaxOpSize, "o", f.opt.MaxOpSize, "max operation size (fsx -o)")
	fl.Int64Var(&f.opt.ReadAlign, "r", 1, "read offset alignment (fsx -r)")
	fl.Int64Var(&f.opt.WriteAlign, "w", 1, "write, fallocate, punch, zero offset alignment (fsx -w)")
	fl.Int64Var(&f.opt.TruncAlign, "t", 1, "truncate size alignment (fsx -t)")
	fl.BoolVar(&f.noMapRead, "R", false, "no mapped reads (fsx -R)")
	fl.BoolVar(&f.noMapWrite, "W", false, "no mapped writes (fsx -W)")
	fl.BoolVar(&f.noFalloc, "F", false, "no fallocate (fsx -F)")
	fl.BoolVar(&f.noPunch, "H", false, "no punch hole (fsx -H)")
	fl.BoolVar(&f.noZero, "z", false, "no zero range (fsx -z)")
	fl.BoolVar(&f.noClone, "J", false, "no clone range, FICLONERANGE (fsx -J)")
	fl.BoolVar(&f.noDedupe, "B", false, "no dedupe range, FIDEDUPERANGE (fsx -B)")
	fl.BoolVar(&f.noCopy, "E", false, "no copy range, copy_file_range (fsx -E)")
	fl.StringVar(&f.disable, "disable", "", "comma-separated operations not to generate: "+strings.Join(kindNames(), ","))
	fl.Int64Var(&f.opt.RemountEvery, "remount-every", f.opt.RemountEvery, "about one op in N is a remount / mount cycle (0: none, and no final remount)")
	fl.Int64Var(&f.opt.DropEvery, "drop-every", f.opt.DropEvery, "about one op in N is a drop-caches (0: none)")
	fl.Int64Var(&f.opt.ShortEvery, "short-every", f.opt.ShortEvery, "about one write in N faults in its source buffer and is short (0: none)")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: iomaplab fsx --target model|kernel [--fs xfs|ext4|btrfs|tmpfs] [--ops N] [--threads T]\n"+
			"                    [--seed S] [--variant V] [--controlled] [--replay LOG] [--json] [fsx flags]\n\n"+
			"Exit: 0 clean, 1 mismatch or unexpected error (op log written), 2 bad usage, 3 environment.\n\nflags:")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return nil, err
	}
	if fl.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fl.Arg(0))
	}
	if f.device != "file" && f.device != "memory" {
		return nil, fmt.Errorf("unknown --device %q (file, memory)", f.device)
	}
	if f.shrink && f.replay == "" {
		return nil, fmt.Errorf("--shrink needs --replay LOG")
	}
	set, err := fsx.ParseKindSet(f.disable)
	if err != nil {
		return nil, err
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
			return nil, fmt.Errorf("--target model takes --fs xfs, ext4 or ext4-iomap (ext4's iomap buffered-write path)")
		}
	case "kernel":
		if f.devMiB != 0 {
			return nil, fmt.Errorf("--dev-mib needs --target model")
		}
		if f.controlled {
			return nil, fmt.Errorf("--controlled needs --target model: the kernel schedules real threads")
		}
		if f.variant != "correct" {
			return nil, fmt.Errorf("--variant needs --target model")
		}
		switch f.fs {
		case "xfs", "ext4", "btrfs":
		case "tmpfs": // no mount cycle
			f.opt.RemountEvery = 0
		default:
			return nil, fmt.Errorf("unknown --fs %q (xfs, ext4, btrfs, tmpfs)", f.fs)
		}
	default:
		return nil, fmt.Errorf("unknown --target %q (model, kernel)", f.target)
	}
	if f.devMiB < 0 || f.devMiB > 4096 {
		return nil, fmt.Errorf("--dev-mib %d not in 0..4096", f.devMiB)
	}
	if f.seed == 0 && (f.replay == "" || f.controlled) {
		f.seed = uint64(time.Now().UnixNano()%1_000_000_000) + 1
		fmt.Fprintf(stderr, "iomaplab fsx: --seed %d\n", f.seed)
	}
	f.opt.Seed = f.seed
	if f.replay == "" {
		if err := f.opt.Validate(); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func kindNames() []string {
	var n []string
	for _, k := range fsx.Kinds() {
		n = append(n, k.String())
	}
	return n
}

func runFsx(args []string) int {
	f, err := parseFsxFlags(args, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "iomaplab fsx: %v\n", err)
		return exitUsage
	}
	cfg := fsx.Config{Options: f.opt, Controlled: f.controlled}
	if f.replay != "" {
		l, err := readLogFile(f.replay)
		if err != nil {
			fmt.Fprintf(os.Stderr, "iomaplab fsx: %v\n", err)
			return exitUsage
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
	if cfg.RemountEvery == 0 {
		cfg.NoFinalRemount = true
	}
	tgt, code := openFsxTarget(f)
	if tgt == nil {
		return code
	}
	defer tgt.close()
	cfg.Mount, cfg.Check = tgt.mount, tgt.check

	var done atomic.Int64
	cfg.Progress = &done
	total := cfg.Ops
	if cfg.Replay != nil {
		total = 0
		for _, s := range cfg.Replay {
			total += int64(len(s))
		}
	}
	start := time.Now()
	var res *fsx.Result
	if f.shrink {
		if len(cfg.Replay) > 1 && !cfg.Controlled {
			fmt.Fprintf(os.Stderr, "iomaplab fsx: %s has %d threads: --shrink it with --controlled (free runs do not repeat)\n", f.replay, len(cfg.Replay))
			return exitUsage
		}
		var min [][]fsx.Op
		min, res, err = fsx.Shrink(cfg, cfg.Replay, f.shrinkRuns)
		if err == nil {
			fmt.Fprintf(os.Stderr, "iomaplab fsx: shrunk %d ops to %d\n", countOps(cfg.Replay), countOps(min))
			res.Streams = min
			if f.logPath == "" {
				f.logPath = f.replay + ".min"
			}
		}
	} else {
		stopBar := startProgress(os.Stderr, &done, total)
		res, err = fsx.Run(cfg)
		stopBar()
	}
	elapsed := time.Since(start)
	if err != nil {
		fmt.Fprintf(os.Stderr, "iomaplab fsx: %v\n", err)
		if errors.Is(err, fsx.ErrSetup) {
			return exitEnv
		}
		return exitUsage
	}
	logPath := f.logPath
	if logPath == "" && res.Failure != nil {
		logPath = fmt.Sprintf("iomaplab-fsx-%d.log", cfg.Seed)
	}
	if logPath != "" {
		if err := writeLogFile(logPath, f, cfg, res); err != nil {
			fmt.Fprintf(os.Stderr, "iomaplab fsx: write log: %v\n", err)
			logPath = ""
		}
	}
	sum := summarise(f, cfg, res, elapsed, logPath)
	if f.json {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(sum)
		if res.Failure != nil {
			res.Failure.Report(os.Stderr)
		}
	} else {
		printSummary(os.Stdout, sum)
		if res.Failure != nil {
			res.Failure.Report(os.Stdout)
		}
	}
	if res.Failure != nil {
		return exitFail
	}
	return exitOK
}

func countOps(streams [][]fsx.Op) int {
	n := 0
	for _, s := range streams {
		n += len(s)
	}
	return n
}

func readLogFile(path string) (*fsx.Log, error) {
	r, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	l, err := fsx.ReadLog(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return l, nil
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
