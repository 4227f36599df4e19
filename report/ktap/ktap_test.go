package ktap

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"iomaplab/report"
)

func sample() []report.Suite {
	return []report.Suite{
		{Name: "explore matrix", Cases: []report.Case{
			{Name: "write-stale-unwritten [correct]", Output: "not shown"},
			{Name: "write-stale-unwritten [no-validate]", Status: report.Failed, Kind: report.KindMismatch,
				Message: "expected catch (data), got clean", Detail: "writer | syncer\nSubtest: fake\nok 1 fake\n1..9\n"},
			{Name: "reflink #2", Status: report.Skipped, Message: "needs\nreflink"},
			{Name: "awaits", Status: report.Errored, Kind: report.KindBadInput, Message: "deadlock"},
		}},
		{Name: "fsx", Cases: []report.Case{{Name: "model/xfs/correct seed=1"}, {Name: "fsx"}}},
	}
}

var (
	resultRE = regexp.MustCompile(`^(ok|not ok) ([0-9]+) ([^# ]+)( # SKIP (.*))?$`)
	planRE   = regexp.MustCompile(`^1\.\.([0-9]+)$`)
)

// ktapTest is a parsed test: its result and, for a suite, its subtests.
type ktapTest struct {
	ok, skip bool
	name     string
	diags    []string
	subtests []ktapTest
}

// parse reads a KTAP v1 document at indent level depth, holding it to the
// format's rules: a version line, a plan, results numbered 1..N matching
// the plan, subtests indented 4 more spaces with a "# Subtest:" header and
// a result line of the same name, diagnostics "# ..." only.
func parse(lines []string, depth int) (tests []ktapTest, rest []string, err error) {
	in := strings.Repeat(" ", 4*depth)
	take := func() string {
		if err != nil {
			return ""
		}
		if len(lines) == 0 {
			err = fmt.Errorf("depth %d: ran out of lines", depth)
			return ""
		}
		l := lines[0]
		lines = lines[1:]
		if body, ok := strings.CutPrefix(l, in); !ok || strings.HasPrefix(body, " ") && !strings.HasPrefix(body, "    ") {
			err = fmt.Errorf("depth %d: line %q is not indented by %d", depth, l, len(in))
			return ""
		}
		return l[len(in):]
	}
	fail := func(format string, a ...any) ([]ktapTest, []string, error) {
		if err != nil {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf(format, a...)
	}
	if l := take(); l != "KTAP version 1" {
		return fail("depth %d: version line %q", depth, l)
	}
	subName := ""
	if depth > 0 {
		h := take()
		var ok bool
		if subName, ok = strings.CutPrefix(h, "# Subtest: "); !ok {
			return fail("subtest header %q", h)
		}
	}
	m := planRE.FindStringSubmatch(take())
	if m == nil {
		return fail("depth %d: no plan", depth)
	}
	n, _ := strconv.Atoi(m[1])
	if depth > 0 && n == 0 {
		return fail("subtest %s with no tests", subName)
	}
	for i := 1; i <= n; i++ {
		var tc ktapTest
		for len(lines) > 0 && strings.HasPrefix(lines[0], in+"# ") {
			d := take()[2:]
			if strings.HasPrefix(d, "Subtest:") {
				return fail("a diagnostic reads as a subtest header: %q", d)
			}
			tc.diags = append(tc.diags, d)
		}
		if len(lines) > 0 && strings.HasPrefix(lines[0], in+"    KTAP version 1") {
			if tc.subtests, lines, err = parse(lines, depth+1); err != nil {
				return nil, nil, err
			}
		}
		r := resultRE.FindStringSubmatch(take())
		if r == nil {
			return fail("depth %d test %d: not a result line", depth, i)
		}
		if num, _ := strconv.Atoi(r[2]); num != i {
			return fail("test number %d, want %d", num, i)
		}
		tc.ok, tc.name, tc.skip = r[1] == "ok", r[3], r[4] != ""
		tests = append(tests, tc)
	}
	if depth == 0 && len(lines) != 0 {
		return fail("trailing lines %q", lines)
	}
	return tests, lines, err
}

// TestWriteFollowsKTAP: the document follows KTAP v1's rules, every case
// has its result (skip as "ok ... # SKIP", failed and errored as "not ok"
// with diagnostics first), and a suite with a failure is "not ok".
func TestWriteFollowsKTAP(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	text := strings.TrimSuffix(buf.String(), "\n")
	top, _, err := parse(strings.Split(text, "\n"), 0)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if len(top) != 2 || top[0].ok || !top[1].ok || top[0].name != "explore_matrix" || top[1].name != "fsx" || top[1].subtests[1].name != "fsx_case" {
		t.Fatalf("suites: %+v\n%s", top, text)
	}
	c := top[0].subtests
	if len(c) != 4 || !c[0].ok || c[1].ok || !c[2].ok || !c[2].skip || c[3].ok {
		t.Fatalf("cases: %+v\n%s", c, text)
	}
	if c[2].name != "reflink__2" || !strings.Contains(text, "# SKIP needs reflink\n") {
		t.Errorf("skip line:\n%s", text)
	}
	if len(c[1].diags) != 5 || c[1].diags[0] != "failed mismatch: expected catch (data), got clean" || c[1].diags[1] != "writer | syncer" {
		t.Errorf("failure diagnostics %q", c[1].diags)
	}
	if c[3].diags[0] != "errored bad input: deadlock" || strings.Contains(text, "not shown") {
		t.Errorf("errored diagnostics %q, or a passing case's output shown", c[3].diags)
	}
}

// TestParseRejects: the checker itself fails on documents that break the
// rules (so the test above could fail).
func TestParseRejects(t *testing.T) {
	for _, doc := range []string{
		"KTAP version 1\n1..2\nok 1 a\nok 3 b",
		"KTAP version 1\n1..1\nok 1 a b",
		"KTAP version 1\n1..1\n  KTAP version 1\n  # Subtest: s\n  1..0\nok 1 s",
	} {
		if _, _, err := parse(strings.Split(doc, "\n"), 0); err == nil {
			t.Errorf("accepted %q", doc)
		}
	}
}

// TestWriteFile: the file holds what Write writes; a path that cannot be
// created is an error.
func TestWriteFile(t *testing.T) {
	path := t.TempDir() + "/r.ktap"
	if err := WriteFile(path, sample()); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	Write(&want, sample())
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("%v: file differs from Write", err)
	}
	if err := WriteFile(t.TempDir()+"/no/such/dir/r.ktap", sample()); err == nil {
		t.Error("wrote into a missing directory")
	}
}
