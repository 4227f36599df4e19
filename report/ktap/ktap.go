// Package ktap writes report suites as KTAP version 1, the format of the
// kernel's own test results (Documentation/dev-tools/ktap.rst) that
// kunit.py and kernel CI parse: a "KTAP version 1" line, a plan "1..N",
// then "ok N name" or "not ok N name" per test, "# SKIP reason" for a
// skipped one, each suite a subtest whose lines are indented 4 spaces,
// and diagnostic lines "# ..." before a test's result line saying why it
// failed. KTAP has no "error" result: an errored case is "not ok" with a
// diagnostic line naming the kind (environment, bad input).
package ktap

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"iomaplab/report"
)

// Write writes the suites as one KTAP document, each suite a subtest
// with its cases. A case's Message, then Detail, are its diagnostic
// lines; Output is left out (it is for passing cases too, and KTAP
// readers show diagnostics only for failures).
func Write(w io.Writer, suites []report.Suite) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "KTAP version 1\n1..%d\n", len(suites))
	for i, s := range suites {
		const in = "    "
		fmt.Fprintf(bw, "%sKTAP version 1\n%s# Subtest: %s\n%s1..%d\n", in, in, Name(s.Name), in, len(s.Cases))
		for j, c := range s.Cases {
			if Name(c.Name) == Name(s.Name) {
				// kunit.py takes a result line named like its
				// subtest for the subtest's own end.
				c.Name += " case"
			}
			switch c.Status {
			case report.Failed, report.Errored:
				diag(bw, in, fmt.Sprintf("%s %s: %s", c.Status, c.Kind, c.Message))
				for _, line := range strings.Split(strings.TrimRight(c.Detail, "\n"), "\n") {
					if line != "" {
						diag(bw, in, line)
					}
				}
			}
			result(bw, in, j+1, c)
		}
		ok := "ok"
		if !s.OK() {
			ok = "not ok"
		}
		fmt.Fprintf(bw, "%s %d %s\n", ok, i+1, Name(s.Name))
	}
	return bw.Flush()
}

func result(w io.Writer, indent string, n int, c report.Case) {
	switch c.Status {
	case report.Passed:
		fmt.Fprintf(w, "%sok %d %s\n", indent, n, Name(c.Name))
	case report.Skipped:
		fmt.Fprintf(w, "%sok %d %s # SKIP %s\n", indent, n, Name(c.Name), oneLine(c.Message))
	default:
		fmt.Fprintf(w, "%snot ok %d %s\n", indent, n, Name(c.Name))
	}
}

// diag writes a diagnostic line. One that would read as a subtest header
// ("# Subtest: ...") gets a second space.
func diag(w io.Writer, indent, line string) {
	line = oneLine(line)
	if strings.HasPrefix(line, "Subtest:") {
		line = " " + line
	}
	fmt.Fprintf(w, "%s# %s\n", indent, line)
}

// Name is a test name as KTAP carries it: "#" starts a directive and a
// line ends the result, so both become "_"; so does every space (kunit
// names are single words), and an empty name is "unnamed".
func Name(s string) string {
	if s == "" {
		return "unnamed"
	}
	return strings.Map(func(r rune) rune {
		if r == '#' || r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return '_'
		}
		return r
	}, s)
}

// oneLine keeps text on its line: newlines and carriage returns become
// spaces.
func oneLine(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}

// WriteFile writes the document to path (Write), replacing it.
func WriteFile(path string, suites []report.Suite) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := Write(f, suites); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
