// Package junit writes report suites as JUnit XML: the <testsuites>
// dialect Jenkins, GitLab and GitHub test reporters read, and fstests'
// `./check -R xunit` writes (common/report: testcase classname and name,
// time in seconds, <failure message type>, <skipped message>,
// <system-out>). An errored case is an <error>. Text that XML cannot carry
// (control characters, invalid UTF-8) is replaced by U+FFFD.
package junit

import (
	"encoding/xml"
	"io"
	"math"
	"os"
	"strconv"
	"time"

	"iomaplab/report"
)

type testsuites struct {
	XMLName  xml.Name    `xml:"testsuites"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Suites   []testsuite `xml:"testsuite"`
}

type testsuite struct {
	Name       string     `xml:"name,attr"`
	Tests      int        `xml:"tests,attr"`
	Failures   int        `xml:"failures,attr"`
	Errors     int        `xml:"errors,attr"`
	Skipped    int        `xml:"skipped,attr"`
	Time       string     `xml:"time,attr"`
	Timestamp  string     `xml:"timestamp,attr,omitempty"`
	Properties []property `xml:"properties>property,omitempty"`
	Cases      []testcase `xml:"testcase"`
}

type property struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type testcase struct {
	Classname string   `xml:"classname,attr"`
	Name      string   `xml:"name,attr"`
	Time      string   `xml:"time,attr"`
	Failure   *outcome `xml:"failure,omitempty"`
	Error     *outcome `xml:"error,omitempty"`
	Skipped   *outcome `xml:"skipped,omitempty"`
	SystemOut string   `xml:"system-out,omitempty"`
}

type outcome struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

// Write writes suites as one <testsuites> document named name. A case's
// classname is "iomaplab.<suite>" (fstests: "xfstests.<section>"); its
// failure or error carries Kind as type, Message as message and Detail
// as text; Output goes to <system-out>.
func Write(w io.Writer, name string, suites []report.Suite) error {
	doc := testsuites{Name: name}
	var total float64
	for _, s := range suites {
		ts := testsuite{Name: s.Name, Tests: len(s.Cases), Failures: s.Count(report.Failed),
			Errors: s.Count(report.Errored), Skipped: s.Count(report.Skipped), Time: seconds(s.Seconds)}
		if !s.Timestamp.IsZero() {
			ts.Timestamp = s.Timestamp.UTC().Format(time.RFC3339)
		}
		for _, p := range s.Properties {
			ts.Properties = append(ts.Properties, property{p.Name, p.Value})
		}
		for _, c := range s.Cases {
			tc := testcase{Classname: "iomaplab." + s.Name, Name: c.Name, Time: seconds(c.Seconds), SystemOut: c.Output}
			o := &outcome{Message: c.Message, Type: c.Kind, Body: c.Detail}
			switch c.Status {
			case report.Failed:
				tc.Failure = o
			case report.Errored:
				tc.Error = o
			case report.Skipped:
				tc.Skipped = &outcome{Message: c.Message}
			}
			ts.Cases = append(ts.Cases, tc)
		}
		doc.Tests += ts.Tests
		doc.Failures += ts.Failures
		doc.Errors += ts.Errors
		doc.Skipped += ts.Skipped
		total += s.Seconds
		doc.Suites = append(doc.Suites, ts)
	}
	doc.Time = seconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "\t")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// seconds is a time attribute: seconds to the millisecond.
func seconds(s float64) string {
	return strconv.FormatFloat(math.Round(s*1000)/1000, 'f', -1, 64)
}

// WriteFile writes the document to path (Write), replacing it.
func WriteFile(path, name string, suites []report.Suite) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := Write(f, name, suites); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
