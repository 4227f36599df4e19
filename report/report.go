// Package report turns iomaplab's verdicts (explore's cells, the kernel
// target's report, an fsx run, or an error that kept a command from
// running) into CI test results: suites of cases that passed, failed,
// errored or were skipped, which report/junit writes as JUnit XML and
// report/ktap as KTAP. The mapping: a violation or an unmet expectation
// fails; evidence that was never reached fails with its own kind; an
// environment that could not run a case, or bad input, errors; a case the
// target cannot run is skipped.
package report

import (
	"errors"
	"strings"
	"time"
)

// Status is a case's outcome.
type Status int

const (
	Passed  Status = iota
	Failed         // a violation, or a verdict not as expected
	Errored        // the case did not run as written: environment or bad input
	Skipped        // the target cannot run it
)

func (s Status) String() string {
	return [...]string{"passed", "failed", "errored", "skipped"}[s]
}

// Failure and error kinds (Case.Kind).
const (
	KindViolation    = "violation"          // an oracle fired
	KindMismatch     = "mismatch"           // a matrix cell's verdict is not the expected one
	KindUnreached    = "evidence unreached" // an evidence expectation did not hold
	KindNondetermism = "nondeterministic"   // a violation's replay gave another trace
	KindEnvironment  = "environment"        // the host could not run it (exit 3)
	KindBadInput     = "bad input"          // a scenario or log the case could not run as written (exit 2)
)

// Case is one test case.
type Case struct {
	Name    string
	Status  Status
	Kind    string // with Failed or Errored: one of the Kind constants
	Message string // one line: why it failed, errored or was skipped
	Detail  string // the long story: drawing, token, dump (may be empty)
	Output  string // what the case observed, pass or fail (may be empty)
	Seconds float64
}

// Property is a name and value describing a suite's run.
type Property struct{ Name, Value string }

// Suite is one command's cases.
type Suite struct {
	Name       string // "explore", "explore-matrix", "kernel", "fsx"
	Timestamp  time.Time
	Seconds    float64
	Properties []Property
	Cases      []Case
}

// Count returns how many cases have status s.
func (s *Suite) Count(st Status) int {
	n := 0
	for _, c := range s.Cases {
		if c.Status == st {
			n++
		}
	}
	return n
}

// OK reports whether no case failed or errored.
func (s *Suite) OK() bool { return s.Count(Failed) == 0 && s.Count(Errored) == 0 }

// FromError is the suite of a command that produced no verdicts: one
// errored case, "run", whose kind says what was at fault
// as the CLI's exit code does: the environment if the error says so
// (Environment() bool) or says nothing, the input if it says BadInput()
// bool.
func FromError(suite string, err error, seconds float64) Suite {
	kind := KindEnvironment
	var env interface{ Environment() bool }
	var bad interface{ BadInput() bool }
	if !(errors.As(err, &env) && env.Environment()) && errors.As(err, &bad) && bad.BadInput() {
		kind = KindBadInput
	}
	msg, detail := splitFirstLine(err.Error())
	return Suite{Name: suite, Timestamp: time.Now(), Seconds: seconds, Cases: []Case{{
		Name: "run", Status: Errored, Kind: kind, Message: msg, Detail: detail, Seconds: seconds,
	}}}
}

// splitFirstLine splits s at its first newline.
func splitFirstLine(s string) (first, rest string) {
	first, rest, _ = strings.Cut(s, "\n")
	return first, rest
}
