package main

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"iomaplab/scenario"
)

// Flags check their value when parsed: a word outside its set or a number
// outside its range is bad usage (exit 2) whose message names the valid
// values, before any work. Each flag's help line shows the range.

// enumValue is a string flag that takes one of a fixed set of words.
type enumValue struct {
	p       *string
	allowed []string
}

func (e *enumValue) String() string { return *e.p }
func (e *enumValue) Type() string   { return "string" }
func (e *enumValue) Set(s string) error {
	if !slices.Contains(e.allowed, s) {
		return fmt.Errorf("want one of %s", strings.Join(e.allowed, ", "))
	}
	*e.p = s
	return nil
}

// enumFlag adds --name taking one of allowed (completed by the shell).
func enumFlag(cmd *cobra.Command, p *string, name, def string, allowed []string, usage string) {
	*p = def
	cmd.Flags().Var(&enumValue{p, allowed}, name, fmt.Sprintf("%s: %s", usage, strings.Join(allowed, ", ")))
	cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(allowed, cobra.ShellCompDirectiveNoFileComp))
}

// intValue is an integer flag within [lo, hi].
type intValue[T int | int64] struct {
	p      *T
	lo, hi T
}

func (v *intValue[T]) String() string { return strconv.FormatInt(int64(*v.p), 10) }
func (v *intValue[T]) Type() string   { return "int" }
func (v *intValue[T]) Set(s string) error {
	n, err := strconv.ParseInt(s, 0, 64)
	if err != nil || n < int64(v.lo) || n > int64(v.hi) {
		return fmt.Errorf("want an integer in %d..%d", v.lo, v.hi)
	}
	*v.p = T(n)
	return nil
}

// intFlag adds --name (and -short, if not "") with default def, within [lo, hi].
func intFlag[T int | int64](cmd *cobra.Command, p *T, name, short string, def, lo, hi T, usage string) {
	*p = def
	cmd.Flags().VarP(&intValue[T]{p, lo, hi}, name, short, fmt.Sprintf("%s, %d..%d", usage, lo, hi))
	cmd.RegisterFlagCompletionFunc(name, cobra.NoFileCompletions)
}

// sizeValue is a byte count within [lo, hi], written as scenario files
// write sizes: 4096, 4k, 2M, 1G, 0x1000.
type sizeValue struct {
	p      *int64
	lo, hi int64
}

func (v *sizeValue) String() string { return formatSize(*v.p) }
func (v *sizeValue) Type() string   { return "size" }
func (v *sizeValue) Set(s string) error {
	n, err := parseSize(s)
	if err != nil || n < v.lo || n > v.hi {
		return fmt.Errorf("want a size in %s..%s (e.g. 4096, 64k, 2M, 1G)", formatSize(v.lo), formatSize(v.hi))
	}
	*v.p = n
	return nil
}

// parseSize is scenario.ParseSize plus the suffix T (fsx -l goes to 1T).
func parseSize(s string) (int64, error) {
	if n := len(s); n > 1 && (s[n-1] == 't' || s[n-1] == 'T') {
		v, err := scenario.ParseSize(s[:n-1])
		if err != nil || v > math.MaxInt64>>40 {
			return 0, fmt.Errorf("bad size %q", s)
		}
		return v << 40, nil
	}
	return scenario.ParseSize(s)
}

// sizeFlag adds --name (and -short) taking a size within [lo, hi].
func sizeFlag(cmd *cobra.Command, p *int64, name, short string, def, lo, hi int64, usage string) {
	*p = def
	cmd.Flags().VarP(&sizeValue{p, lo, hi}, name, short, fmt.Sprintf("%s, %s..%s", usage, formatSize(lo), formatSize(hi)))
	cmd.RegisterFlagCompletionFunc(name, cobra.NoFileCompletions)
}

// formatSize writes n with the largest unit that divides it.
func formatSize(n int64) string {
	for _, u := range []struct {
		shift  uint
		suffix string
	}{{40, "T"}, {30, "G"}, {20, "M"}, {10, "k"}} {
		if n != 0 && n%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d%s", n>>u.shift, u.suffix)
		}
	}
	return strconv.FormatInt(n, 10)
}

// durationValue is a duration within [lo, hi].
type durationValue struct {
	p      *time.Duration
	lo, hi time.Duration
}

func (v *durationValue) String() string { return formatDuration(*v.p) }
func (v *durationValue) Type() string   { return "duration" }
func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d < v.lo || d > v.hi {
		return fmt.Errorf("want a duration in %s..%s (e.g. 500ms, 10s, 2m)", formatDuration(v.lo), formatDuration(v.hi))
	}
	*v.p = d
	return nil
}

// durationFlag adds --name taking a duration within [lo, hi].
func durationFlag(cmd *cobra.Command, p *time.Duration, name string, def, lo, hi time.Duration, usage string) {
	*p = def
	cmd.Flags().Var(&durationValue{p, lo, hi}, name, fmt.Sprintf("%s, %s..%s", usage, formatDuration(lo), formatDuration(hi)))
	cmd.RegisterFlagCompletionFunc(name, cobra.NoFileCompletions)
}

// formatDuration is d.String() without zero minutes and seconds: 1h, 2m.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// rateValue is a fraction in [0, 1].
type rateValue struct{ p *float64 }

func (v *rateValue) String() string { return strconv.FormatFloat(*v.p, 'g', -1, 64) }
func (v *rateValue) Type() string   { return "float" }
func (v *rateValue) Set(s string) error {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f >= 0 && f <= 1) {
		return fmt.Errorf("want a number in 0..1")
	}
	*v.p = f
	return nil
}

// quietFlag adds --quiet, which silences the progress line.
func quietFlag(cmd *cobra.Command, p *bool) {
	cmd.Flags().BoolVarP(p, "quiet", "q", false, "no progress on stderr (a bar on a terminal, else a line every 10s)")
}

// exactArgs accepts n positional arguments, naming them in the message.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return badInput("want %s, got %d arguments (see %s -h)", what, len(args), cmd.CommandPath())
		}
		return nil
	}
}

// writableDir makes dir if need be and checks that a file can be created
// in it, before a long run would find out. A path that cannot be a
// writable directory is bad input; a full or read-only filesystem is the
// environment's.
func writableDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return hostOrInput(err)
	}
	f, err := os.CreateTemp(dir, ".iomaplab-probe-*")
	if err != nil {
		return hostOrInput(err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// writableFile checks, without truncating it, that path can be written:
// it opens it for writing if it exists and otherwise creates and removes it.
func writableFile(path string) error {
	if f, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
		return f.Close()
	} else if !os.IsNotExist(err) {
		return hostOrInput(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return hostOrInput(err)
	}
	f.Close()
	return os.Remove(path)
}

// noArgs rejects positional arguments.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return badInput("unexpected argument %q (%s takes flags only; see %s -h)", args[0], cmd.Name(), cmd.CommandPath())
	}
	return nil
}

// writableOutputs checks, before anything runs, that each output flag's
// file can be written; flagsAndPaths alternates a flag's name and its path
// (empty: not asked for). The error keeps writableFile's class.
func writableOutputs(flagsAndPaths ...string) error {
	for i := 0; i+1 < len(flagsAndPaths); i += 2 {
		flag, path := flagsAndPaths[i], flagsAndPaths[i+1]
		if path == "" {
			continue
		}
		if err := writableFile(path); err != nil {
			return fmt.Errorf("%s %s: %w", flag, path, err)
		}
	}
	return nil
}
