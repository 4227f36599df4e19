package main

import (
	"encoding/json"
	"io"
	"os"

	"github.com/spf13/cobra"

	"iomaplab/explore"
	"iomaplab/scenario"
)

// maxShardFile bounds one shard file merge reads (a 1,000,000-schedule
// budget keeps about 60 bytes a schedule).
const maxShardFile = 1 << 30

// shardDoc is the JSON document `explore --shard I/N --json` prints.
type shardDoc struct {
	Matrix   bool            `json:"matrix"`
	Budget   int             `json:"budget"`
	Strategy string          `json:"strategy"`
	Seed     uint64          `json:"seed"`
	Shard    string          `json:"shard"`
	Cells    []*explore.Cell `json:"cells"`
}

func (a *app) mergeCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "merge FILE.json... [--json]",
		Short: "combine the JSON results of explore --shard runs into the serial run's report",
		Long: `Combine the JSON documents of every shard of one explore run (explore
--shard I/N --json, for I = 0..N-1, on any machines) into the report the run
without --shard gives: the same schedules counted per cell, the same first
failure (the lowest in the serial run's order), the same token, and the
exit code the serial run would have given. Every shard's file is needed,
each once, in any order.`,
		Example: `  for i in 0 1 2 3; do iomaplab explore --matrix --shard $i/4 --json > shard-$i.json; done
  iomaplab merge shard-*.json`,
		Annotations: map[string]string{"exit": `  0  every cell clean (--matrix runs: every cell as expected)
  1  a violation, as explore's exit 1
  2  bad usage: a file unreadable, not a shard's JSON, a shard missing or
     twice, shards of different runs; or a scenario error in the run
  3  the environment could not run a cell
`},
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return badInput("merge needs the shards' JSON files")
			}
			if len(args) > explore.MaxShards {
				return badInput("merge takes at most %d files", explore.MaxShards)
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error { return a.merge(args, asJSON) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document, as explore --json")
	return cmd
}

func (a *app) merge(files []string, asJSON bool) error {
	var docs []shardDoc
	var shards [][]*explore.Cell
	for _, name := range files {
		doc, err := readShard(name)
		if err != nil {
			return err
		}
		if len(docs) > 0 {
			d0 := docs[0]
			if doc.Matrix != d0.Matrix || doc.Budget != d0.Budget || doc.Strategy != d0.Strategy || doc.Seed != d0.Seed {
				return badInput("%s: another run than %s (matrix, budget, strategy or seed differ)", name, files[0])
			}
		}
		docs = append(docs, doc)
		shards = append(shards, doc.Cells)
	}
	cells, err := explore.Merge(shards)
	if err != nil {
		return asBadInput(err)
	}
	d0 := docs[0]
	var missing []string
	if d0.Matrix {
		scenarios, err := scenario.List()
		if err != nil {
			return err
		}
		missing = explore.Coverage(scenarios, cells)
	}
	result := exploreResult(cells, d0.Matrix, missing)
	if asJSON {
		if err := printJSON(a.stdout, map[string]any{"matrix": d0.Matrix, "budget": d0.Budget, "strategy": d0.Strategy, "seed": d0.Seed,
			"cells": cells, "uncovered_by_exploratory": missing, "exit": exitFor(result), "shards": len(files)}); err != nil {
			return err
		}
		return result
	}
	for _, c := range cells {
		printCellDetail(a.stdout, c)
	}
	printCellSummary(a.stdout, cells, d0.Matrix, missing)
	return result
}

// readShard reads one shard's JSON document, bounded by maxShardFile.
func readShard(name string) (shardDoc, error) {
	var doc shardDoc
	f, err := os.Open(name)
	if err != nil {
		return doc, badInputError{err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxShardFile+1))
	if err != nil {
		return doc, hostOrInput(err)
	}
	if len(data) > maxShardFile {
		return doc, badInput("%s: more than %d bytes: not a shard's JSON", name, maxShardFile)
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return doc, badInput("%s: not explore --json output: %v", name, err)
	}
	if doc.Shard == "" {
		return doc, badInput("%s: explore --json output without --shard: nothing to merge", name)
	}
	return doc, nil
}
