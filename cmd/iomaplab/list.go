package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"iomaplab/scenario"
)

func (a *app) listCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--json]",
		Short: "list the scenario catalogue",
		Long: `List the scenario catalogue embedded in the binary (scenario/catalogue/*.scn):
each scenario's filesystem, whether it is directed (a stall-at window) or
exploratory, the engine variants (mutants) it must catch, and its source.`,
		Example: `  iomaplab list
  iomaplab list --json | jq -r '.[].name'`,
		Annotations: map[string]string{"exit": "  0  listed\n  2  bad usage\n"},
		Args:        noArgs,
		RunE:        func(*cobra.Command, []string) error { return a.list(asJSON) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the catalogue as JSON")
	return cmd
}

func (a *app) list(asJSON bool) error {
	list, err := scenario.List()
	if err != nil {
		return err
	}
	if asJSON {
		type entry struct {
			Name     string   `json:"name"`
			FS       string   `json:"fs"`
			Directed bool     `json:"directed"`
			Source   string   `json:"source"`
			Summary  string   `json:"summary"`
			Catches  []string `json:"catches"`
		}
		var out []entry
		for _, sc := range list {
			e := entry{Name: sc.Name, FS: sc.FS.Type, Directed: sc.Directed, Source: sc.Source, Summary: sc.Summary()}
			for _, c := range sc.Catches {
				e.Catches = append(e.Catches, c.Variant)
			}
			out = append(out, e)
		}
		return printJSON(a.stdout, out)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tFS\tKIND\tCATCHES\tSOURCE")
	for _, sc := range list {
		kind := "exploratory"
		if sc.Directed {
			kind = "directed"
		}
		var catches []string
		for _, c := range sc.Catches {
			catches = append(catches, c.Variant)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", sc.Name, sc.FS.Type, kind, strings.Join(catches, ","), sc.Source)
	}
	return tw.Flush()
}

// printJSON writes v as one indented JSON document.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// scenarioNames completes positional arguments with catalogue names (and,
// the shell's default, file names for .scn paths).
func scenarioNames(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
	list, err := scenario.List()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var names []string
	for _, sc := range list {
		if strings.HasPrefix(sc.Name, prefix) {
			names = append(names, sc.Name+"\t"+sc.Summary())
		}
	}
	return names, cobra.ShellCompDirectiveDefault
}
