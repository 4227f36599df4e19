package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"iomaplab/explore"
	"iomaplab/fsx"
	"iomaplab/kernel"
)

// runCLI runs one command line in-process, as main does.
func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// Every subcommand: `CMD -h` and `help CMD` print the same page (its
// synopsis, examples, flags and exit codes) on stdout and exit 0; a bad
// flag exits 2 with a message on stderr that starts `iomaplab CMD:` and
// names the valid values; nothing goes to stdout.
func TestEverySubcommandHelpAndBadFlag(t *testing.T) {
	for _, tc := range []struct {
		cmd  string
		bad  []string
		want []string // in the bad flag's message: the valid values
	}{
		{"list", []string{"--jsn"}, []string{"unknown flag: --jsn", "--json"}},
		{"explore", []string{"--strategy", "foo"}, []string{"pct, random, dfs, delay"}},
		{"replay", []string{"TOKEN", "--device", "floppy"}, []string{"file, memory"}},
		{"fsx", []string{"--target", "nfs"}, []string{"model, kernel"}},
		{"kernel", []string{"--watchdog", "0s"}, []string{"1ms..1h"}},
		{"bench", []string{"--runs", "0"}, []string{"1..1000"}},
		{"mutants", []string{"--budget", "0"}, []string{"1..1000000"}},
		{"merge", []string{"--jsn"}, []string{"unknown flag: --jsn", "--json"}},
		{"vm", []string{"--cpus", "0"}, []string{"1..64"}},
	} {
		code, dashH, stderr := runCLI(tc.cmd, "-h")
		if code != exitOK || stderr != "" {
			t.Errorf("%s -h: exit %d, stderr %q", tc.cmd, code, stderr)
		}
		for _, section := range []string{"Usage:\n  iomaplab " + tc.cmd, "Examples:\n", "Flags:\n", "Exit codes:\n  0  ", "\n  2  "} {
			if !strings.Contains(dashH, section) {
				t.Errorf("%s -h lacks %q:\n%s", tc.cmd, section, dashH)
			}
		}
		code, help, _ := runCLI("help", tc.cmd)
		if code != exitOK || help != dashH {
			t.Errorf("help %s: exit %d, and its page differs from %s -h:\n%s", tc.cmd, code, tc.cmd, help)
		}
		code, stdout, stderr := runCLI(append([]string{tc.cmd}, tc.bad...)...)
		if code != exitUsage || stdout != "" {
			t.Errorf("%s %q: exit %d, stdout %q", tc.cmd, tc.bad, code, stdout)
		}
		if !strings.HasPrefix(stderr, "iomaplab "+tc.cmd+": ") {
			t.Errorf("%s %q: message %q lacks the prefix", tc.cmd, tc.bad, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s %q: message %q does not name %q", tc.cmd, tc.bad, stderr, w)
			}
		}
	}
}

// Values out of range, or not in the set, exit 2 naming the range, before
// any work.
func TestFlagRanges(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"explore", "--budget", "0"}, "1..1000000"},
		{[]string{"explore", "--depth", "-5"}, "1..64"},
		{[]string{"explore", "--depth", "0"}, "1..64"},
		{[]string{"explore", "--preemptions", "-1"}, "0..32"},
		{[]string{"explore", "--variant", "nope"}, "correct, no-validate"},
		{[]string{"explore", "--matrix", "--variant", "no-validate"}, "--matrix takes no scenario and no --variant"},
		{[]string{"kernel", "--watchdog", "-5s"}, "1ms..1h"},
		{[]string{"kernel", "--runs", "-1"}, "1..100000"},
		{[]string{"kernel", "--min-rate", "1.5"}, "0..1"},
		{[]string{"kernel", "--fs", "zfs"}, "xfs, ext4, btrfs"},
		{[]string{"kernel", "--diff", "--model-schedules", "0"}, "1..100000"},
		{[]string{"fsx", "-l", "2T"}, "1..1T"},
		{[]string{"fsx", "--device", "memory", "-l", "1T", "--ops", "1"}, "use --device file"},
		{[]string{"fsx", "--threads", "65"}, "1..64"},
		{[]string{"fsx", "--ops", "-1"}, "0..10000000"},
		{[]string{"fsx", "--disable", "scribble"}, "read, write"},
		{[]string{"bench", "bogus"}, "write, lab, kernel, fsx"},
		{[]string{"bench", "--io", "5000"}, "multiple of 4k"},
		{[]string{"bench", "--io", "1000"}, "4k..64M"},
		{[]string{"replay"}, "one TOKEN"},
		{[]string{"list", "extra"}, `unexpected argument "extra"`},
		{[]string{"expore"}, "did you mean explore?"},
		{[]string{"help", "nosuch"}, "commands: bench, completion, explore"},
		{nil, "missing command"},
	} {
		code, stdout, stderr := runCLI(tc.args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 naming %q", tc.args, code, stdout, stderr, tc.want)
		}
	}
}

// Sizes take scenario-style suffixes and T; -l 1T is the documented top.
func TestSizeFlags(t *testing.T) {
	for in, want := range map[string]int64{"1T": 1 << 40, "64k": 64 << 10, "0x1000": 4096, "65536": 65536} {
		var n int64
		if err := (&sizeValue{&n, 1, 1 << 40}).Set(in); err != nil || n != want {
			t.Errorf("size %q: %d, %v; want %d", in, n, err, want)
		}
	}
	for _, in := range []string{"0", "2T", "9999999T", "-1", "1Q", ""} {
		var n int64
		if err := (&sizeValue{&n, 1, 1 << 40}).Set(in); err == nil {
			t.Errorf("size %q accepted as %d", in, n)
		}
	}
}

// A 1 MB word is not echoed whole, in a flag value or a command name.
func TestLongWordsTruncated(t *testing.T) {
	huge := strings.Repeat("x", 1<<20)
	for _, args := range [][]string{{"explore", "--strategy", huge}, {huge}, {"explore", "--" + huge}} {
		code, _, stderr := runCLI(args...)
		if code != exitUsage || len(stderr) > 2000 || !regexp.MustCompile(`x\.\.\.\(104857[68] bytes\)`).MatchString(stderr) {
			t.Errorf("%d-byte word: exit %d, %d-byte message %.200q", len(huge), code, len(stderr), stderr)
		}
	}
	msg := truncateWords("bad " + strings.Repeat("é", 100) + " end")
	if !utf8.ValidString(msg) || !strings.HasSuffix(msg, "...(200 bytes) end") || strings.Count(msg, "é") != 40 {
		t.Errorf("truncated %q", msg)
	}
	if short := "a short message"; truncateWords(short) != short {
		t.Errorf("short message changed: %q", truncateWords(short))
	}
}

type envErr struct{ env bool }

func (e envErr) Error() string     { return "env" }
func (e envErr) Environment() bool { return e.env }

type inputErr struct{ bad bool }

func (e inputErr) Error() string  { return "input" }
func (e inputErr) BadInput() bool { return e.bad }

// exitFor: the interfaces decide, anywhere in the chain; an environment
// cause beats a bad-input wrapper; 1 only for a violation.
func TestExitFor(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, exitOK},
		{errViolation, exitFail},
		{fmt.Errorf("cell: %w", errViolation), exitFail},
		{inputErr{true}, exitUsage},
		{fmt.Errorf("scenario: %w", inputErr{true}), exitUsage},
		{inputErr{false}, exitEnv},
		{envErr{true}, exitEnv},
		{fmt.Errorf("run: %w", envErr{true}), exitEnv},
		{badInputError{envErr{true}}, exitEnv},
		{badInputError{envErr{false}}, exitUsage},
		{errors.New("no verdict, no bad input"), exitEnv},
		{classify(&kernel.EnvError{Reason: "no root"}), exitEnv},
		{classify(fmt.Errorf("%w: mount", fsx.ErrSetup)), exitEnv},
		{classify(errors.New("other")), exitEnv},
		{hostOrInput(&fs.PathError{Op: "open", Path: "/ro/x", Err: syscall.EROFS}), exitEnv},
		{hostOrInput(&fs.PathError{Op: "open", Path: "/no/x", Err: syscall.ENOENT}), exitUsage},
	} {
		if got := exitFor(tc.err); got != tc.want {
			t.Errorf("exitFor(%#v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// Each class of exit, through the command line: a clean and a violating
// explore and fsx (the model, controlled: one fixed schedule), and the
// places that must fail before running.
func TestExitClasses(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"explore", "write-stale-unwritten", "--device", "memory", "--budget", "5", "--quiet"}, exitOK},
		{[]string{"explore", "write-stale-unwritten", "--variant", "no-validate", "--device", "memory", "--budget", "50", "--quiet"}, exitFail},
		{[]string{"explore", filepath.Join(dir, "missing.scn")}, exitUsage},
		{[]string{"fsx", "--device", "memory", "--ops", "500", "--seed", "1", "--controlled", "--log", filepath.Join(dir, "ok.log"), "-q"}, exitOK},
		{[]string{"fsx", "--variant", "zero-skips-dirty-unwritten", "--device", "memory", "--ops", "2000", "--seed", "1", "--controlled",
			"--remount-every", "100", "--log", filepath.Join(dir, "bad.log"), "-q"}, exitFail},
		{[]string{"fsx", "--ops", "1000000", "--log", filepath.Join(dir, "no-such-dir", "x.log")}, exitUsage},
		{[]string{"fsx", "--ops", "1000000", "--log", dir}, exitUsage},
		{[]string{"fsx", "--replay", filepath.Join(dir, "missing.log")}, exitUsage},
		{[]string{"bench", "--plot", "/proc/iomaplab-no-such-dir"}, exitUsage},
		{[]string{"replay", "iml1-not-a-token"}, exitUsage},
		{[]string{"completion", "bash"}, exitOK},
	} {
		code, stdout, stderr := runCLI(tc.args...)
		if code != tc.want {
			t.Errorf("%q: exit %d, want %d\nstdout %.500s\nstderr %.500s", tc.args, code, tc.want, stdout, stderr)
		}
		if code == exitUsage && stdout != "" {
			t.Errorf("%q: bad input ran: %.300s", tc.args, stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.log")); err != nil {
		t.Errorf("the failing fsx run wrote no op log: %v", err)
	}
}

// lineWriter hands each write to the test as one line.
type lineWriter struct{ lines chan string }

func (w lineWriter) Write(p []byte) (int, error) {
	w.lines <- string(p)
	return len(p), nil
}

// Off a terminal, each tick prints the caller's line and the elapsed time;
// the test drives the ticks, so nothing sleeps.
func TestStatusLine(t *testing.T) {
	ticks := make(chan time.Time)
	w := lineWriter{make(chan string, 4)}
	stopped := false
	a := &app{stderr: w, ticker: func() (<-chan time.Time, func()) { return ticks, func() { stopped = true } }}
	var done atomic.Int64
	stop := a.startStatus(false, func() string { return fmt.Sprintf("cells %d/3", done.Load()) })
	for i := int64(1); i <= 2; i++ {
		done.Store(i)
		ticks <- time.Now()
		if got, want := <-w.lines, fmt.Sprintf("cells %d/3, elapsed ", i); !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "s\n") {
			t.Errorf("tick %d: %q, want %q...", i, got, want)
		}
	}
	stop()
	if !stopped || len(w.lines) != 0 {
		t.Errorf("after stop: ticker stopped %v, %d more lines", stopped, len(w.lines))
	}

	started := false
	a.ticker = func() (<-chan time.Time, func()) { started = true; return ticks, func() {} }
	a.startStatus(true, func() string { return "quiet" })()
	if started {
		t.Error("--quiet started the status line")
	}
}

// explore wires its status line: cells done of the planned total and
// schedules; --quiet silences it.
func TestExploreStatusLine(t *testing.T) {
	for _, quiet := range []bool{false, true} {
		var out, errb bytes.Buffer
		started := 0
		a := &app{stdout: &out, stderr: &errb, ticker: func() (<-chan time.Time, func()) {
			started++
			tick := make(chan time.Time, 1)
			tick <- time.Now() // due at once: it shows by the end of the run
			return tick, func() {}
		}}
		args := []string{"explore", "write-stale-unwritten", "--device", "memory", "--budget", "3"}
		if quiet {
			args = append(args, "--quiet")
		}
		if code := a.run(args); code != exitOK {
			t.Fatalf("%q: exit %d: %s", args, code, errb.String())
		}
		line := regexp.MustCompile(`(?m)^iomaplab explore: cells [01]/1, schedules [0-3](, now write-stale-unwritten \[correct\])?, elapsed \d+s$`)
		if shown := line.MatchString(errb.String()); shown == quiet || (started == 1) == quiet {
			t.Errorf("quiet %v: ticker started %d times, stderr %q", quiet, started, errb.String())
		}
	}
}

// A signal ends a model run with exit 3 and says so. The child is this
// test binary running explore with a status line due at once, which tells
// the parent the handler is in place.
func TestSignalExits3(t *testing.T) {
	if os.Getenv("IOMAPLAB_CLI_SIGNAL_CHILD") != "" {
		a := &app{stdout: io.Discard, stderr: os.Stderr, ticker: func() (<-chan time.Time, func()) {
			tick := make(chan time.Time, 1)
			tick <- time.Now()
			return tick, func() {}
		}}
		os.Exit(a.run([]string{"explore", "--budget", "1000000", "--device", "memory"}))
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSignalExits3$")
	cmd.Env = append(os.Environ(), "IOMAPLAB_CLI_SIGNAL_CHILD=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stderr)
	for lines.Scan() && !strings.HasPrefix(lines.Text(), "iomaplab explore: cells ") {
	}
	cmd.Process.Signal(syscall.SIGTERM)
	var rest strings.Builder
	for lines.Scan() {
		rest.WriteString(lines.Text() + "\n")
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitEnv || !strings.Contains(rest.String(), "iomaplab explore: interrupted by terminated") {
		t.Errorf("after SIGTERM: %v, stderr %q; want exit 3 saying interrupted", err, rest.String())
	}
}

// explore's exit: 1 for a violation, an unmet expectation or a matrix
// mismatch; 2 for a scenario error; 3 for a host fault; in that order.
func TestExploreResult(t *testing.T) {
	cell := func(verdict string, match bool, err error) *explore.Cell {
		return &explore.Cell{Scenario: "s", Variant: "v", Verdict: verdict, Match: match, Deterministic: true, Err: err, Message: "why\nmore"}
	}
	host := environmentError{errors.New("EIO on the device file")}
	for _, tc := range []struct {
		name    string
		cells   []*explore.Cell
		matrix  bool
		missing []string
		want    int
	}{
		{"clean", []*explore.Cell{cell("clean", true, nil), cell("skipped", true, nil)}, false, nil, exitOK},
		{"violation", []*explore.Cell{cell("clean", true, nil), cell("violation", false, nil)}, false, nil, exitFail},
		{"unreached", []*explore.Cell{cell("unreached", false, nil)}, false, nil, exitFail},
		{"nondeterministic", []*explore.Cell{{Verdict: "clean"}}, false, nil, exitFail},
		{"scenario error", []*explore.Cell{cell("scenario error", false, inputErr{true})}, false, nil, exitUsage},
		{"op error", []*explore.Cell{cell("error", false, nil)}, false, nil, exitUsage},
		{"host fault", []*explore.Cell{cell("error", false, host)}, false, nil, exitEnv},
		{"violation beats scenario error", []*explore.Cell{cell("scenario error", false, inputErr{true}), cell("violation", false, nil)}, false, nil, exitFail},
		{"scenario error beats host fault", []*explore.Cell{cell("error", false, host), cell("scenario error", false, inputErr{true})}, false, nil, exitUsage},
		{"matrix as expected", []*explore.Cell{cell("violation", true, nil), cell("clean", true, nil)}, true, nil, exitOK},
		{"matrix mismatch", []*explore.Cell{cell("clean", false, nil)}, true, nil, exitFail},
		{"mutant no exploratory scenario caught", []*explore.Cell{cell("violation", true, nil)}, true, []string{"no-validate"}, exitFail},
	} {
		err := exploreResult(tc.cells, tc.matrix, tc.missing)
		if got := exitFor(err); got != tc.want {
			t.Errorf("%s: exit %d (%v), want %d", tc.name, got, err, tc.want)
		}
		if err != nil && strings.Contains(errorMessage(err), "more") {
			t.Errorf("%s: message %q is more than the cell's first line", tc.name, errorMessage(err))
		}
	}
}

// replay: the token explore prints replays its violation (exit 1); a token
// with one character changed is bad input (exit 2) or, if it still decodes
// to a schedule, a verdict, never a crash.
func TestReplayExits(t *testing.T) {
	code, out, stderr := runCLI("explore", "write-stale-unwritten", "--variant", "no-validate", "--device", "memory", "--budget", "50", "--json", "-q")
	if code != exitFail {
		t.Fatalf("explore: exit %d: %s", code, stderr)
	}
	token := regexp.MustCompile(`"token": "([^"]+)"`).FindStringSubmatch(out)
	if token == nil {
		t.Fatalf("no token in %.500s", out)
	}
	if code, out, stderr := runCLI("replay", token[1], "--device", "memory"); code != exitFail || !strings.Contains(out, "replayed twice identically") {
		t.Errorf("replay: exit %d\n%s\n%s", code, out, stderr)
	}
	for i := len("iml1-"); i < len(token[1]); i += len(token[1]) / 7 {
		bad := []byte(token[1])
		bad[i] ^= 1
		code, _, stderr := runCLI("replay", string(bad), "--device", "memory")
		if code != exitUsage && code != exitFail && code != exitOK {
			t.Errorf("token changed at %d: exit %d: %s", i, code, stderr)
		}
		if code == exitUsage && !strings.HasPrefix(stderr, "iomaplab replay: ") {
			t.Errorf("token changed at %d: message %q", i, stderr)
		}
	}
}

// --max-bytes bounds a scenario file before it runs (exit 2, naming the
// limit); the same file runs within the default.
func TestExploreMaxBytes(t *testing.T) {
	file := filepath.Join(t.TempDir(), "big.scn")
	os.WriteFile(file, []byte("scenario big\nfs xfs dev=16M\nthread w: pwrite f 0 8M\n"), 0o600)
	code, stdout, stderr := runCLI("explore", file, "--max-bytes", "4M", "--budget", "1", "--device", "memory")
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, "over the 4M budget") {
		t.Errorf("--max-bytes 4M: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, _, stderr := runCLI("explore", file, "--budget", "1", "--device", "memory", "-q"); code != exitOK {
		t.Errorf("default limits: exit %d: %s", code, stderr)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{time.Hour: "1h", 2 * time.Minute: "2m", 10 * time.Second: "10s",
		90 * time.Second: "1m30s", time.Millisecond: "1ms", time.Hour + time.Second: "1h0m1s", 10 * time.Minute: "10m"} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// --fstests-log writes the run as an fstests fsx log, which --replay reads
// back (ReadAnyLog) and replays clean; it needs one file.
func TestFsxFstestsLog(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "run.fsxops")
	code, _, stderr := runCLI("fsx", "--device", "memory", "--ops", "300", "--seed", "4", "-q", "--fstests-log", out)
	if code != exitOK || !strings.Contains(stderr, "wrote "+out) {
		t.Fatalf("--fstests-log: exit %d: %s", code, stderr)
	}
	if code, stdout, stderr := runCLI("fsx", "--device", "memory", "--replay", out, "-q"); code != exitOK || !strings.Contains(stdout, ": ok") {
		t.Errorf("--replay of the fstests log: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, stderr := runCLI("fsx", "--files", "2", "--fstests-log", out); code != exitUsage || !strings.Contains(stderr, "one file") {
		t.Errorf("--files 2 --fstests-log: exit %d: %s", code, stderr)
	}
}

// lineCounter counts the kernel's and bench's progress lines (cells and
// steps done) however the writes split them.
func TestLineCounter(t *testing.T) {
	var c lineCounter
	for _, w := range []string{"xfs  a runs 5: ok\n", "ext4 b ", "runs 5: ok\nbtrfs", " c\n"} {
		io.WriteString(&c, w)
	}
	if n := c.n.Load(); n != 3 {
		t.Errorf("%d lines, want 3", n)
	}
}

func TestMemAvailable(t *testing.T) {
	if _, err := os.Stat("/proc/meminfo"); err != nil {
		t.Skip("no /proc/meminfo")
	}
	if n, ok := memAvailable(); !ok || n < 1<<20 {
		t.Errorf("MemAvailable %d, %v", n, ok)
	}
}

// Each line of a several-error message carries the prefix, so each
// file:line:col can be found.
func TestEveryErrorLinePrefixed(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bad.scn")
	os.WriteFile(file, []byte("scenario bad\nfs xfs\nthread w: pwrite f 0 4k stall-at=8k\nthread x: bogus\n"), 0o600)
	code, _, stderr := runCLI("explore", file)
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if code != exitUsage || len(lines) != 2 {
		t.Fatalf("exit %d, stderr %q; want exit 2 and two errors", code, stderr)
	}
	for i, l := range lines {
		if want := fmt.Sprintf("iomaplab explore: %s:%d:", file, i+3); !strings.HasPrefix(l, want) {
			t.Errorf("line %q does not start %q", l, want)
		}
	}
}

// --junit and --ktap write the verdict where CI reads it, and a path that
// cannot be written is bad usage before anything runs.
func TestCIReports(t *testing.T) {
	dir := t.TempDir()
	xml, ktapFile := filepath.Join(dir, "r.xml"), filepath.Join(dir, "r.ktap")
	var out, errb bytes.Buffer
	if code := run([]string{"fsx", "--target", "model", "--ops", "300", "--seed", "3", "--quiet", "--junit", xml, "--ktap", ktapFile}, &out, &errb); code != exitOK {
		t.Fatalf("fsx exit %d: %s", code, errb.String())
	}
	j, _ := os.ReadFile(xml)
	k, _ := os.ReadFile(ktapFile)
	if !strings.Contains(string(j), `<testsuite name="fsx" tests="1" failures="0" errors="0"`) {
		t.Errorf("JUnit report:\n%s", j)
	}
	if !strings.HasPrefix(string(k), "KTAP version 1\n1..1\n") || !strings.Contains(string(k), "\nok 1 fsx") {
		t.Errorf("KTAP report:\n%s", k)
	}
	exploreXML := filepath.Join(dir, "e.xml")
	if code := run([]string{"explore", "write-stale-unwritten", "--budget", "5", "--quiet", "--device", "memory", "--junit", exploreXML}, &out, &errb); code != exitOK {
		t.Fatalf("explore exit %d: %s", code, errb.String())
	}
	if e, _ := os.ReadFile(exploreXML); !strings.Contains(string(e), `name="write-stale-unwritten [correct]"`) {
		t.Errorf("explore's JUnit report:\n%s", e)
	}
	errb.Reset()
	bad := filepath.Join(dir, "no", "such", "dir", "r.xml")
	if code := run([]string{"fsx", "--target", "model", "--ops", "10", "--junit", bad}, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "--junit") {
		t.Errorf("unwritable --junit: exit %d, stderr %q", code, errb.String())
	}
}
