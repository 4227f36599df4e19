package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"syscall"
	"unicode/utf8"

	"iomaplab/fsx"
	"iomaplab/kernel"
)

// Exit codes: the one contract of every subcommand (rootExit spells it out
// for --help, README's "Exit codes" paragraph for users).
const (
	exitOK    = 0 // ran, nothing violated
	exitFail  = 1 // a violation, and only a violation
	exitUsage = 2 // bad usage or bad input
	exitEnv   = 3 // this environment cannot run the command
)

// errViolation is what a command returns once it has printed a violation
// (or an unmet expectation): exit 1, nothing more to say.
var errViolation = errors.New("violation")

// exitFor maps a command's error to its exit code. Errors say what they
// are through methods, so the packages that make them need not know the
// CLI: Environment() bool (exit 3) and BadInput() bool (exit 2), found
// anywhere in the wrap chain; an environment cause wins over the bad-input
// wrapper around it (a scenario file the host cannot read is the host's
// fault). Any other error stopped the run without a verdict and without a
// fault in the input, so it too is the environment's (3): never 1, which is
// reserved for violations.
func exitFor(err error) int {
	if err == nil {
		return exitOK
	}
	var env interface{ Environment() bool }
	if errors.As(err, &env) && env.Environment() {
		return exitEnv
	}
	var bad interface{ BadInput() bool }
	if errors.As(err, &bad) && bad.BadInput() {
		return exitUsage
	}
	if errors.Is(err, errViolation) {
		return exitFail
	}
	return exitEnv
}

// errorMessage is what the CLI prints for err: nothing for a violation,
// whose report is already on stdout.
func errorMessage(err error) string {
	if err == nil || errors.Is(err, errViolation) {
		return ""
	}
	return err.Error()
}

// badInputError is bad usage or bad input (exit 2).
type badInputError struct{ err error }

func (e badInputError) Error() string  { return e.err.Error() }
func (e badInputError) Unwrap() error  { return e.err }
func (e badInputError) BadInput() bool { return true }

// badInput formats a bad-usage error (exit 2).
func badInput(format string, a ...any) error {
	return badInputError{fmt.Errorf(format, a...)}
}

// asBadInput marks err, from parsing the user's input, as bad input, unless
// it is nil.
func asBadInput(err error) error {
	if err == nil {
		return nil
	}
	return badInputError{err}
}

// environmentError is a machine that cannot run the command (exit 3).
type environmentError struct{ err error }

func (e environmentError) Error() string     { return e.err.Error() }
func (e environmentError) Unwrap() error     { return e.err }
func (e environmentError) Environment() bool { return true }

// classify marks the engine errors known to mean "this machine cannot run
// it" that do not say so themselves: the kernel target's *kernel.EnvError
// and fsx's ErrSetup.
func classify(err error) error {
	var kerr *kernel.EnvError
	if errors.As(err, &kerr) || errors.Is(err, fsx.ErrSetup) {
		return environmentError{err}
	}
	return err
}

// longWord is a run of more than maxWord bytes other than spaces and quotes.
const maxWord = 80

var longWord = regexp.MustCompile(fmt.Sprintf(`[^\s"']{%d,}`, maxWord+1))

// truncateWords shortens every word of msg longer than maxWord bytes, so a
// 1 MB flag value or token is not echoed whole.
func truncateWords(msg string) string {
	return longWord.ReplaceAllStringFunc(msg, func(w string) string {
		cut := w[:maxWord]
		for !utf8.ValidString(cut) {
			cut = cut[:len(cut)-1] // a rune the cut split
		}
		return fmt.Sprintf("%s...(%d bytes)", cut, len(w))
	})
}

// hostOrInput classifies a failure to create a file the user named: a full,
// read-only or failing filesystem is the environment's; a missing
// directory, a permission or a path that is not a directory is bad input.
func hostOrInput(err error) error {
	for _, e := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EROFS, syscall.EIO} {
		if errors.Is(err, e) {
			return environmentError{err}
		}
	}
	return badInputError{err}
}

// exitOnSignal makes SIGINT and SIGTERM end a model run at once, exit 3:
// the model holds nothing outside the process (its device file is unlinked
// when made). The kernel target's supervisor has its own handler, which
// unmounts and detaches first, so its runs do not call this.
func (a *app) exitOnSignal(cmd string) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	quit := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			fmt.Fprintf(a.stderr, "iomaplab %s: interrupted by %v\n", cmd, sig)
			os.Exit(exitEnv)
		case <-quit:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(quit)
	}
}
