package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"iomaplab/fsx"
)

// fsxSummary is the --json document of `iomaplab fsx` (docs/fsx.md).
type fsxSummary struct {
	Target        string           `json:"target"`
	FS            string           `json:"fs"`
	Variant       string           `json:"variant"`
	Seed          uint64           `json:"seed"`
	Threads       int              `json:"threads"`
	Files         int              `json:"files"`
	Controlled    bool             `json:"controlled"`
	Replay        string           `json:"replay,omitempty"`
	Ops           int64            `json:"ops"`
	Seconds       float64          `json:"seconds"`
	OpsPerSec     float64          `json:"ops_per_sec"`
	BytesVerified int64            `json:"bytes_verified"`
	PerOp         map[string]int64 `json:"per_op"`
	Disabled      []string         `json:"disabled"`
	Skipped       map[string]int64 `json:"skipped,omitempty"`
	DedupeShared  int64            `json:"dedupe_shared"`
	CopyGeneric   bool             `json:"copy_generic,omitempty"`
	Steps         int64            `json:"steps,omitempty"`
	Tracepoints   map[string]int   `json:"tracepoints,omitempty"`
	OK            bool             `json:"ok"`
	Failure       *fsxFailure      `json:"failure,omitempty"`
	Log           string           `json:"log,omitempty"`
}

type fsxFailure struct {
	Summary string  `json:"summary"`
	Stage   string  `json:"stage"`
	OpID    int64   `json:"op_id,omitempty"`
	Op      string  `json:"op,omitempty"`
	File    int     `json:"file"`
	Offset  int64   `json:"offset"`
	BadByte *[2]int `json:"expected_actual,omitempty"`
}

func summarise(f *fsxFlags, cfg fsx.Config, res *fsx.Result, elapsed time.Duration, logPath string) fsxSummary {
	s := fsxSummary{
		Target: f.target, FS: f.fs, Variant: f.variant, Seed: cfg.Seed, Threads: cfg.Threads, Files: cfg.Files,
		Controlled: cfg.Controlled, Replay: f.replay, Ops: res.Ops, Seconds: elapsed.Seconds(),
		BytesVerified: res.BytesVerified, PerOp: map[string]int64{}, Disabled: []string{},
		OK: res.Failure == nil, Log: logPath, DedupeShared: res.DedupeShared, CopyGeneric: res.CopyGeneric,
	}
	if s.Seconds > 0 {
		s.OpsPerSec = float64(res.Ops) / s.Seconds
	}
	for _, k := range fsx.Kinds() {
		if res.Counts[k] > 0 {
			s.PerOp[k.String()] = res.Counts[k]
		}
		if res.Disabled.Has(k) {
			s.Disabled = append(s.Disabled, k.String())
		}
		if n := res.Skipped[k]; n > 0 {
			if s.Skipped == nil {
				s.Skipped = map[string]int64{}
			}
			s.Skipped[k.String()] = n
		}
	}
	if cfg.Controlled && res.Lab != nil {
		s.Steps = res.Lab.Steps
	}
	if res.Lab != nil && res.Lab.Trace != nil && len(res.Lab.Trace.Names()) > 0 {
		s.Tracepoints = res.Lab.Trace.Counts()
	}
	if fl := res.Failure; fl != nil {
		s.Failure = &fsxFailure{Summary: fl.Summary(), Stage: fl.Stage, File: fl.File, Offset: fl.Off}
		if fl.Op != nil {
			s.Failure.OpID, s.Failure.Op = fl.Op.ID, fl.Op.String()
		}
		if i := fl.Off - fl.DumpOff; len(fl.Expected) > 0 && i >= 0 && i < int64(len(fl.Expected)) {
			s.Failure.BadByte = &[2]int{int(fl.Expected[i]), int(fl.Actual[i])}
		}
	}
	return s
}

func printSummary(w io.Writer, s fsxSummary) {
	mode := "free"
	if s.Controlled {
		mode = fmt.Sprintf("controlled, %d steps", s.Steps)
	}
	verdict := "ok"
	if !s.OK {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "fsx %s/%s variant %s seed %d: %d threads (%s), %d ops in %.2fs (%.0f ops/s), %s verified: %s\n",
		s.Target, s.FS, s.Variant, s.Seed, s.Threads, mode, s.Ops, s.Seconds, s.OpsPerSec, bytesString(s.BytesVerified), verdict)
	var parts []string
	for _, k := range fsx.Kinds() {
		n := s.PerOp[k.String()]
		switch {
		case n > 0 && k == fsx.Dedupe:
			parts = append(parts, fmt.Sprintf("%s %d (%d skipped, %d shared)", k, n, s.Skipped[k.String()], s.DedupeShared))
		case n > 0 && k == fsx.Copy && s.CopyGeneric:
			parts = append(parts, fmt.Sprintf("%s %d (%d skipped; pread+pwrite: no copy op)", k, n, s.Skipped[k.String()]))
		case n > 0 && s.Skipped[k.String()] > 0:
			parts = append(parts, fmt.Sprintf("%s %d (%d skipped)", k, n, s.Skipped[k.String()]))
		case n > 0:
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
	}
	fmt.Fprintf(w, "  ops: %s\n", strings.Join(parts, ", "))
	if len(s.Disabled) > 0 {
		fmt.Fprintf(w, "  disabled: %s\n", strings.Join(s.Disabled, ", "))
	}
	if len(s.Tracepoints) > 0 {
		var names []string
		for n := range s.Tracepoints {
			names = append(names, n)
		}
		sort.Strings(names)
		for i, n := range names {
			names[i] = fmt.Sprintf("%s %d", n, s.Tracepoints[n])
		}
		fmt.Fprintf(w, "  tracepoints: %s\n", strings.Join(names, ", "))
	}
	if s.Log != "" {
		fmt.Fprintf(w, "  op log: %s (replay: iomaplab fsx --target %s --fs %s --replay %s)\n", s.Log, s.Target, s.FS, s.Log)
	}
}

func bytesString(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}

// startProgress draws "ops done/total, ops/s" on w (a terminal only) every
// 200ms once the run has lasted a second; the returned func erases it.
func startProgress(w io.Writer, done *atomic.Int64, total int64) (stop func()) {
	if !isTerminal(w) {
		return func() {}
	}
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		start := time.Now()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		drawn := false
		for {
			select {
			case <-quit:
				if drawn {
					fmt.Fprint(w, "\r\033[K")
				}
				return
			case <-tick.C:
				el := time.Since(start)
				if el < time.Second {
					continue
				}
				n := done.Load()
				fmt.Fprintf(w, "\r\033[Kfsx %s %d/%d ops  %.0f ops/s", bar(n, total, 30), n, total, float64(n)/el.Seconds())
				drawn = true
			}
		}
	}()
	return func() { close(quit); <-finished }
}

func bar(n, total int64, width int) string {
	fill := width
	if total > 0 {
		fill = int(min(n, total) * int64(width) / total)
	}
	return "[" + strings.Repeat("=", fill) + strings.Repeat(" ", width-fill) + "]"
}
