package main

import (
	"github.com/spf13/cobra"

	"iomaplab/report"
	"iomaplab/report/junit"
	"iomaplab/report/ktap"
)

// ciReports are a command's --junit and --ktap outputs (docs/ci-reports.md):
// the same verdicts as its table or --json, for CI dashboards (JUnit XML)
// and kernel CI parsers (KTAP).
type ciReports struct{ junit, ktap string }

func ciReportFlags(cmd *cobra.Command, r *ciReports) {
	cmd.Flags().StringVar(&r.junit, "junit", "", "also write the results as JUnit XML to `FILE` (docs/ci-reports.md)")
	cmd.Flags().StringVar(&r.ktap, "ktap", "", "also write the results as KTAP version 1 to `FILE` (docs/ci-reports.md)")
}

// check makes sure both files can be written before anything runs.
func (r ciReports) check() error { return writableOutputs("--junit", r.junit, "--ktap", r.ktap) }

// write writes the suites to the files asked for; the command's exit code
// stays what its verdict says unless a report cannot be written.
func (r ciReports) write(suites ...report.Suite) error {
	if r.junit != "" {
		if err := junit.WriteFile(r.junit, "iomaplab", suites); err != nil {
			return hostOrInput(err)
		}
	}
	if r.ktap != "" {
		if err := ktap.WriteFile(r.ktap, suites); err != nil {
			return hostOrInput(err)
		}
	}
	return nil
}

// writeError reports a command that could not run as one errored case, and
// returns the command's own error.
func (r ciReports) writeError(suite string, err error, seconds float64) error {
	if werr := r.write(report.FromError(suite, err, seconds)); werr != nil {
		return werr
	}
	return err
}
