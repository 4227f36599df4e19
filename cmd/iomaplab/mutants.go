package main

import (
	"fmt"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"iomaplab/explore"
	"iomaplab/mutants"
)

// mutantsFlags are the flags of `iomaplab mutants`.
type mutantsFlags struct {
	sites       string
	budget      int
	json, quiet bool
}

func (a *app) mutantsCmd() *cobra.Command {
	var f mutantsFlags
	cmd := &cobra.Command{
		Use:   "mutants [--sites GLOB] [--budget N] [--json]",
		Short: "measure the catalogue's kill rate over the engine's marked protection sites",
		Long: `Plant one mutant per protection site marked in the engine's source
(//mutant:NAME delete|true|false|noseq; see package mutants), in turn: build
the catalogue judge with the mutated file overlaid (go build -overlay), run
every catalogue scenario of the site's model under variant correct, and
classify: killed (a safety oracle fired), crashed (only a panic, deadlock,
step limit or op error), survived (all clean). Sites listed in
mutants/equivalent.txt are equivalent, with their reason, and are left out
of the kill rate. Run it in the module's root directory; it needs the go
toolchain. Each site costs a build and up to a catalogue run.

A line per site goes to stderr, and off a terminal a status line every 10s
(--quiet: neither).`,
		Example: `  nice -n 19 iomaplab mutants
  iomaplab mutants --sites 'xfs-seq-bump-*' --budget 100
  iomaplab mutants --json > mutants.json`,
		Annotations: map[string]string{"exit": `  0  every site killed by a safety oracle or listed equivalent
  1  a site survived or only crashed the engine
  2  bad usage, a --sites glob matching nothing, a malformed marker or a
     mutant that does not compile, not run in the module's root
  3  the environment cannot run it (no go toolchain)
`},
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error { return a.mutants(f) },
	}
	cmd.Flags().StringVar(&f.sites, "sites", "", "only the sites whose name matches this glob (path.Match)")
	intFlag(cmd, &f.budget, "budget", "", explore.Defaults.Budget, 1, 1_000_000, "schedules per scenario")
	cmd.Flags().BoolVar(&f.json, "json", false, "print the report as one JSON document")
	quietFlag(cmd, &f.quiet)
	return cmd
}

func (a *app) mutants(f mutantsFlags) error {
	var done atomic.Int64
	progress := func(r mutants.SiteResult) {
		done.Add(1)
		if !f.quiet {
			fmt.Fprintf(a.stderr, "mutants: %s %s (%.0fs)\n", r.Site, r.Outcome, r.Seconds)
		}
	}
	stopStatus := a.startStatus(f.quiet, func() string { return fmt.Sprintf("iomaplab mutants: %d sites done", done.Load()) })
	rep, err := mutants.Run(mutants.Options{Sites: f.sites, Budget: f.budget, Timeout: 15 * time.Minute, Progress: progress})
	stopStatus()
	if err != nil {
		return err
	}
	if f.json {
		if err := printJSON(a.stdout, rep); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SITE\tKIND\tOUTCOME\tBY\tWHERE")
		for _, r := range rep.Sites {
			by := r.KilledBy + " (" + strings.Join(r.Oracles, ",") + ")"
			switch {
			case r.Outcome != mutants.Killed && r.Equivalent != "":
				by = "equivalent: " + r.Equivalent
			case r.Outcome == mutants.Crashed:
				by = strings.Join(r.Crashes, "; ") + " " + r.Detail
			case r.Outcome != mutants.Killed:
				by = r.Detail
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Site, r.Kinds, r.Outcome, by, r.Where)
		}
		tw.Flush()
		fmt.Fprintf(a.stdout, "%d sites: %d killed, %d survived, %d crashed only, %d equivalent, %d build failed; kill rate %.1f%% of %d non-equivalent\n",
			len(rep.Sites), rep.Killed, rep.Survived, rep.Crashed, rep.Equivalent, rep.BuildFailed, rep.KillRate, rep.Killed+rep.Survived+rep.Crashed)
	}
	switch {
	case rep.BuildFailed > 0:
		return badInput("%d mutants do not compile: fix their markers", rep.BuildFailed)
	case rep.Survived+rep.Crashed > 0:
		return errViolation
	}
	return nil
}
