package junit

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	gojunit "github.com/joshdk/go-junit"

	"iomaplab/report"
)

func sample() []report.Suite {
	return []report.Suite{
		{Name: "explore-matrix", Timestamp: time.Date(2026, 12, 5, 18, 0, 0, 0, time.UTC), Seconds: 3.25,
			Properties: []report.Property{{Name: "seed", Value: "1"}},
			Cases: []report.Case{
				{Name: "write-stale-unwritten [correct]", Seconds: 1.5, Output: "verdict clean\n"},
				{Name: "write-stale-unwritten [no-validate]", Status: report.Failed, Kind: report.KindMismatch,
					Message: `expected catch (data), got clean <&"'>`, Detail: "writer | syncer\n]]> \x01\x1b[0m bad\xff utf8\n", Seconds: 1.75},
				{Name: "reflink [correct]", Status: report.Skipped, Message: "needs reflink"},
				{Name: "awaits [correct]", Status: report.Errored, Kind: report.KindBadInput, Message: "scenario error: deadlock"},
			}},
		{Name: "kernel", Cases: []report.Case{
			{Name: "xfs/write-stale-unwritten", Status: report.Failed, Kind: report.KindUnreached, Message: "stale evidence in 97 of 100 runs"},
			{Name: "ext4/write-hole", Status: report.Errored, Kind: report.KindEnvironment, Message: "no root"},
		}},
	}
}

// TestWriteParsesInGoJunit: a real consumer's parser (joshdk/go-junit,
// used by CI reporters) reads every case with its status, message,
// classname, time and output, and the counts add up.
func TestWriteParsesInGoJunit(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "iomaplab explore --matrix", sample()); err != nil {
		t.Fatal(err)
	}
	suites, err := gojunit.Ingest(buf.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.Bytes())
	}
	if len(suites) != 2 {
		t.Fatalf("%d suites, want 2\n%s", len(suites), buf.Bytes())
	}
	want := [][]gojunit.Status{
		{gojunit.StatusPassed, gojunit.StatusFailed, gojunit.StatusSkipped, gojunit.StatusError},
		{gojunit.StatusFailed, gojunit.StatusError},
	}
	for i, s := range suites {
		if len(s.Tests) != len(want[i]) {
			t.Fatalf("suite %s: %d tests, want %d", s.Name, len(s.Tests), len(want[i]))
		}
		for j, tc := range s.Tests {
			if tc.Status != want[i][j] {
				t.Errorf("%s: %s, want %s", tc.Name, tc.Status, want[i][j])
			}
		}
	}
	m := suites[0].Tests[1]
	if m.Classname != "iomaplab.explore-matrix" || m.Message != `expected catch (data), got clean <&"'>` ||
		m.Duration != 1750*time.Millisecond || m.Error == nil || !strings.Contains(m.Error.Error(), "writer | syncer") {
		t.Errorf("failed case: %+v", m)
	}
	if e, ok := m.Error.(gojunit.Error); !ok || e.Type != report.KindMismatch {
		t.Errorf("failure type: %#v", m.Error)
	}
	if suites[0].Tests[0].SystemOut != "verdict clean\n" || suites[0].Tests[2].Message != "needs reflink" {
		t.Errorf("output or skip message lost: %+v %+v", suites[0].Tests[0], suites[0].Tests[2])
	}
	if suites[0].Properties["seed"] != "1" {
		t.Errorf("properties: %v", suites[0].Properties)
	}
	suites[0].Aggregate()
	if tot := suites[0].Totals; tot.Tests != 4 || tot.Failed != 1 || tot.Error != 1 || tot.Skipped != 1 || tot.Passed != 1 {
		t.Errorf("totals: %+v", tot)
	}
}

// TestWriteCounts: the testsuites and testsuite attributes hold the
// counts, and text XML cannot carry is replaced, so the document is well
// formed for any strict parser.
func TestWriteCounts(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "x", sample()); err != nil {
		t.Fatal(err)
	}
	var doc testsuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != 6 || doc.Failures != 2 || doc.Errors != 2 || doc.Skipped != 1 || doc.Time != "3.25" {
		t.Errorf("testsuites: %+v", doc)
	}
	if s := doc.Suites[0]; s.Tests != 4 || s.Failures != 1 || s.Errors != 1 || s.Skipped != 1 || s.Timestamp != "2026-12-05T18:00:00Z" {
		t.Errorf("testsuite: %+v", s)
	}
	for _, c := range []byte{0x01, 0x1b, 0xff} {
		if bytes.IndexByte(buf.Bytes(), c) >= 0 {
			t.Errorf("byte 0x%02x reached the XML", c)
		}
	}
	if !bytes.Contains(buf.Bytes(), []byte("\uFFFD[0m bad\uFFFD utf8")) {
		t.Errorf("replaced text missing:\n%s", buf.Bytes())
	}
	d := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
	d.Strict = true
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not well formed: %v", err)
			}
			break
		}
	}
}

// TestWriteFile: the file holds what Write writes; a path that cannot be
// created is an error.
func TestWriteFile(t *testing.T) {
	path := t.TempDir() + "/r.xml"
	if err := WriteFile(path, "x", sample()); err != nil {
		t.Fatal(err)
	}
	suites, err := gojunit.IngestFile(path)
	if err != nil || len(suites) != 2 {
		t.Fatalf("%v, %d suites", err, len(suites))
	}
	if err := WriteFile(t.TempDir()+"/no/such/dir/r.xml", "x", sample()); err == nil {
		t.Error("wrote into a missing directory")
	}
}
