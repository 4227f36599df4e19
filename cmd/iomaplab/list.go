package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"iomaplab/scenario"
)

func init() { register("list", "list the scenario catalogue", runList) }

func runList(args []string) int {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the catalogue as JSON")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return exitUsage
	}
	list, err := scenario.List()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitFail
	}
	if *asJSON {
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
		return printJSON(out)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
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
	tw.Flush()
	return exitOK
}

func printJSON(v any) int {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitFail
	}
	return exitOK
}
