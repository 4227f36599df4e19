// Command iomaplab models, explores and reproduces stale-mapping races in
// Linux's iomap buffered I/O: on a userspace engine (explore, replay, fsx,
// bench) and on real filesystems (kernel). Each subcommand lives in its own
// file and registers itself here.
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
)

// Exit codes: the CLI contract of DESIGN.md.
const (
	exitOK    = 0 // ran, nothing violated
	exitFail  = 1 // a violation, or an unexpected matrix cell
	exitUsage = 2 // bad usage or bad input; nothing ran
	exitEnv   = 3 // this environment cannot run the command
)

type command struct {
	summary string
	run     func(args []string) int
}

var commands = map[string]command{}

func register(name, summary string, run func(args []string) int) {
	commands[name] = command{summary, run}
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(exitUsage)
	}
	name := os.Args[1]
	if name == "-h" || name == "--help" || name == "help" {
		usage()
		os.Exit(exitOK)
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "iomaplab: unknown command %q\n", name)
		usage()
		os.Exit(exitUsage)
	}
	os.Exit(cmd.run(os.Args[2:]))
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: iomaplab COMMAND [flags]\n\ncommands:")
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-8s %s\n", n, commands[n].summary)
	}
}

// parseArgs parses flags that may come before, between or after the
// positional arguments (`explore SCENARIO --budget 50`), returning the
// positional ones.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
